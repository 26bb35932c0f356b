#!/usr/bin/env python3
"""Whole-array conversion benchmark: a CT-like volume to OME-Zarr v3 (NGFF 0.5), per tool.

Issue 10 ("Whole arrays to OME-Zarr"): convert a 1-4 GiB volume that is already on hand
(a .npy on tmpfs, memory-mapped) into an OME-Zarr image with the same layout for every
tool -- the automatic layout of `acquire_zarr.layout.auto_layout` (chunks 32^3, shards
512^3 for a 3-D volume; 256^2 and 8192^2 for a 2-D image, `--shape YxX`, one plane of the
same recipe), the same Blosc codec, level and shuffle -- with and without a MEAN pyramid
(levels until every axis fits one chunk), with:

    ours         acquire_zarr.convert.to_ome_zarr                      (project .venv)
    anu          anu_ctlab_io.zarr.dataset_to_zarr                     (benchmarks/.venv-anu)
    ngff-zarr    to_ngff_image + to_multiscales + to_ngff_zarr         (benchmarks/.venv-ngff-zarr)
    ome-zarr     ome_zarr.writer.write_image                           (benchmarks/.venv-ome-zarr)
    tensorstore  TensorStore, shard by shard; the pyramid in numpy     (project .venv)
    zarr-python  zarr-python, shard by shard; the pyramid in numpy     (project .venv)

Each run of a case is a fresh child process in that tool's venv (so its peak RSS is its
own); the parent samples the child's /proc status meanwhile. Afterwards, untimed, the
project venv reads level 0 back in full with TensorStore against the source, checks the
layout and codec with zarr-python, the level shapes, and level values against 2x2x2 (2x2)
means of the level below (a few planes per level).

Run `python benchmarks/convert_bench.py --help`; benchmarks/README.md ("Converting whole
arrays") says what the numbers mean. The orchestrating process uses only the standard
library; the venvs of the other tools are created on first use (pip, from PyPI).
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _children import warm_memory

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OURS_PYTHON = REPO / ".venv" / "bin" / "python"

# Tools that need packages whose dependencies clash with each other (and with the project
# venv's zarr/numpy pins) get a venv of their own: name -> (venv dir, pip requirements,
# oldest Python their current releases accept). anu-ctlab-io and ome-zarr >= 0.19 need 3.12.
EXTERNAL_VENVS = {
    "anu": (HERE / ".venv-anu", ["anu-ctlab-io[zarr]"], (3, 12)),
    "ngff-zarr": (HERE / ".venv-ngff-zarr", ["ngff-zarr"], (3, 12)),
    "ome-zarr": (HERE / ".venv-ome-zarr", ["ome-zarr"], (3, 12)),
}
TOOLS = ("ours", "anu", "ngff-zarr", "ome-zarr", "tensorstore", "zarr-python")
# What each tool's child imports first (its failure means "not installed").
TOOL_MODULES = {"ours": "acquire_zarr.convert", "anu": "anu_ctlab_io.zarr",
                "ngff-zarr": "ngff_zarr", "ome-zarr": "ome_zarr.writer",
                "tensorstore": "tensorstore", "zarr-python": "zarr"}
# The distribution whose version the table names.
TOOL_DISTS = {"ours": "acquire-zarr", "anu": "anu-ctlab-io", "ngff-zarr": "ngff-zarr",
              "ome-zarr": "ome-zarr", "tensorstore": "tensorstore", "zarr-python": "zarr"}

# Dependencies whose versions the notes give, where a venv has them (ngff-zarr writes with
# zarrista, a Rust zarrs binding, not zarr-python; its bin shrink runs in itkwasm).
VERSIONED_DEPENDENCIES = ("numpy", "zarr", "zarrista", "dask", "numcodecs", "scikit-image",
                          "itkwasm-downsample", "ome-zarr-models")

# --codec: Blosc1 inner codec, level, byte shuffle -- the same for every tool, checked in
# every written level-0 zarr.json. zstd level 1 is to_ome_zarr's default compression.
CODECS = {"zstd": ("zstd", 1), "lz4": ("lz4", 1)}

DTYPE = "uint16"
DEFAULT_SHAPE = (1024, 768, 768)  # z, y, x: 1.125 GiB of uint16 (3 runs of every case in ~13 min)
VOLUME_SEED = 20261201

DEFAULT_TARGET = Path("/dev/shm")
CHILD_TIMEOUT_S = 1800
RESULT_MARKER = "CONVERT-BENCH-RESULT "
MIB = 1024 * 1024
TARGET_SPEEDUP = 2.0  # issue 10: ours the fastest by at least 2x, with less peak memory

# Set by set_target(): <target>/aqz-convert-bench/run-<pid>/{stores,...}; the volume
# lives beside the run directories so that --keep-volume can leave it for the next run.
BENCH_ROOT = DEFAULT_TARGET / "aqz-convert-bench" / f"run-{os.getpid()}"
STORE_DIR = BENCH_ROOT / "stores"


def set_target(target: Path) -> None:
    global BENCH_ROOT, STORE_DIR
    BENCH_ROOT = Path(target) / "aqz-convert-bench" / f"run-{os.getpid()}"
    STORE_DIR = BENCH_ROOT / "stores"


def volume_path(target: Path, shape, seed: int) -> Path:
    return Path(target) / "aqz-convert-bench" / f"volume-{'x'.join(map(str, shape))}-{seed}.npy"


# --------------------------------------------------------------------------------------
# Layout and pyramid rules shared by every writer (pure Python: the parent uses them too).
# --------------------------------------------------------------------------------------


def level_shapes(shape, chunks, pyramid: bool) -> list[list[int]]:
    """The levels ours writes, which every tool is asked for (the streaming pyramid's rule,
    README "Levels"): y and x halve together, rounding up, while both are larger than the
    larger of their chunks; z halves while it is larger than its chunk; levels are added
    while anything halves."""
    levels = [list(shape)]
    while pyramid:
        y, x = levels[-1][-2:]  # a 2-D image has no z: only y and x halve
        yx = y > max(chunks[-2:]) and x > max(chunks[-2:])
        zz = len(shape) >= 3 and levels[-1][-3] > chunks[-3]
        if not (yx or zz):
            break
        halve = ([False] * (len(shape) - 3) + [zz] if len(shape) >= 3 else []) + [yx, yx]
        levels.append([(n + 1) // 2 if h else n for n, h in zip(levels[-1], halve)])
    return levels


def level_shards(level_shape, chunks, shards) -> list[int]:
    """A level's shard: level 0's, trimmed to the level and rounded up to whole chunks
    (as auto_layout trims level 0's and the engine trims each level's)."""
    return [min(s, -(-n // c) * c) for n, c, s in zip(level_shape, chunks, shards)]


def cumulative_factors(levels) -> list[list[int]]:
    """Per level above 0, the factor from level 0 along each axis (1 where it stopped)."""
    out, f = [], [1] * len(levels[0])
    for prev, cur in zip(levels, levels[1:]):
        f = [fi * (2 if c < p else 1) for fi, p, c in zip(f, prev, cur)]
        out.append(list(f))
    return out


# --------------------------------------------------------------------------------------
# Child side: runs in a fresh interpreter of the tool's venv.
# --------------------------------------------------------------------------------------


def smooth_1d(rng, n: int):
    """A few low-frequency sines with random phases along an axis of n samples."""
    import numpy as np

    t = np.arange(n, dtype=np.float32) / max(n, 1)
    f = np.zeros(n, np.float32)
    for k in range(1, 6):
        f += rng.normal() / k * np.sin(2 * np.pi * (k * rng.uniform(1, 4) * t + rng.uniform()))
    return f


def ct_values(field, std: float, r2, noise):
    """The CT-like grey values from the smooth field (its phases through two soft
    thresholds at multiples of its std), the squared radius r2 of the sample's disc (1 at
    its rim) and unit Gaussian noise, as uint16."""
    import numpy as np

    inside = (r2 <= 1.0).astype(np.float32)
    rim = np.clip(1.0 - np.sqrt(np.minimum(r2, 1.0)), 0, 1)  # soft sample edge
    inside *= np.clip(rim * 40.0, 0, 1)
    cupping = 1500.0 * np.minimum(r2, 1.0)
    grains = 0.5 + 0.5 * np.tanh((field - 0.6 * std) / (0.05 * std))
    pores = 0.5 + 0.5 * np.tanh((-field - 1.0 * std) / (0.05 * std))
    material = 18000.0 + 12000.0 * grains - 16000.0 * pores + cupping
    value = 1000.0 + inside * (material - 1000.0)
    value += 120.0 * noise
    return np.clip(value, 0, 65535).astype(np.uint16)


def make_volume(path: Path, shape, seed: int) -> None:
    """A CT-like uint16 volume, deterministic: a cylindrical sample in air, inside it a
    smooth three-phase material (pores, matrix, grains: a low-rank smooth field through two
    soft thresholds, so boundaries are blurred like partial-volume edges), a little cupping
    (brighter towards the rim) and Gaussian noise (sigma 120). Compresses ~1.5-2x with Blosc:
    neither constant nor noise. Written slab by slab into the .npy, never whole in memory.
    A 2-D shape gets one plane of the same recipe (make_image)."""
    if len(shape) == 2:
        return make_image(path, shape, seed)
    import numpy as np
    from numpy.lib.format import open_memmap

    nz, ny, nx = shape
    rng = np.random.default_rng(seed)
    rank = 4
    a = np.stack([smooth_1d(rng, nz) for _ in range(rank)], axis=1)  # (z, rank)
    b = np.stack([np.outer(smooth_1d(rng, ny), smooth_1d(rng, nx)).ravel()
                  for _ in range(rank)])  # (rank, y*x)
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float32)
    r2 = ((yy - ny / 2) ** 2 + (xx - nx / 2) ** 2) / (0.45 * min(ny, nx)) ** 2

    out = open_memmap(path, mode="w+", dtype=DTYPE, shape=tuple(shape))
    slab = 16
    for z0 in range(0, nz, slab):
        z1 = min(z0 + slab, nz)
        field = (a[z0:z1] @ b).reshape(z1 - z0, ny, nx)
        noise = np.random.default_rng([seed, z0]).standard_normal(field.shape, dtype=np.float32)
        out[z0:z1] = ct_values(field, float(field.std()) or 1.0, r2, noise)
    out.flush()
    del out


def make_image(path: Path, shape, seed: int) -> None:
    """A 2-D image (a whole-slide-like section, e.g. 16384^2): one plane of the CT-like
    recipe -- a disc-shaped sample in air, the three-phase material of a rank-4 smooth
    field in y and x, the soft edge, cupping and noise -- written into the .npy in slabs of
    about 4 Mi pixels of whole rows (~100 MiB of float32 temporaries whatever the image's
    size). The field is a sum of products of per-axis factors, so a slab needs only its rows
    of them; its std, which sets the phase thresholds, is computed once for the whole image
    from the factors' Gram matrices (the same thresholds in every slab: no seams at slab
    edges, as a per-slab std would leave)."""
    import numpy as np
    from numpy.lib.format import open_memmap

    ny, nx = shape
    rng = np.random.default_rng(seed)
    rank = 4
    u = np.stack([smooth_1d(rng, ny) for _ in range(rank)])  # (rank, y)
    v = np.stack([smooth_1d(rng, nx) for _ in range(rank)])  # (rank, x)
    u64, v64 = u.astype(np.float64), v.astype(np.float64)
    # field = u.T @ v: mean = sum_r mean(u_r) mean(v_r), mean square = sum_rs <u_r u_s><v_r v_s>
    mean = float(u64.mean(axis=1) @ v64.mean(axis=1))
    mean_sq = float(np.sum((u64 @ u64.T / ny) * (v64 @ v64.T / nx)))
    std = math.sqrt(max(mean_sq - mean * mean, 0.0)) or 1.0
    xx2 = ((np.arange(nx, dtype=np.float32) - nx / 2) ** 2)[None, :]
    radius2 = (0.45 * min(ny, nx)) ** 2

    out = open_memmap(path, mode="w+", dtype=DTYPE, shape=tuple(shape))
    rows = max(1, (1 << 22) // nx)
    for y0 in range(0, ny, rows):
        y1 = min(y0 + rows, ny)
        yy2 = ((np.arange(y0, y1, dtype=np.float32) - ny / 2) ** 2)[:, None]
        r2 = (yy2 + xx2) / radius2
        field = u[:, y0:y1].T @ v
        noise = np.random.default_rng([seed, y0]).standard_normal(field.shape, dtype=np.float32)
        out[y0:y1] = ct_values(field, std, r2, noise)
    out.flush()
    del out


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_seconds() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def blosc_json(cfg: dict) -> dict:
    """The v3 `blosc` codec every tool is asked for (typesize = the dtype's, automatic
    block size)."""
    cname, clevel = CODECS[cfg["codec"]]
    return {"name": "blosc", "configuration": {"cname": cname, "clevel": clevel,
                                              "shuffle": "shuffle", "typesize": 2,
                                              "blocksize": 0}}


def zarr_blosc(cfg: dict):
    """The same codec as a zarr-python codec object (anu, ome-zarr, zarr-python)."""
    from zarr.codecs import BloscCodec

    cname, clevel = CODECS[cfg["codec"]]
    return BloscCodec(cname=cname, clevel=clevel, shuffle="shuffle", typesize=2, blocksize=0)


def axis_names(ndim: int) -> list[str]:
    return ["z", "y", "x"][-ndim:] if ndim <= 3 else [f"d{i}" for i in range(ndim - 3)] + ["z", "y", "x"]


def run_ours(src, store: str, cfg: dict) -> dict:
    import acquire_zarr as aqz
    from acquire_zarr.convert import to_ome_zarr

    aqz.set_log_level(aqz.LogLevel.ERROR)
    cname, clevel = CODECS[cfg["codec"]]
    compression = aqz.CompressionSettings(
        compressor=aqz.Compressor.BLOSC1,
        codec={"zstd": aqz.CompressionCodec.BLOSC_ZSTD, "lz4": aqz.CompressionCodec.BLOSC_LZ4}[cname],
        level=clevel, shuffle=1)
    # chunks/shards "auto": the layout every other tool is given explicitly
    result = to_ome_zarr(src, store, dimension_names=axis_names(src.ndim), compression=compression,
                         downsampling_method="mean" if cfg["pyramid"] else None,
                         overwrite=True, max_threads=cfg["max_threads"])
    return {"engine_memory_bytes": int(result.engine_memory_bytes),
            "layout": [list(result.layout.chunks), list(result.layout.shards or ())]}


def run_anu(src, store: str, cfg: dict) -> dict:
    import dask.array as da
    import numpy as np
    from anu_ctlab_io import Dataset
    from anu_ctlab_io._voxel_properties import VoxelUnit
    from anu_ctlab_io.zarr import OMEZarrVersion, dataset_to_zarr

    # A Dataset wraps a dask array; dataset_to_zarr rechunks it to its write unit (the
    # shard) anyway, so the source is read a shard at a time.
    data = da.from_array(src, chunks=tuple(cfg["shards"]))
    # One voxel size per axis: the writer turns it into the multiscales' scale, whose
    # length must match the axes (its type says three; a 2-D image gets two).
    dataset = Dataset(data, dimension_names=tuple(axis_names(src.ndim)),
                      voxel_unit=VoxelUnit.VOXEL, voxel_size=(np.float32(1),) * src.ndim)
    # The layout is given explicitly: the release on PyPI (1.2.2) has no "auto" policy yet
    # (its chunks/shards default to size targets that keep whole xy planes, and "auto" is
    # handed to zarr-python, which then picks 64^3 chunks in 128^3 shards for 1024^3).
    dataset_to_zarr(dataset, store, chunks=tuple(cfg["chunks"]), shards=tuple(cfg["shards"]),
                    ome_zarr_version=OMEZarrVersion.v05,
                    create_array_kwargs={"compressors": [zarr_blosc(cfg)]})
    return {}


def run_ngff_zarr(src, store: str, cfg: dict) -> dict:
    import dask.array as da
    import ngff_zarr as nz

    names = axis_names(src.ndim)
    chunk = cfg["chunks"][-1]
    per_shard = [s // c for s, c in zip(cfg["shards"], cfg["chunks"])]
    image = nz.to_ngff_image(da.from_array(src, chunks=tuple(cfg["shards"])), dims=names)
    factors = [dict(zip(names, f)) for f in cumulative_factors(cfg["levels"])]
    # ITKWASM_BIN_SHRINK is ngff-zarr's local mean ("bin shrink"); its default is a Gaussian.
    multiscales = nz.to_multiscales(image, scale_factors=factors, chunks=chunk,
                                    method=nz.Methods.ITKWASM_BIN_SHRINK)
    nz.to_ngff_zarr(store, multiscales, version="0.5", chunks_per_shard=per_shard,
                    compressors=[blosc_json(cfg)])
    return {}


def run_ome_zarr(src, store: str, cfg: dict) -> dict:
    import dask.array as da
    import zarr
    from ome_zarr.format import FormatV05
    from ome_zarr.scale import Methods
    from ome_zarr.writer import write_image

    names = axis_names(src.ndim)
    factors = [dict(zip(names, f)) for f in cumulative_factors(cfg["levels"])]
    # One storage option per level: the same chunks, the shard trimmed to the level.
    options = [{"chunks": tuple(cfg["chunks"]),
                "shards": tuple(level_shards(shape, cfg["chunks"], cfg["shards"])),
                "compressors": [zarr_blosc(cfg)]} for shape in cfg["levels"]]
    root = zarr.open_group(store, mode="w", zarr_format=3)
    write_image(da.from_array(src, chunks=tuple(cfg["shards"])), root,
                scale_factors=factors, method=Methods.LOCAL_MEAN, fmt=FormatV05(),
                axes=names, storage_options=options)
    return {}


def block_mean_2(a, halve):
    """One pyramid step in numpy: the rounded mean of 2-blocks along the axes in `halve`
    (an odd extent repeats its last plane, as the engine does), by adding the even and odd
    planes axis by axis in uint32 (1.7x faster than a 6-D reshape and sum)."""
    import numpy as np

    pad = [(0, n % 2 if h else 0) for n, h in zip(a.shape, halve)]
    if any(p[1] for p in pad):
        a = np.pad(a, pad, mode="edge")
    s, count = a, 1
    for axis, h in enumerate(halve):
        if h:
            even = s[(slice(None),) * axis + (slice(0, None, 2),)]
            odd = s[(slice(None),) * axis + (slice(1, None, 2),)]
            s = even.astype(np.uint32) + odd if count == 1 else even + odd
            count *= 2
    return ((s + count // 2) // count).astype(a.dtype) if count > 1 else a.copy()


def downsample_slab(block, halve, piece: int = 64):
    """block_mean_2 of a slab, 64 planes at a time along the first axis (even pieces),
    so that the uint32 temporaries stay small."""
    import numpy as np

    if not halve[0] or block.shape[0] <= piece:
        return block_mean_2(block, halve)
    return np.concatenate([block_mean_2(block[z:z + piece], halve)
                           for z in range(0, block.shape[0], piece)])


def shard_rows(shape, shards):
    """Level-0 slabs as deep as a shard along the first axis and whole along the others
    (one row of shards: 1 GiB for 1024^2 x 512 uint16), as tuples of slices."""
    for z in range(0, shape[0], shards[0]):
        yield (slice(z, min(z + shards[0], shape[0])), *(slice(0, n) for n in shape[1:]))


def numpy_pyramid_writer(src, cfg: dict, write_block, write_level) -> None:
    """The plain way a TensorStore or zarr-python user converts: level 0 one row of shards
    at a time (whole shards, so nothing is read back and re-encoded; a whole row rather
    than shard by shard, because both libraries encode the shards of one write in
    parallel: 1.3-1.8x faster than single shards here, for more memory); for the pyramid,
    each slab is also averaged down level by level in numpy into in-memory arrays of
    levels 1.. (1/7 of the source for a 3-D volume, 1/3 for a 2-D image), which are written
    whole at the end."""
    import numpy as np

    levels = cfg["levels"]
    uppers = [np.empty(shape, dtype=src.dtype) for shape in levels[1:]]
    for region in shard_rows(levels[0], cfg["shards"]):
        block = src[region]  # a view of the mapping; the writer copies what it needs
        write_block(region, block)
        starts = [r.start for r in region]
        for k, upper in enumerate(uppers):
            halve = [c < p for p, c in zip(levels[k], levels[k + 1])]
            block = downsample_slab(block, halve)
            starts = [s // 2 if h else s for s, h in zip(starts, halve)]
            upper[tuple(slice(s, s + n) for s, n in zip(starts, block.shape))] = block
    for k, upper in enumerate(uppers, start=1):
        write_level(k, upper)


def ome_group_attributes(cfg: dict) -> dict:
    """OME-NGFF 0.5 multiscales for the levels written by the TensorStore and zarr-python
    writers (scale = cumulative factor per axis)."""
    names = axis_names(len(cfg["levels"][0]))
    datasets = []
    for k, f in enumerate([[1] * len(names)] + cumulative_factors(cfg["levels"])):
        datasets.append({"path": str(k), "coordinateTransformations": [
            {"type": "scale", "scale": [float(x) for x in f]}]})
    return {"ome": {"version": "0.5", "multiscales": [{
        "axes": [{"name": n, "type": "space"} for n in names], "datasets": datasets,
        **({"type": "mean"} if len(datasets) > 1 else {})}]}}


def write_group_json(store: str, cfg: dict) -> None:
    Path(store).mkdir(parents=True, exist_ok=True)
    (Path(store) / "zarr.json").write_text(json.dumps(
        {"zarr_format": 3, "node_type": "group", "attributes": ome_group_attributes(cfg)}))


def run_tensorstore(src, store: str, cfg: dict) -> dict:
    import tensorstore as ts

    names = axis_names(src.ndim)

    def open_level(k: int):
        shape = cfg["levels"][k]
        return ts.open({
            "driver": "zarr3",
            "kvstore": {"driver": "file", "path": f"{store}/{k}"},
            "metadata": {
                "shape": shape, "data_type": DTYPE, "fill_value": 0,
                "dimension_names": names,
                "chunk_grid": {"name": "regular", "configuration": {
                    "chunk_shape": level_shards(shape, cfg["chunks"], cfg["shards"])}},
                "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
                "codecs": [{"name": "sharding_indexed", "configuration": {
                    "chunk_shape": cfg["chunks"],
                    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                               blosc_json(cfg)],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                     {"name": "crc32c"}],
                    "index_location": "end"}}],
            },
            "create": True, "delete_existing": True,
        }).result()

    write_group_json(store, cfg)
    level0 = open_level(0)

    def write_block(region, block):
        level0[region].write(block).result()

    def write_level(k, array):
        open_level(k).write(array, can_reference_source_data_indefinitely=True).result()

    numpy_pyramid_writer(src, cfg, write_block, write_level)
    return {}


def run_zarr_python(src, store: str, cfg: dict) -> dict:
    import zarr

    names = axis_names(src.ndim)
    write_group_json(store, cfg)

    def create(k: int):
        shape = cfg["levels"][k]
        return zarr.create_array(f"{store}/{k}", shape=shape, dtype=DTYPE, chunks=cfg["chunks"],
                                 shards=level_shards(shape, cfg["chunks"], cfg["shards"]),
                                 compressors=[zarr_blosc(cfg)], fill_value=0,
                                 dimension_names=names, zarr_format=3, overwrite=True)

    level0 = create(0)

    def write_block(region, block):
        level0[region] = block

    def write_level(k, array):
        create(k)[...] = array

    numpy_pyramid_writer(src, cfg, write_block, write_level)
    return {}


RUNNERS = {"ours": run_ours, "anu": run_anu, "ngff-zarr": run_ngff_zarr,
           "ome-zarr": run_ome_zarr, "tensorstore": run_tensorstore,
           "zarr-python": run_zarr_python}


def child_main(cfg: dict) -> None:
    import importlib

    import numpy as np

    tool = cfg["tool"]
    importlib.import_module(TOOL_MODULES[tool])  # imported before the baseline is read
    src = np.load(cfg["volume"], mmap_mode="r")  # every tool reads the same mapping
    baseline_rss = current_rss_bytes()
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    info = RUNNERS[tool](src, cfg["store"], cfg)
    wall = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    info.update(wall_s=wall, cpu_s=cpu, peak_rss_bytes=peak_rss_bytes(),
                baseline_rss_bytes=baseline_rss, source_bytes=int(src.nbytes),
                version=dist_version(TOOL_DISTS[tool]),
                versions={d: dist_version(d) for d in VERSIONED_DEPENDENCIES
                          if dist_version(d) != "?"},
                python=sys.version.split()[0])
    print(RESULT_MARKER + json.dumps(info), flush=True)


def tool_probe_main(tool: str) -> None:
    """Whether the tool imports in this interpreter, and its version."""
    import importlib

    importlib.import_module(TOOL_MODULES[tool])
    print(RESULT_MARKER + json.dumps({"version": dist_version(TOOL_DISTS[tool]),
                                      "python": sys.version.split()[0]}), flush=True)


def layout_main(shape: list[int]) -> None:
    """The automatic layout (project venv): what every tool is asked to write."""
    import numpy as np
    from acquire_zarr.layout import auto_layout

    layout = auto_layout(tuple(shape), ["space"] * len(shape), np.dtype(DTYPE))
    print(RESULT_MARKER + json.dumps({"chunks": list(layout.chunks),
                                      "shards": list(layout.shards)}), flush=True)


# --------------------------------------------------------------------------------------
# Verifier: the project venv, after each run, untimed.
# --------------------------------------------------------------------------------------


def dir_size(path: Path) -> int:
    """Apparent bytes (st_size): what a copy, an archive or an upload of the store holds."""
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def dir_allocated(path: Path) -> int:
    """Bytes the filesystem holds (st_blocks): less than dir_size() for a sparse file --
    ours leaves holes in a shard where it reserved more room than the chunks took."""
    return sum(f.stat().st_blocks * 512 for f in Path(path).rglob("*") if f.is_file())


def verify_main(cfg: dict) -> None:
    """Reads the store back: the root group's OME multiscales (NGFF 0.5), one dataset per
    expected level with the expected shape; level 0 with the requested chunks, shards and
    blosc settings, read in full with TensorStore and compared with the source; each level
    above against the rounded 2x2x2 (2x2 for an image) means of the level below on a few
    planes."""
    import numpy as np
    import tensorstore as ts
    import zarr

    root = Path(cfg["store"])
    problems, out = [], {}
    group = json.loads((root / "zarr.json").read_text())
    ome = group.get("attributes", {}).get("ome", {})
    if ome.get("version") != "0.5":
        problems.append(f"ome.version {ome.get('version')!r}, not '0.5'")
    multiscales = ome.get("multiscales") or [{}]
    paths = [d.get("path") for d in multiscales[0].get("datasets", [])]
    out["level_paths"] = paths
    src = np.load(cfg["volume"], mmap_mode="r")
    want_levels = cfg["levels"]
    arrays = []
    for path in paths:
        try:
            arrays.append(zarr.open_array(str(root / path), mode="r"))
        except Exception as e:
            problems.append(f"level {path}: {type(e).__name__}: {e}")
            break
    out["levels"] = [list(a.shape) for a in arrays]
    out["level_layouts"] = [[list(a.chunks), list(a.shards or ())] for a in arrays]
    # The same number of levels, halving the same axes; an odd extent may round down
    # (ngff-zarr and ome-zarr-py drop the odd plane) or up (ours, which repeats it).
    if len(out["levels"]) != len(want_levels):
        problems.append(f"{len(out['levels'])} levels {out['levels']}, want {want_levels}")
    for k in range(1, min(len(out["levels"]), len(want_levels))):
        prev, got, want = out["levels"][k - 1], out["levels"][k], want_levels[k]
        halved = [w < p for w, p in zip(want, want_levels[k - 1])]
        if any(g not in ((p // 2, (p + 1) // 2) if h else (p,))
               for g, p, h in zip(got, prev, halved)):
            problems.append(f"level {k} shape {got}, want {want} (halving {prev})")
    out["levels_as_ours"] = out["levels"] == want_levels
    if arrays:
        a0 = arrays[0]
        out["level0_bytes"] = dir_size(root / paths[0])
        if a0.dtype != np.dtype(DTYPE):
            problems.append(f"level 0 dtype {a0.dtype}")
        if list(a0.chunks) != cfg["chunks"] or list(a0.shards or ()) != cfg["shards"]:
            problems.append(f"level 0 chunks {a0.chunks} shards {a0.shards}, want "
                            f"{cfg['chunks']} / {cfg['shards']}")
        meta = json.loads((root / paths[0] / "zarr.json").read_text())
        blosc = [c for c in _inner_codecs(meta) if c.get("name") == "blosc"]
        want = CODECS[cfg["codec"]]
        got = blosc[0]["configuration"] if blosc else {}
        if (got.get("cname"), got.get("clevel"), got.get("shuffle")) != (*want, "shuffle"):
            problems.append(f"level 0 codecs {_inner_codecs(meta)}, want blosc {want} shuffle")
    if not problems:
        # Level 0 in full, one shard row (z) at a time, with TensorStore (fast, threaded).
        t = ts.open({"driver": "zarr3",
                     "kvstore": {"driver": "file", "path": str(root / paths[0])}},
                    read=True).result()
        step = cfg["shards"][0]
        for z in range(0, src.shape[0], step):
            z1 = min(z + step, src.shape[0])  # TensorStore refuses a slice past the end
            got = t[z:z1].read().result()
            if not np.array_equal(got, src[z:z1]):
                bad = np.argwhere(got != src[z:z + step])[0]
                problems.append(f"level 0 differs from the source at {[int(z + bad[0]), *map(int, bad[1:])]}")
                break
        out["level0_compared"] = not problems
    # Levels above: planes (rows, for a 2-D image) at the middle of each, against the
    # rounded means of the level below (complete 2-blocks only: tools differ at an odd edge).
    worst = 0.0
    for k in range(1, len(arrays)):
        if problems:
            break
        below, above = arrays[k - 1], arrays[k]
        halve = [c < p for p, c in zip(below.shape, above.shape)]
        z = above.shape[0] // 2
        zs = slice(z, z + 2)
        bz = slice(2 * z, 2 * z + 4) if halve[0] else zs
        lo = np.asarray(below[bz]).astype(np.float64)
        hi = np.asarray(above[zs]).astype(np.float64)
        crop = [n // 2 if h else n for n, h in zip(lo.shape, halve)]
        crop = [min(c, n) for c, n in zip(crop, hi.shape)]
        lo = lo[tuple(slice(0, 2 * c if h else c) for c, h in zip(crop, halve))]
        shape = []
        for c, h in zip(crop, halve):
            shape += [c, 2 if h else 1]
        mean = lo.reshape(shape).mean(axis=tuple(range(1, 2 * lo.ndim, 2)))
        diff = float(np.abs(hi[tuple(slice(0, c) for c in crop)] - mean).max())
        worst = max(worst, diff)
        if diff > 1.0:
            problems.append(f"level {k}: max |level - mean of level {k - 1}| = {diff:.1f} (> 1)")
    out["level_max_abs_diff"] = worst
    print(RESULT_MARKER + json.dumps({"ok": not problems, "problems": problems, **out}),
          flush=True)


def _inner_codecs(meta: dict) -> list:
    """The codecs inside the shard (or the array's own, unsharded)."""
    codecs = meta.get("codecs", [])
    for c in codecs:
        if c.get("name") == "sharding_indexed":
            return c["configuration"]["codecs"]
    return codecs


# --------------------------------------------------------------------------------------
# Parent side: orchestration, standard library only.
# --------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def python_of(tool: str) -> Path:
    if tool in EXTERNAL_VENVS:
        return EXTERNAL_VENVS[tool][0] / "bin" / "python"
    return OURS_PYTHON


def child_env() -> dict:
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "ZARR_DIRECT_IO")}


def parse_result(stdout: str, stderr: str, returncode: int, what: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
    raise RuntimeError(f"{what} exited {returncode}: " + (lines[-1] if lines else "no output"))


def run_python(python: Path, args: list[str], what: str, timeout: float = CHILD_TIMEOUT_S) -> dict:
    proc = subprocess.run([str(python), str(Path(__file__).resolve()), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=HERE,
                          env=child_env())
    return parse_result(proc.stdout, proc.stderr, proc.returncode, what)


def proc_status(pid: int) -> dict:
    """VmRSS and its parts (kB -> bytes) of a running process; {} once it is gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return out


def run_sampled(python: Path, args: list[str], what: str) -> tuple[dict, dict]:
    """Runs a child and samples its /proc status every 20 ms from here (no GIL of the
    child's in the way). Returns its result and the peaks: VmRSS and RssAnon -- the
    tool's own heap, without the file pages of the memory-mapped source (RssShmem on
    tmpfs), which every tool touches in full and ru_maxrss counts."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([str(python), str(Path(__file__).resolve()), *args],
                                stdout=out, stderr=err, text=True, cwd=HERE, env=child_env())
        peaks = {"VmRSS": 0, "RssAnon": 0}
        deadline = time.monotonic() + CHILD_TIMEOUT_S
        while proc.poll() is None:
            st = proc_status(proc.pid)
            for k in peaks:
                peaks[k] = max(peaks[k], st.get(k, 0))
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        return parse_result(out.read(), err.read(), proc.returncode, what), peaks


def find_python(minimum: tuple[int, int]) -> Path | None:
    """The oldest Python >= minimum here (this one, pythonX.Y on PATH, pyenv's versions):
    the one the tools' wheels most surely exist for."""
    candidates = [sys.executable]
    for minor in range(20, minimum[1] - 1, -1):
        found = shutil.which(f"python3.{minor}")
        if found:
            candidates.append(found)
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    best = None
    for c in candidates:
        r = subprocess.run([c, "-c", "import sys, venv; print('%d %d' % sys.version_info[:2])"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            continue  # e.g. a pyenv shim without that version selected
        version = tuple(int(x) for x in r.stdout.split())
        if version >= minimum and (best is None or version < best[0]):
            best = (version, Path(c))
    return best[1] if best else None


def ensure_venv(tool: str) -> str | None:
    """Creates the tool's venv on first use (python -m venv + pip from PyPI). Returns
    why it cannot be had, or None."""
    venv_dir, requirements, minimum = EXTERNAL_VENVS[tool]
    python = venv_dir / "bin" / "python"
    if python.exists():
        return None
    base = find_python(minimum)
    if base is None:
        return (f"needs Python >= {minimum[0]}.{minimum[1]} (its releases on PyPI require it), "
                "none found")
    log(f"{tool}: creating {venv_dir} with {base} and pip install {' '.join(requirements)} ...")
    r = subprocess.run([str(base), "-m", "venv", "--clear", str(venv_dir)],
                       capture_output=True, text=True)
    if r.returncode == 0:
        r = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *requirements],
                           capture_output=True, text=True)
    if r.returncode != 0:
        lines = [ln for ln in (r.stderr + r.stdout).splitlines() if ln.startswith("ERROR")]
        shutil.rmtree(venv_dir, ignore_errors=True)
        return "pip install failed: " + (" ".join(lines)[-300:] if lines else "see pip's output")
    return None


def skip_reason(tool: str, pyramid: bool) -> str | None:
    if tool == "anu" and pyramid:
        return ("dataset_to_zarr writes level 0 only: anu-ctlab-io has no pyramid "
                "(no levels, no downsampling option)")
    return None


def case_name(tool: str, pyramid: bool) -> str:
    return f"{tool}{' +pyramid' if pyramid else ''}"


def run_case(tool: str, pyramid: bool, args, layout: dict) -> dict:
    store = STORE_DIR / f"{tool}-{'pyramid' if pyramid else 'flat'}.ome.zarr"
    shutil.rmtree(store, ignore_errors=True)
    cfg = {"tool": tool, "pyramid": pyramid, "store": str(store), "volume": str(args.volume),
           "codec": args.codec, "chunks": layout["chunks"], "shards": layout["shards"],
           "levels": level_shapes(args.shape, layout["chunks"], pyramid),
           "max_threads": args.max_threads}
    warm_memory(args.warm_gib)
    try:
        result, peaks = run_sampled(python_of(tool), ["--child", json.dumps(cfg)],
                                    case_name(tool, pyramid))
        result["sampled_peak_rss_bytes"] = peaks["VmRSS"]
        result["sampled_peak_anon_bytes"] = peaks["RssAnon"]
        result["stored_bytes"] = dir_size(store)
        result["allocated_bytes"] = dir_allocated(store)
        check = run_python(OURS_PYTHON, ["--verify", json.dumps(cfg)], "verify")
        result["verified"] = check.pop("ok")
        result.update(check)
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return result


def summarize(runs: list[dict]) -> dict:
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    src = runs[0]["source_bytes"]
    return {
        "wall_s": med("wall_s"), "wall_min": min(r["wall_s"] for r in runs),
        "wall_max": max(r["wall_s"] for r in runs),
        "gbps": src / med("wall_s") / 1e9, "cpu_s": med("cpu_s"),
        "peak_mib": med("peak_rss_bytes") / MIB, "anon_mib": med("sampled_peak_anon_bytes") / MIB,
        "base_mib": med("baseline_rss_bytes") / MIB,
        "out_mib": med("stored_bytes") / MIB, "ratio": src / med("stored_bytes"),
        "alloc_mib": med("allocated_bytes") / MIB,
        "ratio0": src / statistics.median(r.get("level0_bytes", r["stored_bytes"]) for r in runs),
        "levels": runs[0].get("levels"), "verified": all(r["verified"] for r in runs),
        "problems": sorted({p for r in runs for p in r["problems"]}),
        "level_diff": max(r.get("level_max_abs_diff", 0.0) for r in runs),
        "version": runs[0]["version"], "n": len(runs),
    }


def render(summaries: dict, failures: dict, skipped: dict, args, layout: dict, notes: list) -> str:
    shape = "×".join(map(str, args.shape))
    gib = math.prod(args.shape) * 2 / 2**30
    cname, clevel = CODECS[args.codec]
    out = [f"Source: {shape} {DTYPE} ({gib:.2f} GiB), a .npy on {args.target} memory-mapped by "
           f"every tool; output OME-Zarr v3 / NGFF 0.5, chunks {'×'.join(map(str, layout['chunks']))}, "
           f"shards {'×'.join(map(str, layout['shards']))}, Blosc {cname} level {clevel} byte shuffle; "
           f"pyramid = MEAN, levels until one chunk. Medians of {args.runs} run(s), each a fresh "
           "process, cases shuffled per round; GB = 1e9 bytes of source.", "",
           "| tool | pyramid | s (min–max) | GB/s | × ours time | CPU s | peak RSS MiB "
           "| peak anon MiB | × ours anon | baseline MiB | output MiB (on disk) | ratio (L0) | levels | verified |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for pyramid in args.pyramids:
        ours = summaries.get(("ours", pyramid))
        for tool in args.tools:
            key = (tool, pyramid)
            p = "yes" if pyramid else "no"
            if key in skipped:
                out.append(f"| {tool} | {p} | cannot: {skipped[key]} | | | | | | | | | | | |")
                continue
            if key in failures and key not in summaries:
                out.append(f"| {tool} | {p} | FAILED: {failures[key]} | | | | | | | | | | | |")
                continue
            s = summaries.get(key)
            if s is None:
                continue
            rt = f"{s['wall_s'] / ours['wall_s']:.2f}×" if ours else "–"
            rm = f"{s['anon_mib'] / ours['anon_mib']:.2f}×" if ours else "–"
            ver = "yes" if s["verified"] else "NO: " + "; ".join(s["problems"])[:200]
            levels = len(s["levels"] or [])
            out.append(
                f"| {tool} | {p} | {s['wall_s']:.1f} ({s['wall_min']:.1f}–{s['wall_max']:.1f}) "
                f"| {s['gbps']:.2f} | {rt} | {s['cpu_s']:.1f} | {s['peak_mib']:.0f} "
                f"| {s['anon_mib']:.0f} | {rm} | {s['base_mib']:.0f} | {s['out_mib']:.0f} ({s['alloc_mib']:.0f}) "
                f"| {s['ratio']:.2f} ({s['ratio0']:.2f}) | {levels} | {ver} |")
    out += ["", "Target (issue 10): ours the fastest by ≥2× and with less peak memory than any:"]
    for pyramid in args.pyramids:
        ours = summaries.get(("ours", pyramid))
        others = {t: s for (t, p), s in summaries.items() if p == pyramid and t != "ours"}
        if not ours or not others:
            continue
        fastest = min(others, key=lambda t: others[t]["wall_s"])
        speed = others[fastest]["wall_s"] / ours["wall_s"]
        leanest_rss = min(others, key=lambda t: others[t]["peak_mib"])
        leanest_anon = min(others, key=lambda t: others[t]["anon_mib"])
        ok_speed = speed >= TARGET_SPEEDUP
        ok_mem = ours["peak_mib"] < others[leanest_rss]["peak_mib"] and \
            ours["anon_mib"] < others[leanest_anon]["anon_mib"]
        out.append(
            f"- pyramid {'yes' if pyramid else 'no'}: fastest other is {fastest} "
            f"({others[fastest]['wall_s']:.1f} s), ours {ours['wall_s']:.1f} s → {speed:.2f}× "
            f"({'met' if ok_speed else 'NOT met'}); peak RSS ours {ours['peak_mib']:.0f} vs "
            f"least other {others[leanest_rss]['peak_mib']:.0f} MiB ({leanest_rss}), peak anon ours "
            f"{ours['anon_mib']:.0f} vs {others[leanest_anon]['anon_mib']:.0f} MiB ({leanest_anon}) "
            f"({'met' if ok_mem else 'NOT met'})")
    level_notes = []
    for (tool, pyramid), s in sorted(summaries.items()):
        if pyramid and s["levels"]:
            level_notes.append(f"{tool} max |level k − mean of level k−1| {s['level_diff']:.2f}")
    if level_notes:
        out += ["", "Pyramid values (middle planes of every level): " + "; ".join(level_notes)]
    if notes:
        out += ["", *[f"Note: {n}" for n in notes]]
    return "\n".join(out)


def parse_list(value: str, allowed) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(allowed)}")
    return items


def parse_shape(value: str) -> list[int]:
    """ZxYxX (a volume) or YxX (a 2-D image)."""
    try:
        shape = [int(v) for v in value.lower().replace("×", "x").split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--shape {value!r}: want e.g. 1024x1024x1024 or 16384x16384") from None
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"--shape {value!r}: want three positive extents (z,y,x) or two (y,x)")
    return shape


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="repetitions of every case (default 3)")
    ap.add_argument("--shape", type=parse_shape, default=None,
                    help="volume ZxYxX, default 1024x768x768 (1.125 GiB of uint16); 1024x1024x1024 "
                         "= 2 GiB; or a 2-D image YxX, e.g. 16384x16384 (512 MiB)")
    ap.add_argument("--size-gib", type=float, default=None,
                    help="instead of --shape: a cube of about this many GiB (edge rounded to 32)")
    ap.add_argument("--codec", choices=tuple(CODECS), default="zstd",
                    help="Blosc1 inner codec, level 1, byte shuffle, for every tool (default zstd)")
    ap.add_argument("--tools", type=lambda v: parse_list(v, TOOLS), default=list(TOOLS),
                    help=f"comma list of {','.join(TOOLS)} (default all)")
    ap.add_argument("--pyramid", choices=("on", "off", "both"), default="both",
                    help="with the MEAN pyramid, without, or both (default)")
    ap.add_argument("--target", type=Path, default=DEFAULT_TARGET,
                    help="directory for the volume and the stores (default /dev/shm, tmpfs)")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--json", type=Path, help="write every raw run here")
    ap.add_argument("--max-threads", type=int, default=0,
                    help="to_ome_zarr's max_threads (0 = all cores)")
    ap.add_argument("--warm-gib", type=float, default=6.0,
                    help="before each case touch and free this many GiB (default 6; 0 = off)")
    ap.add_argument("--keep-volume", action="store_true",
                    help="leave the generated volume in <target>/aqz-convert-bench for the next "
                         "invocation (it is reused when present)")
    ap.add_argument("--seed", type=int, default=0, help="seed for the case order")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--verify", help=argparse.SUPPRESS)
    ap.add_argument("--make-volume", help=argparse.SUPPRESS)
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    ap.add_argument("--layout", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        return child_main(json.loads(args.child))
    if args.verify:
        return verify_main(json.loads(args.verify))
    if args.make_volume:
        path, shape = json.loads(args.make_volume)
        make_volume(Path(path), shape, VOLUME_SEED)
        print(RESULT_MARKER + "{}")
        return
    if args.probe:
        return tool_probe_main(args.probe)
    if args.layout:
        return layout_main(json.loads(args.layout))

    if args.shape is None:
        if args.size_gib is not None:
            edge = round((args.size_gib * 2**30 / 2) ** (1 / 3) / 32) * 32
            args.shape = [max(edge, 32)] * 3
        else:
            args.shape = list(DEFAULT_SHAPE)
    args.pyramids = {"on": [True], "off": [False], "both": [False, True]}[args.pyramid]
    if not OURS_PYTHON.exists():
        sys.exit(f"{OURS_PYTHON} not found: the project venv runs ours, TensorStore, "
                 "zarr-python and the verifier (make install)")
    set_target(args.target)

    notes, skipped, failures = [], {}, {}
    versions = {}
    tools = []
    for tool in args.tools:
        why = ensure_venv(tool) if tool in EXTERNAL_VENVS else None
        if why is None:
            try:
                probe = run_python(python_of(tool), ["--probe", tool], f"{tool} probe", 300)
                versions[tool] = f"{TOOL_DISTS[tool]} {probe['version']} (Python {probe['python']})"
                log(f"{tool}: {versions[tool]}")
                tools.append(tool)
                continue
            except RuntimeError as e:
                why = f"does not import: {e}"
        log(f"{tool}: skipped ({why})")
        for p in args.pyramids:
            skipped[(tool, p)] = why
    layout = run_python(OURS_PYTHON, ["--layout", json.dumps(args.shape)], "layout")
    log(f"layout: chunks {layout['chunks']}, shards {layout['shards']}; levels with the pyramid: "
        f"{level_shapes(args.shape, layout['chunks'], True)}")

    volume = volume_path(args.target, args.shape, VOLUME_SEED)
    args.volume = volume
    shutil.rmtree(BENCH_ROOT, ignore_errors=True)
    STORE_DIR.mkdir(parents=True)
    results: dict = {}
    raw = []
    try:
        if not volume.exists():
            log(f"generating {volume} ...")
            t = time.perf_counter()
            partial = volume.with_suffix(".partial.npy")
            run_python(OURS_PYTHON, ["--make-volume", json.dumps([str(partial), args.shape])],
                       "make-volume")
            partial.rename(volume)  # only a complete volume is ever reused
            log(f"generated in {time.perf_counter() - t:.0f} s")
        cases = []
        for tool in tools:
            for pyramid in args.pyramids:
                reason = skip_reason(tool, pyramid)
                if reason:
                    skipped[(tool, pyramid)] = reason
                else:
                    cases.append((tool, pyramid))
        rng = random.Random(args.seed)
        load_before = os.getloadavg()
        started = time.monotonic()
        for run in range(args.runs):
            order = cases[:]
            rng.shuffle(order)  # a fresh order every round, so drift hits everyone alike
            for tool, pyramid in order:
                name = case_name(tool, pyramid)
                try:
                    r = run_case(tool, pyramid, args, layout)
                except Exception as e:
                    failures[(tool, pyramid)] = str(e)[:300]
                    log(f"[run {run + 1}/{args.runs}] {name:22s} FAILED: {failures[(tool, pyramid)]}")
                    continue
                results.setdefault((tool, pyramid), []).append(r)
                raw.append({"run": run, "tool": tool, "pyramid": pyramid, **r})
                log(f"[run {run + 1}/{args.runs}] {name:22s} {r['wall_s']:6.1f} s "
                    f"{r['source_bytes'] / r['wall_s'] / 1e9:5.2f} GB/s  cpu {r['cpu_s']:6.1f} s  "
                    f"peak {r['peak_rss_bytes'] / MIB:6.0f} MiB  anon {r['sampled_peak_anon_bytes'] / MIB:6.0f} MiB  "
                    f"out {r['stored_bytes'] / MIB:6.0f} MiB  "
                    + ("ok" if r["verified"] else "VERIFY FAILED " + "; ".join(r["problems"])))
        load_after = os.getloadavg()
        notes.append(f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
                     f"{load_after[0]:.2f} after; {time.monotonic() - started:.0f} s in all")
    finally:
        shutil.rmtree(BENCH_ROOT, ignore_errors=True)
        if not args.keep_volume:
            volume.unlink(missing_ok=True)
        try:
            BENCH_ROOT.parent.rmdir()  # only if nothing else is left there
        except OSError:
            pass

    summaries = {k: summarize(v) for k, v in results.items()}
    if raw:
        extra = sorted({f"{k} {v}" for r in raw for k, v in r["versions"].items()
                        if r["tool"] in ("ours",)})
        notes.append("versions: " + "; ".join(versions[t] for t in tools)
                     + (f"; project venv: {', '.join(extra)}" if extra else ""))
        for tool in tools:
            if tool in EXTERNAL_VENVS:
                deps = next((r["versions"] for r in raw if r["tool"] == tool), {})
                notes.append(f"{tool} venv: " + ", ".join(f"{k} {v}" for k, v in deps.items()))
    table = render(summaries, failures, skipped, args, layout, notes)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(raw))


if __name__ == "__main__":
    main()

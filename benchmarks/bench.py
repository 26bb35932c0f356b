#!/usr/bin/env python3
"""Streaming-write benchmark: this project vs. the published acquire-zarr wheel vs. TensorStore.

Workload (issue 2, "Speed and memory"): 2048x2048 uint16 frames, one frame per append,
256 frames by default, Zarr v3 with dims t (unbounded, TIME) / y / x (SPACE), chunks
64x256x256 (t, y, x), shards 1x8x8 chunks, for three codecs:

    none  uncompressed
    lz4   Blosc1 LZ4,  level 1, byte shuffle
    zstd  Blosc1 Zstd, level 1, byte shuffle

and one pyramid case (acquire-zarr only; TensorStore has no streaming pyramid):

    lz4-mean  lz4, plus a multiscale pyramid (downsampling_method MEAN): the store root is
              an OME-Zarr image group with arrays "0" (the frames), "1" (1024x1024), ...

For every implementation x codec the harness starts a fresh child process (so peak RSS is
that case's alone), which loads the pre-generated frames, then times

    create the writer -> append every frame (each append timed) -> close()

and reports wall time, per-append latencies and its own peak RSS (ru_maxrss). Afterwards,
untimed, the output is opened with zarr-python and checked (shape, layout, two frames; for
the pyramid also the levels and level 1's values against 2x2 means of level 0).

Stores go to tmpfs (/dev/shm) unless `--target DIR` says otherwise; `--direct-io on|both` also
runs the acquire-zarr writers with ZARR_DIRECT_IO=1 (cases "ours+direct", "published+direct"),
and the table gives the page cache each stream left behind.

Run `python benchmarks/bench.py --help`; see benchmarks/README.md for what the numbers mean.

The orchestrating process needs only the standard library; the children need numpy (and
`acquire_zarr` or `tensorstore`), the verifier needs zarr-python -- the project's venv has
all of them, the published wheel gets a venv of its own (created on first use).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OURS_PYTHON = REPO / ".venv" / "bin" / "python"
PUBLISHED_VENV = HERE / ".venv-published"
PUBLISHED_PYTHON = PUBLISHED_VENV / "bin" / "python"
PUBLISHED_REQUIREMENT = "acquire-zarr==0.10.0"

# Default target tmpfs: we measure the writer, not a disk (--target picks another
# directory, e.g. on a real disk). One sub-directory per invocation, so two benchmarks
# started at once don't delete each other's files. Set by set_target().
DEFAULT_TARGET = Path("/dev/shm")
BENCH_ROOT = DEFAULT_TARGET / "aqz-bench" / f"run-{os.getpid()}"
FRAMES_FILE = BENCH_ROOT / "frames.npy"
STORE_DIR = BENCH_ROOT / "stores"

# --direct-io: the acquire-zarr writers (ours and the published wheel honour the same
# variable) run with ZARR_DIRECT_IO=1 in their environment; those cases are named
# "<impl>+direct". TensorStore has no such switch and always writes buffered.
DIRECT_SUFFIX = "+direct"
DIRECT_IMPLS = ("ours", "published")

FRAME_SHAPE = (2048, 2048)  # (y, x)
DTYPE = "uint16"
CHUNK_SHAPE = (64, 256, 256)  # (t, y, x)
# Chunks per shard along (t, y, x); --shard-t sets the first (children
# inherit it through the environment).
SHARD_CHUNKS = (int(os.environ.get("AQZ_BENCH_SHARD_T", "1")), 8, 8)
DISTINCT_FRAMES = 8  # frames cycled through; 8 x 8 MiB = 64 MiB of baseline RSS
FRAME_SEED = 20240611

IMPLS = ("ours", "published", "tensorstore")
# codec name -> (blosc cname, clevel, shuffle) or None for uncompressed
CODECS = {"none": None, "lz4": ("lz4", 1, 1), "zstd": ("zstd", 1, 1)}

# Pyramid cases: name -> (codec of every level, DownsamplingMethod member). The writer's
# store root becomes an OME-Zarr image group holding one array per level: "0" is the full
# resolution (what is appended), "1" halves y and x, and so on. Not run for TensorStore.
PYRAMIDS = {"lz4-mean": ("lz4", "MEAN")}
CASES = (*CODECS, *PYRAMIDS)  # what --codec accepts

# Issue 2 targets for ours vs. published: throughput ratio per codec, and peak RSS <= published.
TARGET_SPEEDUP = {"none": 2.0, "lz4": 1.5}
# Pyramid targets (issue text): throughput >= 1.5x the published wheel's on the same pyramid
# workload, and wall time <= 1.4x our own plain stream with the same codec (PYRAMIDS[case][0]).
PYRAMID_TARGET_SPEEDUP = 1.5
PYRAMID_TARGET_COST = 1.4
# Largest allowed |level 1 - mean of its 2x2 block of level 0|: ours rounds the mean to the
# nearest integer (ties to even), the published wheel truncates it.
PYRAMID_MEAN_TOLERANCE = {"ours": 0.5, "published": 1.0}

CHILD_TIMEOUT_S = 900
RESULT_MARKER = "BENCH-RESULT "


# --------------------------------------------------------------------------------------
# Child side: runs in a fresh interpreter of the implementation's venv.
# --------------------------------------------------------------------------------------


def make_frames(path: Path, n_distinct: int, seed: int) -> None:
    """Write `n_distinct` realistic frames to `path` (.npy): smooth background + bright
    blobs that drift from frame to frame + Poisson shot noise. Compressible, but not
    trivially so (about what a camera on a fluorescence microscope produces)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    h, w = FRAME_SHAPE
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    scene = 100.0 + 40.0 * np.sin(xx / 170.0) * np.cos(yy / 230.0)  # uneven illumination
    for _ in range(400):  # "cells": gaussian blobs, added in a window around each centre
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        sigma = rng.uniform(4.0, 25.0)
        amp = rng.uniform(200.0, 3000.0)
        r = int(3 * sigma) + 1
        y0, y1 = max(int(cy) - r, 0), min(int(cy) + r, h)
        x0, x1 = max(int(cx) - r, 0), min(int(cx) + r, w)
        gy = np.exp(-((np.arange(y0, y1) - cy) ** 2) / (2 * sigma**2))
        gx = np.exp(-((np.arange(x0, x1) - cx) ** 2) / (2 * sigma**2))
        scene[y0:y1, x0:x1] += amp * np.outer(gy, gx)
    frames = np.empty((n_distinct, h, w), dtype=np.uint16)
    for k in range(n_distinct):
        drifted = np.roll(scene, shift=(3 * k, 2 * k), axis=(0, 1)) * (1.0 - 0.01 * k)
        frames[k] = np.clip(rng.poisson(drifted), 0, 65535)
    np.save(path, frames)


def set_target(target: Path) -> None:
    global BENCH_ROOT, FRAMES_FILE, STORE_DIR
    BENCH_ROOT = Path(target) / "aqz-bench" / f"run-{os.getpid()}"
    FRAMES_FILE = BENCH_ROOT / "frames.npy"
    STORE_DIR = BENCH_ROOT / "stores"


def base_impl(impl: str) -> str:
    """"ours+direct" -> "ours": the writer, whatever its I/O mode."""
    return impl[: -len(DIRECT_SUFFIX)] if impl.endswith(DIRECT_SUFFIX) else impl


def is_direct(impl: str) -> bool:
    return impl.endswith(DIRECT_SUFFIX)


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding `path` (its mount in /proc/mounts)."""
    best, kind = "", "?"
    try:
        real = os.path.realpath(path)
        with open("/proc/mounts") as f:
            for line in f:
                fields = line.split()
                point = fields[1].replace("\\040", " ")
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


def page_cache_bytes() -> int:
    """The kernel's page cache now ("Cached" in /proc/meminfo: file pages, tmpfs
    included)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Cached:"):
                return int(line.split()[1]) * 1024
    return 0


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cpu_seconds() -> float:
    """user + system CPU time of this process, all threads."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def compression_of(case: str) -> str:
    """The codec (a CODECS key) of a case: the case itself, or a pyramid's codec."""
    return PYRAMIDS[case][0] if case in PYRAMIDS else case


def acquire_zarr_settings(aqz, np, store: str, case: str, max_threads: int):
    """The workload in the acquire-zarr (published 0.10.0 == this project's) Python API."""
    codec = compression_of(case)
    dims = [
        aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                      chunk_size_px=CHUNK_SHAPE[0], shard_size_chunks=SHARD_CHUNKS[0]),
        aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=FRAME_SHAPE[0],
                      chunk_size_px=CHUNK_SHAPE[1], shard_size_chunks=SHARD_CHUNKS[1]),
        aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=FRAME_SHAPE[1],
                      chunk_size_px=CHUNK_SHAPE[2], shard_size_chunks=SHARD_CHUNKS[2]),
    ]
    compression = None
    if CODECS[codec] is not None:
        cname, clevel, shuffle = CODECS[codec]
        compression = aqz.CompressionSettings(
            compressor=aqz.Compressor.BLOSC1,
            codec={"lz4": aqz.CompressionCodec.BLOSC_LZ4,
                   "zstd": aqz.CompressionCodec.BLOSC_ZSTD}[cname],
            level=clevel,
            shuffle=shuffle,
        )
    settings = aqz.StreamSettings(store_path=store, version=aqz.ZarrVersion.V3,
                                  overwrite=True, max_threads=max_threads)
    pyramid = {}
    if case in PYRAMIDS:
        pyramid["downsampling_method"] = getattr(aqz.DownsamplingMethod, PYRAMIDS[case][1])
    settings.arrays = [aqz.ArraySettings(output_key="", dimensions=dims, data_type=np.uint16,
                                         compression=compression, **pyramid)]
    return settings


def run_acquire_zarr(frames, n_frames: int, store: str, case: str, max_threads: int) -> dict:
    import numpy as np
    import acquire_zarr as aqz

    aqz.set_log_level(aqz.LogLevel.ERROR)
    settings = acquire_zarr_settings(aqz, np, store, case, max_threads)
    info = {"module": aqz.__file__, "zarr_direct_io": os.environ.get("ZARR_DIRECT_IO", "")}
    try:
        info["estimated_max_memory_bytes"] = int(settings.get_maximum_memory_usage())
    except Exception as e:  # not worth failing the benchmark over
        info["estimated_max_memory_bytes"] = f"error: {e}"

    latencies_ns, rss_samples = [], []
    k = len(frames)
    t0 = time.perf_counter()
    stream = aqz.ZarrStream(settings)
    for i in range(n_frames):
        frame = frames[i % k]
        a = time.perf_counter_ns()
        stream.append(frame)
        latencies_ns.append(time.perf_counter_ns() - a)
        if i % 8 == 7:
            rss_samples.append(current_rss_bytes())
    t_appended = time.perf_counter()
    stream.close()
    t1 = time.perf_counter()
    return dict(info, wall_s=t1 - t0, close_s=t1 - t_appended,
                latencies_ns=latencies_ns, rss_samples=rss_samples)


def tensorstore_spec(store: str, codec: str, n_frames: int) -> dict:
    """The same sharded zarr3 layout acquire-zarr writes, with the same blosc config."""
    inner = [{"name": "bytes", "configuration": {"endian": "little"}}]
    if CODECS[codec] is not None:
        cname, clevel, shuffle = CODECS[codec]
        inner.append({"name": "blosc", "configuration": {
            "cname": cname, "clevel": clevel,
            "shuffle": ["noshuffle", "shuffle", "bitshuffle"][shuffle],
            "typesize": 2, "blocksize": 0}})
    shard_shape = [c * s for c, s in zip(CHUNK_SHAPE, SHARD_CHUNKS)]
    return {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": store},
        "metadata": {
            # TensorStore needs the extent up front (acquire-zarr grows t as frames arrive and
            # writes the final shape at close); the written bytes are the same.
            "shape": [n_frames, *FRAME_SHAPE],
            "data_type": DTYPE,
            "fill_value": 0,
            "dimension_names": ["t", "y", "x"],
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": shard_shape}},
            "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
            "codecs": [{"name": "sharding_indexed", "configuration": {
                "chunk_shape": list(CHUNK_SHAPE),
                "codecs": inner,
                "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                                 {"name": "crc32c"}],
                "index_location": "end",
            }}],
        },
        "create": True,
        "delete_existing": True,
    }


def run_tensorstore(frames, n_frames: int, store: str, codec: str, mode: str) -> dict:
    """Stream frames into TensorStore; each "append" is one frame handed to the writer.

    A chunk layer (64 frames) is exactly one row of shards here, and TensorStore should see
    whole shards at once: written frame by frame without a transaction it would read back
    and re-encode a shard on every write. So frames are gathered per layer, one of:

    "layer" (default): frames are copied into one reusable 64-frame numpy staging buffer
      (this copy is the append, like acquire-zarr copying a frame into its chunk buffers);
      when the layer is full it goes out in one synchronous `write()` of whole shards, which
      may reference the buffer (no second copy). The 64th append carries the encode + write.
      Chosen because it was the fastest and leanest: same or lower CPU time than "txn" at
      256 frames, clearly lower at 1024 (10.6 vs 13.8 CPU s), and its RSS stays flat
      (~940 MiB) where both transaction modes kept growing (2.2 / 3.3 GiB at 1024 frames).
    "txn": each frame is written into a transaction (TensorStore copies it into its own
      chunk buffers, ~3 ms per frame) and the transaction is committed when the layer is full.
    "txn-async": like "txn", but the commit runs in the background while the next layer is
      filled (at most one commit in flight). Smaller p99, no more throughput on 2 cores.
    """
    import numpy as np
    import tensorstore as ts

    spec = tensorstore_spec(store, codec, n_frames)
    layer = CHUNK_SHAPE[0]
    k = len(frames)
    latencies_ns, rss_samples = [], []

    t0 = time.perf_counter()
    ds = ts.open(spec).result()
    txn, in_flight = ts.Transaction(), None
    staging = np.empty((layer, *FRAME_SHAPE), dtype=np.uint16) if mode == "layer" else None
    for i in range(n_frames):
        frame = frames[i % k]
        a = time.perf_counter_ns()
        layer_full = i % layer == layer - 1 or i == n_frames - 1
        if mode == "layer":
            staging[i % layer] = frame
            if layer_full:
                start = i - i % layer
                ds[start:i + 1].write(staging[: i + 1 - start],
                                      can_reference_source_data_indefinitely=True).result()
        else:
            ds.with_transaction(txn)[i].write(frame).result()
            if layer_full:
                if mode == "txn":
                    txn.commit_sync()
                else:
                    if in_flight is not None:
                        in_flight.result()  # back-pressure: at most one commit in flight
                    in_flight = txn.commit_async()
                txn = ts.Transaction()
        latencies_ns.append(time.perf_counter_ns() - a)
        if i % 8 == 7:
            rss_samples.append(current_rss_bytes())
    t_appended = time.perf_counter()
    if in_flight is not None:
        in_flight.result()
    del ds  # "close": nothing is left buffered once the commits are done
    t1 = time.perf_counter()
    return dict(module=ts.__file__, ts_mode=mode, wall_s=t1 - t0, close_s=t1 - t_appended,
                latencies_ns=latencies_ns, rss_samples=rss_samples)


def child_main(cfg: dict) -> None:
    import numpy as np

    frames = np.load(cfg["frames_file"])  # read into anonymous memory, like camera buffers
    frames = [np.ascontiguousarray(f) for f in frames]
    n_frames, store, codec = cfg["frames"], cfg["store"], cfg["codec"]
    impl = base_impl(cfg["impl"])
    if impl == "tensorstore":
        import tensorstore  # noqa: F401  (import before the baseline is read)
    else:
        import acquire_zarr  # noqa: F401
    baseline_rss = current_rss_bytes()
    baseline_peak = peak_rss_bytes()

    cpu0 = cpu_seconds()
    if impl == "tensorstore":
        result = run_tensorstore(frames, n_frames, store, codec, cfg["ts_mode"])
    else:
        result = run_acquire_zarr(frames, n_frames, store, codec, cfg["max_threads"])
    result.update(
        cpu_s=cpu_seconds() - cpu0,  # includes settings/open, a few ms
        baseline_rss_bytes=baseline_rss,
        baseline_peak_rss_bytes=baseline_peak,
        peak_rss_bytes=peak_rss_bytes(),
        bytes_appended=n_frames * FRAME_SHAPE[0] * FRAME_SHAPE[1] * 2,
        numpy=np.__version__,
    )
    try:
        from importlib.metadata import version

        result["version"] = version("tensorstore" if impl == "tensorstore" else "acquire-zarr")
    except Exception:
        result["version"] = "?"
    print(RESULT_MARKER + json.dumps(result), flush=True)


def verify_main(cfg: dict) -> None:
    """Untimed check of a written store with zarr-python: shape, layout, frame contents.

    For a pyramid case the same checks apply to level 0 (array "0" of the image group at the
    store root); then the group's OME multiscales must list "0", "1", ..., every level must
    have y and x halved (rounded up) from the one before, and level 1 at the two checked
    frames must be the mean of the 2x2 blocks of level 0 (within PYRAMID_MEAN_TOLERANCE)."""
    import numpy as np
    import zarr

    frames = np.load(cfg["frames_file"])
    n = cfg["frames"]
    case = cfg["codec"]
    root = Path(cfg["store"])
    level0 = root / "0" if case in PYRAMIDS else root
    arr = zarr.open_array(str(level0), mode="r")
    problems = []
    if tuple(arr.shape) != (n, *FRAME_SHAPE):
        problems.append(f"shape {tuple(arr.shape)} != {(n, *FRAME_SHAPE)}")
    if arr.dtype != np.dtype(DTYPE):
        problems.append(f"dtype {arr.dtype} != {DTYPE}")
    shard_shape = tuple(c * s for c, s in zip(CHUNK_SHAPE, SHARD_CHUNKS))
    if tuple(arr.shards or ()) != shard_shape or tuple(arr.chunks) != CHUNK_SHAPE:
        problems.append(f"shards {arr.shards} / chunks {arr.chunks} != {shard_shape} / {CHUNK_SHAPE}")
    meta = json.loads((level0 / "zarr.json").read_text())
    inner = meta["codecs"][0]["configuration"]["codecs"]
    blosc = [c for c in inner if c["name"] == "blosc"]
    want = CODECS[compression_of(case)]
    if want is None and blosc:
        problems.append(f"unexpected compressor {blosc}")
    if want is not None:
        got = blosc[0]["configuration"] if blosc else {}
        if (got.get("cname"), got.get("clevel"), got.get("shuffle")) != (want[0], want[1], "shuffle"):
            problems.append(f"blosc config {got} != {want}")
    checked = sorted({n // 2, n - 1})
    level0_frames = {}
    if not problems:
        for t in checked:
            level0_frames[t] = arr[t]
            if not np.array_equal(level0_frames[t], frames[t % len(frames)]):
                problems.append(f"frame {t} differs")
    result = {}
    if case in PYRAMIDS and not problems:
        result = verify_pyramid(cfg, root, level0_frames, problems)
    print(RESULT_MARKER + json.dumps({"ok": not problems, "problems": problems, **result}),
          flush=True)


def verify_pyramid(cfg: dict, root: Path, level0_frames: dict, problems: list) -> dict:
    """The levels above level 0 (see verify_main). Returns the level shapes found."""
    import numpy as np
    import zarr

    n = cfg["frames"]
    group = json.loads((root / "zarr.json").read_text())
    if group.get("node_type") != "group":
        problems.append(f"store root is a {group.get('node_type')}, not a group")
    multiscales = group.get("attributes", {}).get("ome", {}).get("multiscales") or [{}]
    paths = [d.get("path") for d in multiscales[0].get("datasets", [])]
    if len(paths) < 2 or paths != [str(i) for i in range(len(paths))]:
        problems.append(f"multiscales datasets {paths}, want 0, 1, ...")
    shapes, want = [], (n, *FRAME_SHAPE)
    for level, path in enumerate(paths):
        try:
            a = zarr.open_array(str(root / path), mode="r")
        except Exception as e:
            problems.append(f"level {path}: {type(e).__name__}: {e}")
            break
        shapes.append(list(a.shape))
        if level > 0:
            want = (n, (want[1] + 1) // 2, (want[2] + 1) // 2)
        if tuple(a.shape) != want or a.dtype != np.dtype(DTYPE):
            problems.append(f"level {path}: {tuple(a.shape)} {a.dtype}, want {want} {DTYPE}")
    if problems:
        return {"levels": shapes}

    level1 = zarr.open_array(str(root / "1"), mode="r")
    tolerance = PYRAMID_MEAN_TOLERANCE[base_impl(cfg["impl"])]
    worst = 0.0
    for t, full in level0_frames.items():  # whole frames: a superset of a spot check
        h, w = FRAME_SHAPE
        mean = full.astype(np.float64).reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        diff = np.abs(level1[t].astype(np.float64) - mean)
        worst = max(worst, float(diff.max()))
        if diff.max() > tolerance:
            y, x = np.unravel_index(int(diff.argmax()), diff.shape)
            problems.append(f"level 1 frame {t} at (y={y}, x={x}) = {int(level1[t, y, x])}, "
                            f"2x2 mean of level 0 = {mean[y, x]:.2f} (tolerance {tolerance})")
    return {"levels": shapes, "level1_max_abs_diff": worst}


# --------------------------------------------------------------------------------------
# Parent side: orchestration, stdlib only.
# --------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_python(python: Path, args: list[str], timeout: float = CHILD_TIMEOUT_S,
               direct_io: bool = False) -> dict:
    """Runs this script in `python`. The child gets ZARR_DIRECT_IO=1 when `direct_io`,
    else no ZARR_DIRECT_IO at all (whatever the parent's environment says)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "ZARR_DIRECT_IO")}
    if direct_io:
        env["ZARR_DIRECT_IO"] = "1"
    proc = subprocess.run([str(python), str(Path(__file__).resolve()), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=HERE, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    raise RuntimeError(f"{python} {' '.join(args[:2])} exited {proc.returncode}:\n"
                       f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def ensure_published_venv() -> None:
    """Create benchmarks/.venv-published with the published wheel (and the project's numpy)."""
    if PUBLISHED_PYTHON.exists():
        ok = subprocess.run([str(PUBLISHED_PYTHON), "-c", "import acquire_zarr, numpy"],
                            capture_output=True).returncode == 0
        if ok:
            return
    log(f"creating {PUBLISHED_VENV} with {PUBLISHED_REQUIREMENT} ...")
    venv.EnvBuilder(with_pip=True, clear=True).create(PUBLISHED_VENV)
    numpy_req = "numpy"
    if OURS_PYTHON.exists():  # same numpy as the project's venv: same frame handling
        r = subprocess.run([str(OURS_PYTHON), "-c", "import numpy; print(numpy.__version__)"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            numpy_req = f"numpy=={r.stdout.strip()}"
    subprocess.run([str(PUBLISHED_PYTHON), "-m", "pip", "install", "--quiet",
                    PUBLISHED_REQUIREMENT, numpy_req], check=True)


def python_for(impl: str) -> Path:
    return PUBLISHED_PYTHON if base_impl(impl) == "published" else OURS_PYTHON


def impl_available(impl: str) -> tuple[bool, str]:
    module = "tensorstore" if base_impl(impl) == "tensorstore" else "acquire_zarr"
    r = subprocess.run([str(python_for(impl)), "-c", f"import {module}; print({module}.__file__)"],
                       capture_output=True, text=True, cwd=HERE)
    if r.returncode == 0:
        return True, r.stdout.strip()
    return False, (r.stderr.strip().splitlines() or ["?"])[-1]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def warm_memory(gib: float) -> None:
    """Touch and free `gib` GiB in a throwaway process. On this VM, memory the
    guest has not used for a while is slow to touch again (the host backs it
    anew: a 3 GiB tmpfs write runs at ~1.0 GB/s cold and ~3.1 GB/s right after
    another), so without this the case that happens to get cold memory loses
    up to half its throughput, whatever the writer does."""
    if gib > 0:
        subprocess.run([sys.executable, "-c", f"b = bytearray(b'\\1') * {int(gib * 2**30)}"],
                       check=True)


def run_case(impl: str, codec: str, args) -> dict:
    store = STORE_DIR / f"{impl}-{codec}.zarr"
    shutil.rmtree(store, ignore_errors=True)
    warm_memory(args.warm_gib)
    cfg = {"impl": impl, "codec": codec, "frames": args.frames, "store": str(store),
           "frames_file": str(FRAMES_FILE), "max_threads": args.max_threads,
           "ts_mode": args.ts_mode}
    try:
        cached = page_cache_bytes()
        result = run_python(python_for(impl), ["--child", json.dumps(cfg)],
                            direct_io=is_direct(impl))
        # What the stream left in the page cache (the store's pages, before anything
        # reads them back; on tmpfs the store itself is page cache).
        result["page_cache_delta_bytes"] = page_cache_bytes() - cached
        result["stored_bytes"] = dir_size(store)
        check = run_python(OURS_PYTHON, ["--verify", json.dumps(cfg)])
        result["verified"] = check["ok"]
        result["problems"] = check["problems"]
        for key in ("levels", "level1_max_abs_diff"):  # pyramid cases only
            if key in check:
                result[key] = check[key]
    finally:
        shutil.rmtree(store, ignore_errors=True)
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


MIB = 1024 * 1024


def summarize(runs: list[dict]) -> dict:
    gbps = [r["bytes_appended"] / r["wall_s"] / 1e9 for r in runs]
    return {
        "gbps": statistics.median(gbps), "gbps_min": min(gbps), "gbps_max": max(gbps),
        "p50_ms": statistics.median(percentile(r["latencies_ns"], 50) / 1e6 for r in runs),
        "p99_ms": statistics.median(percentile(r["latencies_ns"], 99) / 1e6 for r in runs),
        "max_ms": statistics.median(max(r["latencies_ns"]) / 1e6 for r in runs),
        "close_ms": statistics.median(r["close_s"] * 1e3 for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "peak_mib": statistics.median(r["peak_rss_bytes"] / MIB for r in runs),
        "peak_mib_max": max(r["peak_rss_bytes"] / MIB for r in runs),
        "base_mib": statistics.median(r["baseline_rss_bytes"] / MIB for r in runs),
        "ratio": statistics.median(r["bytes_appended"] / max(r["stored_bytes"], 1) for r in runs),
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "cache_mib": statistics.median(r.get("page_cache_delta_bytes", 0) / MIB for r in runs),
        "verified": all(r["verified"] for r in runs),
        "problems": sorted({p for r in runs for p in r["problems"]}),
        "n": len(runs),
        "levels": runs[0].get("levels"),
        "level1_max_abs_diff": max((r.get("level1_max_abs_diff", 0.0) for r in runs), default=0.0),
    }


def render(results: dict, failures: dict, args, notes: list[str]) -> str:
    out = []
    direct = any(is_direct(i) for i in args.impl)
    out.append(f"Workload: {args.frames} frames of {FRAME_SHAPE[0]}x{FRAME_SHAPE[1]} {DTYPE}, "
               f"one frame per append, chunks {'x'.join(map(str, CHUNK_SHAPE))} (t,y,x), "
               f"shards {'x'.join(map(str, SHARD_CHUNKS))} chunks, Zarr v3, target {BENCH_ROOT.parent} "
               f"({filesystem_type(BENCH_ROOT.parent)}). "
               f"Medians of {args.runs} run(s), each case in a fresh process; GB = 1e9 bytes."
               + (f" `{DIRECT_SUFFIX}`: the writer ran with ZARR_DIRECT_IO=1." if direct else ""))
    out.append("")
    out.append("| impl | codec | GB/s median (min–max) | append p50 ms | append p99 ms "
               "| append max ms | close ms | CPU s | peak RSS MiB | baseline RSS MiB | size ratio "
               "| page cache +MiB | verified |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summaries = {}
    for codec in args.codec:
        for impl in args.impl:
            key = (impl, codec)
            if not runs_case(impl, codec):
                out.append(f"| {impl} | {codec} | skipped: TensorStore has no streaming pyramid "
                           "| | | | | | | | | | |")
                continue
            if key in failures and key not in results:
                out.append(f"| {impl} | {codec} | FAILED: {failures[key]} | | | | | | | | | | |")
                continue
            if key not in results:
                continue
            s = summaries[key] = summarize(results[key])
            ver = "yes" if s["verified"] else "NO: " + "; ".join(s["problems"])
            out.append(f"| {impl} | {codec} | {s['gbps']:.2f} ({s['gbps_min']:.2f}–{s['gbps_max']:.2f}) "
                       f"| {s['p50_ms']:.2f} | {s['p99_ms']:.1f} | {s['max_ms']:.1f} | {s['close_ms']:.0f} | {s['cpu_s']:.2f} "
                       f"| {s['peak_mib']:.0f} | {s['base_mib']:.0f} | {s['ratio']:.2f} "
                       f"| {s['cache_mib']:.0f} | {ver} |")
    ratio_lines = []
    for codec, suffix in ((c, x) for x in ("", DIRECT_SUFFIX) for c in args.codec):
        o = summaries.get(("ours" + suffix, codec))
        p = summaries.get(("published" + suffix, codec))
        if not (o and p):
            continue
        speed = o["gbps"] / p["gbps"]
        mem = o["peak_mib"] / p["peak_mib"]
        own_o, own_p = o["peak_mib"] - o["base_mib"], p["peak_mib"] - p["base_mib"]
        target = TARGET_SPEEDUP.get(codec)
        verdict = ""
        if target:
            verdict = (f" — target ≥{target:g}× and memory ≤ published: "
                       f"{'met' if speed >= target and mem <= 1.0 else 'NOT met'}")
        ratio_lines.append(f"- {codec}{' (both ' + DIRECT_SUFFIX[1:] + ')' if suffix else ''}: "
                           f"throughput ours/published = {speed:.2f}×, "
                           f"peak RSS ours/published = {mem:.2f}× "
                           f"(writer's own share {own_o:.0f} vs {own_p:.0f} MiB){verdict}")
    if ratio_lines:
        out += ["", "Ours / published:", *ratio_lines]
    direct_lines = []
    for impl in DIRECT_IMPLS:
        for codec in args.codec:
            b, d = summaries.get((impl, codec)), summaries.get((impl + DIRECT_SUFFIX, codec))
            if b and d:
                direct_lines.append(
                    f"- {impl} {codec}: throughput direct/buffered = {d['gbps'] / b['gbps']:.2f}× "
                    f"({d['gbps']:.2f} vs {b['gbps']:.2f} GB/s), CPU {d['cpu_s']:.2f} vs "
                    f"{b['cpu_s']:.2f} s, page cache +{d['cache_mib']:.0f} vs +{b['cache_mib']:.0f} MiB")
    if direct_lines:
        out += ["", "ZARR_DIRECT_IO=1 / buffered:", *direct_lines]
    for case in args.codec:
        if case in PYRAMIDS:
            out += ["", *pyramid_lines(case, summaries)]
    if notes:
        out += ["", *[f"Note: {n}" for n in notes]]
    return "\n".join(out)


def runs_case(impl: str, case: str) -> bool:
    return not (base_impl(impl) == "tensorstore" and case in PYRAMIDS)


def pyramid_lines(case: str, summaries: dict) -> list[str]:
    """The pyramid's two acceptance ratios (both on medians over the runs): throughput
    against the published wheel's same pyramid, and wall time against our plain stream."""
    plain = compression_of(case)
    method = PYRAMIDS[case][1]
    lines = [f"Pyramid {case} ({plain} + {method} pyramid; GB/s = level-0 bytes ÷ time for both; "
             f"targets ≥{PYRAMID_TARGET_SPEEDUP:g}× published's throughput, "
             f"≤{PYRAMID_TARGET_COST:g}× ours-{plain} time):"]
    o, p = summaries.get(("ours", case)), summaries.get(("published", case))
    o_plain, p_plain = summaries.get(("ours", plain)), summaries.get(("published", plain))

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    if o and p:
        speed = o["gbps"] / p["gbps"]
        lines.append(f"- throughput ours/published = {speed:.2f}× ({o['gbps']:.2f} vs {p['gbps']:.2f} GB/s)"
                     f" — target ≥{PYRAMID_TARGET_SPEEDUP:g}×: {met(speed >= PYRAMID_TARGET_SPEEDUP)}")
    else:
        lines.append("- throughput ours/published: needs --impl ours,published")
    if o and o_plain:
        cost = o["wall_s"] / o_plain["wall_s"]
        cpu = o["cpu_s"] / o_plain["cpu_s"]
        lines.append(f"- time ours {case} / ours {plain} = {cost:.2f}× ({o['wall_s']:.2f} vs "
                     f"{o_plain['wall_s']:.2f} s; CPU {cpu:.2f}×, {o['cpu_s']:.2f} vs {o_plain['cpu_s']:.2f} s)"
                     f" — target ≤{PYRAMID_TARGET_COST:g}×: {met(cost <= PYRAMID_TARGET_COST)}")
    else:
        lines.append(f"- time ours {case} / ours {plain}: needs --impl ours and --codec {plain},{case}")
    if p and p_plain:
        lines.append(f"- for comparison, time published {case} / published {plain} = "
                     f"{p['wall_s'] / p_plain['wall_s']:.2f}× (CPU {p['cpu_s'] / p_plain['cpu_s']:.2f}×)")
    for impl, s in (("ours", o), ("published", p)):
        if s and s["levels"]:
            dims = ", ".join(f"{shape[1]}×{shape[2]}" for shape in s["levels"])
            lines.append(f"- {impl} wrote {len(s['levels'])} levels ({dims}); level 1 vs 2×2 means "
                         f"of level 0: max |diff| {s['level1_max_abs_diff']:.2f}")
    return lines


def parse_list(value: str, allowed) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {','.join(allowed)}")
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="repetitions of every case (default 5)")
    ap.add_argument("--frames", type=int, default=256, help="frames per stream (default 256)")
    ap.add_argument("--impl", type=lambda v: parse_list(v, IMPLS), default=list(IMPLS),
                    help="comma list of ours,published,tensorstore")
    ap.add_argument("--codec", type=lambda v: parse_list(v, CASES), default=list(CASES),
                    help="comma list of none,lz4,zstd,lz4-mean (lz4-mean: lz4 plus a MEAN "
                         "pyramid, not run for tensorstore)")
    ap.add_argument("--markdown", type=Path, help="also write the table to this file")
    ap.add_argument("--json", type=Path, help="write every raw run (incl. latencies) here")
    ap.add_argument("--max-threads", type=int, default=0,
                    help="StreamSettings.max_threads for acquire-zarr (0 = library default)")
    ap.add_argument("--ts-mode", choices=("layer", "txn", "txn-async"), default="layer",
                    help="how TensorStore is fed (see run_tensorstore); default layer")
    ap.add_argument("--seed", type=int, default=0, help="seed for the case order")
    ap.add_argument("--target", type=Path, default=DEFAULT_TARGET,
                    help="directory to write the stores in (default /dev/shm, tmpfs: the writer "
                         "is measured, not a disk); a sub-directory is made and removed")
    ap.add_argument("--direct-io", choices=("off", "on", "both"), default="off",
                    help="run ours and published with ZARR_DIRECT_IO=1 (cases named "
                         f"'<impl>{DIRECT_SUFFIX}'): on = only so, both = with and without; "
                         "default off (the variable is removed from the children's environment)")
    ap.add_argument("--warm-gib", type=float, default=6.0,
                    help="before each case, touch and free this many GiB so every case starts "
                         "with warm memory (default 6; 0 = off; see warm_memory)")
    ap.add_argument("--shard-t", type=int, default=0,
                    help="chunks per shard along t (default 1: one layer per shard; more "
                         "measures shards that grow layer by layer, each layer's index appended)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--verify", help=argparse.SUPPRESS)
    ap.add_argument("--make-frames", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.shard_t > 0:
        global SHARD_CHUNKS
        os.environ["AQZ_BENCH_SHARD_T"] = str(args.shard_t)
        SHARD_CHUNKS = (args.shard_t, *SHARD_CHUNKS[1:])
    set_target(args.target)
    if args.child:
        return child_main(json.loads(args.child))
    if args.verify:
        return verify_main(json.loads(args.verify))
    if args.make_frames:
        make_frames(Path(args.make_frames), DISTINCT_FRAMES, FRAME_SEED)
        print(RESULT_MARKER + "{}")
        return

    if not OURS_PYTHON.exists():
        sys.exit(f"{OURS_PYTHON} not found: the project venv runs TensorStore, ours and the verifier")
    notes = []
    if "published" in args.impl:
        ensure_published_venv()
    impls = []
    for impl in args.impl:
        ok, where = impl_available(impl)
        if ok:
            log(f"{impl}: {where}")
            impls.append(impl)
        else:
            log(f"{impl}: not importable, skipped ({where})")
            notes.append(f"{impl} skipped: not importable ({where})")
    if args.direct_io != "off":
        variants = []
        for impl in impls:
            if impl in DIRECT_IMPLS:
                variants += ([impl] if args.direct_io == "both" else []) + [impl + DIRECT_SUFFIX]
            else:
                variants.append(impl)
                notes.append(f"{impl} has no direct I/O switch: written buffered")
        impls = variants
    args.impl = impls

    shutil.rmtree(BENCH_ROOT, ignore_errors=True)
    STORE_DIR.mkdir(parents=True)
    try:
        run_python(OURS_PYTHON, ["--make-frames", str(FRAMES_FILE)])
        cases = [(i, c) for i in args.impl for c in args.codec if runs_case(i, c)]
        if "tensorstore" in args.impl and any(c in PYRAMIDS for c in args.codec):
            log("tensorstore: pyramid cases skipped (TensorStore has no streaming pyramid)")
        results: dict = {}
        failures: dict = {}
        raw = []
        rng = random.Random(args.seed)
        load_before = os.getloadavg()
        for run in range(args.runs):
            order = cases[:]
            rng.shuffle(order)  # a fresh order every round, so drift hits everyone alike
            for impl, codec in order:
                try:
                    r = run_case(impl, codec, args)
                except Exception as e:
                    # the child's last words (its exception), not the command line
                    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
                    failures[(impl, codec)] = (lines[-1] if lines else repr(e))[:200]
                    log(f"[run {run + 1}/{args.runs}] {impl:11s} {codec:8s} FAILED: "
                        f"{failures[(impl, codec)]}")
                    continue
                results.setdefault((impl, codec), []).append(r)
                raw.append({"run": run, "impl": impl, "codec": codec, **r})
                lat = r["latencies_ns"]
                log(f"[run {run + 1}/{args.runs}] {impl:11s} {codec:8s} "
                    f"{r['bytes_appended'] / r['wall_s'] / 1e9:6.2f} GB/s  "
                    f"p50 {percentile(lat, 50) / 1e6:7.2f} ms  p99 {percentile(lat, 99) / 1e6:8.1f} ms  "
                    f"cpu {r['cpu_s']:5.2f} s  peak {r['peak_rss_bytes'] / MIB:6.0f} MiB  "
                    f"{'ok' if r['verified'] else 'VERIFY FAILED ' + str(r['problems'])}")
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(BENCH_ROOT, ignore_errors=True)
        try:
            BENCH_ROOT.parent.rmdir()  # only if no other invocation is using it
        except OSError:
            pass

    versions = sorted({f"{x['impl']} {x.get('version', '?')}" for x in raw})
    notes.append(f"{os.cpu_count()} CPUs; load average {load_before[0]:.2f} before, "
                 f"{load_after[0]:.2f} after; " + ", ".join(versions)
                 + (f"; TensorStore fed in mode '{args.ts_mode}'" if "tensorstore" in args.impl else ""))
    table = render(results, failures, args, notes)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_text(json.dumps(raw))


if __name__ == "__main__":
    main()

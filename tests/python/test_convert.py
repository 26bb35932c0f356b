"""acquire_zarr.convert.to_ome_zarr: whole arrays to OME-Zarr images.

Sources of every kind (numpy, dask, zarr-python, TensorStore, a file path, a
bare array-like), 2-D to 5-D, ragged shapes, uint8 to float64; every level is
read back with zarr-python and TensorStore against the numpy pyramid
reference (tests/python/pyramid_reference.py) and validated with
ome-zarr-models. A stop (KeyboardInterrupt, a failing read) leaves a store
whose every claimed row is the final value. Refusals name the value and
write nothing.
"""

from __future__ import annotations

import json
import math
import os
import tracemalloc

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
from acquire_zarr.convert import ConversionResult, open_source, to_ome_zarr
from acquire_zarr.layout import auto_layout
from conftest import BZSTD, NONE, Codec, random_data, read_tensorstore, read_zarr
from pyramid_reference import (
    multiscale_doc,
    plan_levels,
    pyramid,
    validate_ngff_image,
    verify_image,
)

dask_array = pytest.importorskip("dask.array")
ts = pytest.importorskip("tensorstore")

KIND = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}


def as_source(kind: str, data: np.ndarray, tmp_path, chunks=None):
    """The same data as a numpy / dask / zarr / TensorStore / plain source."""
    chunks = chunks or tuple(max(1, n // 3) for n in data.shape)
    if kind == "numpy":
        return data
    if kind == "dask":
        return dask_array.from_array(data, chunks=chunks)
    if kind in ("zarr", "tensorstore"):
        path = tmp_path / "source.zarr"
        z = zarr.create_array(str(path), shape=data.shape, chunks=chunks, dtype=data.dtype,
                              overwrite=True)
        z[...] = data
        if kind == "zarr":
            return zarr.open_array(str(path), mode="r")
        return ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(path)}},
                       read=True).result()
    if kind == "plain":
        return Plain(data)
    raise AssertionError(kind)


def sample(shape, dtype, seed=0, finite=False):
    """random_data; with finite=True no NaN, infinities or extremes (a float
    MEAN of those is compared with a tolerance that they break)."""
    data = random_data(shape, dtype, seed)
    if finite and data.dtype.kind == "f":
        data = (np.random.default_rng(seed).standard_normal(shape) * 1e3).astype(dtype)
    return data


class Plain:
    """Anything with shape, dtype and slicing; records every read."""

    def __init__(self, data, fail_at=None, exc=KeyboardInterrupt):
        self.data = data
        self.shape = data.shape
        self.dtype = data.dtype
        self.reads = []
        self.fail_at = fail_at
        self.exc = exc

    def __getitem__(self, index):
        self.reads.append(index)
        if self.fail_at is not None and len(self.reads) >= self.fail_at:
            raise self.exc("stop here") if self.exc is not KeyboardInterrupt else self.exc()
        return self.data[index]


def check_image(store, data, method, *, version="v3", codec=BZSTD, chunks=None, shards=None,
                names=None, units=None, scales=None, max_levels=0):
    """verify_image with what to_ome_zarr's defaults make of ``data``."""
    names = names or ["t", "c", "z", "y", "x"][5 - data.ndim:]
    kinds = [KIND.get(n, "space") for n in names]
    layout = auto_layout(data.shape, kinds, data.dtype)
    chunks = chunks or layout.chunks
    shards = shards or (layout.shard_size_chunks if version == "v3" else (1,) * data.ndim)
    return verify_image(store, "", version, names, kinds, data.shape, chunks, shards,
                        data.dtype.name, data, method=method, max_levels=max_levels, codec=codec,
                        units=units, scales=scales)


CASES = [
    # (source kind, shape, dtype, method)
    ("numpy", (300, 530), "uint8", "mean"),
    ("dask", (70, 45, 66), "uint16", "mean"),
    ("zarr", (3, 40, 70, 35), "int16", "max"),
    ("tensorstore", (2, 2, 33, 40, 36), "float32", "min"),
    ("plain", (35, 70, 50), "float64", "mean"),
    ("numpy", (5, 33, 100, 70), "int64", "decimate"),
    ("dask", (3, 257, 300), "uint32", None),
    ("zarr", (2, 3, 9, 40, 40), "int8", "mean"),
    ("numpy", (40, 300, 40), "uint64", "mean"),
]


@pytest.mark.parametrize("kind,shape,dtype,method", CASES,
                         ids=[f"{k}-{'x'.join(map(str, s))}-{d}-{m}" for k, s, d, m in CASES])
def test_sources_roundtrip_every_level(tmp_path, kind, shape, dtype, method):
    data = sample(shape, dtype, seed=len(shape), finite=method == "mean")
    source = as_source(kind, data, tmp_path)
    store = tmp_path / "out.ome.zarr"
    result = to_ome_zarr(source, store, downsampling_method=method)
    assert isinstance(result, ConversionResult)
    assert result.shape == shape and result.dtype == np.dtype(dtype)
    assert result.bytes == data.nbytes
    levels, _ = check_image(store, data, method)
    assert result.levels == len(levels)
    if method is not None:
        assert len(levels) > 1
    assert result.engine_memory_bytes > 0


@pytest.mark.parametrize("kind", ["numpy", "dask", "zarr"])
def test_zarr_v2_ngff_04(tmp_path, kind):
    data = random_data((20, 50, 70), "uint16", seed=3)
    store = tmp_path / "v2.zarr"
    to_ome_zarr(as_source(kind, data, tmp_path), store, version=aqz.ZarrVersion.V2,
                downsampling_method="mean", compression="blosc-lz4")
    check_image(store, data, "mean", version="v2", codec=Codec("blosc-lz4", 1, 1))
    assert not (store / "zarr.json").exists()


@pytest.mark.parametrize("compression,codec", [
    (None, NONE), ("none", NONE), ("zstd", Codec("zstd", 1, 0)),
    (aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                             codec=aqz.CompressionCodec.BLOSC_ZSTD, level=5, shuffle=2),
     Codec("blosc-zstd", 5, 2)),
])
def test_compression_choices(tmp_path, compression, codec):
    data = random_data((10, 40, 40), "uint16", seed=5)
    to_ome_zarr(data, tmp_path / "c.zarr", compression=compression)
    check_image(tmp_path / "c.zarr", data, None, codec=codec)


def test_explicit_layout_scale_units_name_attributes(tmp_path):
    data = random_data((4, 50, 60), "uint16", seed=7)
    store = tmp_path / "img.zarr"
    result = to_ome_zarr(
        data, store, dimension_names=["c", "y", "x"], scale={"y": 0.25, "x": 0.5},
        units="micrometer", chunks=(1, 16, 16), shards=(2, 32, 0),
        downsampling_method="mean", max_levels=1, name="cells",
        attributes={"acquisition": {"lab": "B"}, "note": "x"},
    )
    assert result.layout.chunks == (1, 16, 16) and result.layout.shards == (2, 32, 64)
    check_image(store, data, "mean", chunks=(1, 16, 16), shards=(2, 2, 4), names=["c", "y", "x"],
                units=[None, "micrometer", "micrometer"], scales=[1.0, 0.25, 0.5], max_levels=1)
    attrs = json.loads((store / "zarr.json").read_text())["attributes"]
    assert attrs["acquisition"] == {"lab": "B"} and attrs["note"] == "x"
    assert attrs["ome"]["multiscales"][0]["name"] == "cells"
    validate_ngff_image(store, "", "v3")


def test_result_reports_the_shards_written(tmp_path):
    """A shard tuple larger than the array is cut to it, as the engine does."""
    data = random_data((10, 40, 40), "uint8", seed=23)
    result = to_ome_zarr(data, tmp_path / "s.zarr", chunks=(5, 16, 16), shards=(20, 64, 32))
    assert result.layout.shards == (10, 48, 32)
    meta = json.loads((tmp_path / "s.zarr" / "0" / "zarr.json").read_text())
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [10, 48, 32]


def test_axes_are_reordered_to_ngff_order(tmp_path):
    """z, c, y, x (an ImageJ hyperstack) is stored c, z, y, x; y, x, c
    (RGB) as c, y, x; scale and units follow their axes."""
    data = random_data((6, 3, 40, 30), "uint16", seed=8)
    store = tmp_path / "zcyx.zarr"
    result = to_ome_zarr(dask_array.from_array(data, chunks=(2, 1, 20, 30)), store,
                         dimension_names="zcyx", scale=[2.0, 1.0, 0.5, 0.5],
                         downsampling_method="mean")
    assert result.dimension_names == ("c", "z", "y", "x")
    stored = data.transpose(1, 0, 2, 3)
    verify_image(store, "", "v3", ["c", "z", "y", "x"], ["channel", "space", "space", "space"],
                 stored.shape, result.layout.chunks, result.layout.shard_size_chunks, "uint16",
                 stored, method="mean", codec=BZSTD, scales=[1.0, 2.0, 0.5, 0.5])

    rgb = random_data((50, 40, 3), "uint8", seed=9)
    result = to_ome_zarr(rgb, tmp_path / "rgb.zarr", dimension_names=["y", "x", "c"])
    assert result.dimension_names == ("c", "y", "x")
    np.testing.assert_array_equal(read_zarr(tmp_path / "rgb.zarr", "0", "v3"), rgb.transpose(2, 0, 1))


def test_names_come_from_the_source(tmp_path):
    data = random_data((3, 20, 30), "uint8", seed=10)
    path = tmp_path / "named.zarr"
    z = zarr.create_array(str(path), shape=data.shape, chunks=(1, 20, 30), dtype=data.dtype,
                          dimension_names=["t", "y", "x"])
    z[...] = data
    result = to_ome_zarr(zarr.open_array(str(path)), tmp_path / "out.zarr")
    assert result.dimension_names == ("t", "y", "x")
    ms = multiscale_doc(tmp_path / "out.zarr", "", "v3")
    assert [a.get("type") for a in ms["axes"]] == ["time", "space", "space"]


def test_kinds_without_names(tmp_path):
    data = random_data((2, 20, 30), "uint8", seed=11)
    result = to_ome_zarr(data, tmp_path / "o.zarr", dimension_kinds=["other", "space", "space"])
    assert result.dimension_names == ("o", "y", "x")
    ms = multiscale_doc(tmp_path / "o.zarr", "", "v3")
    assert "type" not in ms["axes"][0] or ms["axes"][0]["type"] is None
    validate_ngff_image(tmp_path / "o.zarr", "", "v3")


def test_npy_path_source_is_memory_mapped(tmp_path):
    data = random_data((30, 40, 50), "int32", seed=12)
    np.save(tmp_path / "v.npy", data)
    info = open_source(tmp_path / "v.npy")
    assert isinstance(info.array, np.memmap)
    to_ome_zarr(str(tmp_path / "v.npy"), tmp_path / "v.zarr", downsampling_method="mean")
    check_image(tmp_path / "v.zarr", data, "mean")


def test_zarr_and_ome_zarr_path_sources(tmp_path):
    data = random_data((3, 70, 80), "uint16", seed=13)
    to_ome_zarr(data, tmp_path / "a.zarr", dimension_names="cyx", scale=[1, 0.5, 0.5],
                units=[None, "micrometer", "micrometer"], downsampling_method="mean",
                chunks=(1, 32, 32))
    # an OME-Zarr image: its level 0, axes, scale and units
    result = to_ome_zarr(tmp_path / "a.zarr", tmp_path / "b.zarr", version=2)
    assert result.dimension_names == ("c", "y", "x")
    check_image(tmp_path / "b.zarr", data, None, version="v2", names=["c", "y", "x"],
                units=[None, "micrometer", "micrometer"], scales=[1, 0.5, 0.5])
    # a v2 array with xarray's dimension names
    z = zarr.create_array(str(tmp_path / "x.zarr"), shape=data.shape, chunks=(1, 32, 32),
                          dtype=data.dtype, zarr_format=2,
                          attributes={"_ARRAY_DIMENSIONS": ["t", "y", "x"]})
    z[...] = data
    result = to_ome_zarr(tmp_path / "x.zarr", tmp_path / "x.ome.zarr")
    assert result.dimension_names == ("t", "y", "x")
    np.testing.assert_array_equal(read_zarr(tmp_path / "x.ome.zarr", "0", "v3"), data)
    # a plain array
    result = to_ome_zarr(tmp_path / "a.zarr" / "1", tmp_path / "c.zarr")
    np.testing.assert_array_equal(read_zarr(tmp_path / "c.zarr", "0", "v3"),
                                  read_zarr(tmp_path / "a.zarr", "1", "v3"))


def test_big_endian_and_strided_sources(tmp_path):
    data = random_data((20, 30, 40), "uint16", seed=14)
    to_ome_zarr(data.astype(">u2"), tmp_path / "be.zarr")
    np.testing.assert_array_equal(read_zarr(tmp_path / "be.zarr", "0", "v3"), data)
    view = data[::2, :, ::-1]
    to_ome_zarr(view, tmp_path / "view.zarr")
    np.testing.assert_array_equal(read_tensorstore(tmp_path / "view.zarr", "0", "v3"), view)


def test_overwrite_replaces(tmp_path):
    store = tmp_path / "o.zarr"
    to_ome_zarr(np.ones((20, 20), np.uint8), store)
    data = random_data((10, 20, 20), "uint8", seed=15)
    to_ome_zarr(data, store, overwrite=True)
    np.testing.assert_array_equal(read_zarr(store, "0", "v3"), data)


def test_readme_example_runs_as_written(tmp_path):
    import sys

    from test_readme import readme_block, run_python

    code = readme_block("Converting whole arrays", "python")
    result = run_python(sys.executable, code, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines == ["chunks 32x32x32 (64 KiB), shards 128x320x416 (520 chunks, 32.5 MiB)",
                     "5 True"], lines
    validate_ngff_image(tmp_path / "volume.ome.zarr", "", "v3")


# --------------------------------------------------------------------------
# slabs and memory
# --------------------------------------------------------------------------


def test_reads_one_slab_at_a_time(tmp_path):
    """Never the whole array: each read is at most max_slab_bytes (halved while
    the next slab is read ahead), whole layers when they fit."""
    data = random_data((64, 64, 64), "uint16", seed=16)  # 512 KiB
    source = Plain(data)
    to_ome_zarr(source, tmp_path / "s.zarr", chunks=(8, 32, 32), max_slab_bytes=64 << 10)
    sizes = [math.prod(s.stop - s.start for s in index) * 2 for index in source.reads]
    assert len(source.reads) == 16 and max(sizes) == 32 << 10  # 4 frames of 8 KiB
    covered = np.zeros(data.shape, bool)
    for index in source.reads:
        assert not covered[index].any(), "a region was read twice"
        covered[index] = True
    assert covered.all()
    np.testing.assert_array_equal(read_zarr(tmp_path / "s.zarr", "0", "v3"), data)

    # a frame larger than the bound: slabs of rows within it
    source = Plain(data)
    to_ome_zarr(source, tmp_path / "r.zarr", max_slab_bytes=4 << 10, overwrite=False)
    assert all(index[0].stop - index[0].start == 1 for index in source.reads)
    assert max(math.prod(s.stop - s.start for s in i) * 2 for i in source.reads) <= 2 << 10
    np.testing.assert_array_equal(read_zarr(tmp_path / "r.zarr", "0", "v3"), data)


def test_slabs_keep_source_chunks_whole(tmp_path):
    data = random_data((48, 32, 32), "uint8", seed=17)
    source = dask_array.from_array(data, chunks=(16, 32, 32))
    calls = []

    class Recording:
        shape, dtype, chunksize = source.shape, source.dtype, source.chunksize

        def __getitem__(self, index):
            calls.append(index)
            return source[index]

    to_ome_zarr(Recording(), tmp_path / "k.zarr", max_slab_bytes=1 << 10)
    assert [(i[0].start, i[0].stop) for i in calls] == [(0, 16), (16, 32), (32, 48)]


def test_memory_stays_near_one_slab(tmp_path):
    """Python-side allocations (numpy's are traced) stay within a few slabs
    while converting a dask array 16x larger than the slab bound."""
    data = random_data((64, 128, 128), "uint16", seed=18)  # 2 MiB
    source = dask_array.from_array(data, chunks=(4, 128, 128))
    slab = 128 << 10
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        to_ome_zarr(source, tmp_path / "m.zarr", max_slab_bytes=slab, compression="blosc-lz4")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 4 * slab + (256 << 10), f"peak {peak} bytes for {slab}-byte slabs"
    np.testing.assert_array_equal(read_zarr(tmp_path / "m.zarr", "0", "v3"), data)


RSS_CHILD = """
import sys, threading, time
import numpy as np
from acquire_zarr.convert import to_ome_zarr

def anon():
    '''Anonymous resident memory (file pages, e.g. libraries, left out).'''
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon")

peak = 0
stop = False

def sample():
    global peak
    while not stop:
        peak = max(peak, anon())
        time.sleep(0.002)

class Generated:
    '''192 MiB made 8 planes at a time: never in memory as a whole.'''
    shape, dtype = (384, 512, 512), np.dtype(np.uint16)

    def __getitem__(self, index):
        z = index[0]
        rng = np.random.default_rng(z.start)
        return rng.integers(0, 4096, (z.stop - z.start, 512, 512), dtype=np.uint16)

to_ome_zarr(np.zeros((8, 64, 64), np.uint16), sys.argv[1] + "-warm")  # imports, threads
baseline = anon()
sampler = threading.Thread(target=sample)
sampler.start()
result = to_ome_zarr(Generated(), sys.argv[1], compression="blosc-lz4",
                     downsampling_method="mean", max_slab_bytes=32 << 20, max_threads=2)
stop = True
sampler.join()
print(baseline, max(peak, anon()), result.engine_memory_bytes, result.levels)
"""


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="under AddressSanitizer RSS holds its shadow memory and quarantine")
def test_peak_memory_is_the_engine_bound_plus_a_slab(tmp_path):
    """A 192 MiB volume read through an array-like: the process grows by at
    most the engine's estimate plus max_slab_bytes (two 16 MiB slabs: one
    appended, one read ahead), far less than the volume."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", RSS_CHILD, str(tmp_path / "big.zarr")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    baseline, peak, engine, levels = map(int, out.stdout.split())
    assert levels > 1
    grown = peak - baseline
    slack = 24 << 20  # the source's own temporaries and the allocator
    assert grown <= engine + (32 << 20) + slack, (
        f"grew {grown >> 20} MiB; engine bound {engine >> 20} MiB")
    assert grown < 160 << 20


def test_progress_callback(tmp_path):
    data = random_data((40, 32, 32), "uint8", seed=19)
    calls = []
    to_ome_zarr(data, tmp_path / "p.zarr", chunks=(8, 32, 32), max_slab_bytes=8 << 10,
                progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == list(range(1, 6))
    assert all(c[1] == 5 and c[3] == data.nbytes for c in calls)
    assert calls[-1][2] == data.nbytes


@pytest.mark.parametrize("shape,chunks,max_levels", [
    ((70, 64, 64), "auto", 0), ((70, 64, 64), (8, 8, 8), 0), ((70, 64, 64), (8, 8, 8), 2),
    ((5, 33, 100, 70), (1, 8, 16, 16), 0), ((300, 530), "auto", 0), ((3, 257, 300), (1, 32, 64), 0),
    ((100, 20, 20), (8, 8, 8), 0), ((2, 2, 33, 40, 36), "auto", 1),
])
def test_dry_run_plans_what_a_run_writes(tmp_path, shape, chunks, max_levels):
    data = np.zeros(shape, np.uint8)
    store = tmp_path / "dry.zarr"
    kw = dict(downsampling_method="mean", chunks=chunks, max_levels=max_levels,
              max_slab_bytes=16 << 10)
    plan = to_ome_zarr(Plain(data), store, dry_run=True, **kw)
    assert not plan.written and plan.bytes == 0 and not os.path.lexists(store)
    done = to_ome_zarr(Plain(data), store, **kw)
    assert done.written
    for field in ("shape", "dtype", "dimension_names", "layout", "levels", "slabs",
                  "engine_memory_bytes"):
        assert getattr(plan, field) == getattr(done, field), field
    assert plan.levels == len(multiscale_doc(store, "", "v3")["datasets"])


def test_progress_true_draws_a_tqdm_bar(tmp_path, capsys):
    pytest.importorskip("tqdm")
    data = random_data((16, 32, 32), "uint8", seed=24)
    to_ome_zarr(Plain(data), tmp_path / "bar.zarr", chunks=(4, 32, 32), max_slab_bytes=8 << 10,
                progress=True)
    err = capsys.readouterr().err
    assert "slab 4/4" in err and "16.4k/16.4k" in err, err


# --------------------------------------------------------------------------
# stops: the store stays readable and truthful
# --------------------------------------------------------------------------


def check_truthful_prefix(store, data, method, chunks, version="v3"):
    """Every level claims a prefix of rows along the first axis, and each
    claimed row equals what the complete conversion holds there."""
    names = ["t", "c", "z", "y", "x"][5 - data.ndim:]
    kinds = [KIND[n] for n in names]
    levels = plan_levels(data.shape, chunks, None, kinds) if method else plan_levels(
        data.shape, chunks, None, kinds, max_levels=0)[:1]
    refs = pyramid(data, levels, method) if method else [data]
    ms = multiscale_doc(store, "", version)
    assert len(ms["datasets"]) == len(levels)
    claimed = []
    for k, ref in enumerate(refs):
        for got in (read_zarr(store, str(k), version), read_tensorstore(store, str(k), version)):
            rows = got.shape[0]
            assert got.shape[1:] == ref.shape[1:]
            assert rows <= ref.shape[0]
            if np.dtype(data.dtype).kind == "f" and method == "mean":
                np.testing.assert_allclose(got, ref[:rows], rtol=1e-6)
            else:
                np.testing.assert_array_equal(got, ref[:rows], err_msg=f"level {k}")
        claimed.append(rows)
    validate_ngff_image(store, "", version)
    return claimed


@pytest.mark.parametrize("shape,chunks,slab,fail_at,want_rows", [
    ((70, 64, 64), (8, 16, 16), 2 * 8192 * 2, 4, 6),  # 3-D: 2 frames a slab, 3 slabs in
    ((3, 20, 40, 40), (1, 8, 16, 16), 40 * 40 * 2 * 8 * 2, 4, 1),  # 4-D: stop inside c = 1
    ((90, 64), (16, 16), 64 * 2 * 10 * 2, 5, 40),  # 2-D: 4 slabs of 10 rows
])
def test_keyboard_interrupt_leaves_a_truthful_store(tmp_path, shape, chunks, slab, fail_at,
                                                    want_rows):
    data = random_data(shape, "uint16", seed=20)
    store = tmp_path / "stop.zarr"
    with pytest.raises(KeyboardInterrupt):
        to_ome_zarr(Plain(data, fail_at=fail_at), store, chunks=chunks, shards=None,
                    downsampling_method="mean", max_slab_bytes=slab)
    claimed = check_truthful_prefix(store, data, "mean", chunks)
    assert claimed[0] == want_rows, claimed


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_a_failing_read_closes_the_store_and_raises(tmp_path, version):
    data = random_data((40, 32, 32), "int16", seed=21)
    store = tmp_path / "fail.zarr"
    with pytest.raises(OSError, match="stop here"):
        to_ome_zarr(Plain(data, fail_at=3, exc=OSError), store, chunks=(4, 16, 16),
                    downsampling_method="max", max_slab_bytes=2 * 4 * 32 * 32 * 2,
                    version=version[1], shards=None, name="partial")
    claimed = check_truthful_prefix(store, data, "max", (4, 16, 16), version)
    assert claimed[0] == 8
    assert multiscale_doc(store, "", version)["name"] == "partial"


# --------------------------------------------------------------------------
# refusals: named, and nothing written
# --------------------------------------------------------------------------


class NoDtype:
    shape = (10, 10)

    def __getitem__(self, index):
        return np.zeros((10, 10))


REFUSALS = [
    (np.zeros((10, 10), np.float16), {}, "float16"),
    (np.zeros((10, 10), bool), {}, "bool"),
    (np.zeros((10, 10), np.complex64), {}, "complex64"),
    (np.zeros((10, 10), "U3"), {}, "<U3"),
    ([[1, 2], [3, 4]], {}, "list"),
    (object(), {}, "object"),
    (NoDtype(), {}, "NoDtype"),
    (np.zeros(10, np.uint8), {}, "(10,)"),
    (np.zeros((2,) * 6, np.uint8), {}, "(2, 2, 2, 2, 2, 2)"),
    (np.zeros((0, 10), np.uint8), {}, "(0, 10)"),
    (np.zeros((8, 8, 8), np.uint8), dict(chunks=(4, 4)), "chunks=(4, 4)"),
    (np.zeros((8, 8, 8), np.uint8), dict(chunks=(4, 4, 4), shards=(8, 8)), "shards=(8, 8)"),
    (np.zeros((8, 8, 8), np.uint8), dict(chunks=(4, 4, 4), shards=(6, 8, 8)), "6"),
    (np.zeros((8, 8, 8), np.uint8), dict(version=2, shards=(8, 8, 8)), "Zarr v2 has no shards"),
    (np.zeros((8, 8, 8), np.uint8), dict(version=4), "version=4"),
    (np.zeros((8, 8, 8), np.uint8), dict(dimension_names=["z", "y"]), "['z', 'y']"),
    (np.zeros((8, 8, 8), np.uint8), dict(dimension_names=["z", "y", "y"]), "'y' twice"),
    (np.zeros((8, 8, 8), np.uint8), dict(dimension_kinds=["time", "time", "space"]), "not 1"),
    (np.zeros((8, 8, 8, 8), np.uint8), dict(dimension_names="zzyx"), "'z' twice"),
    (np.zeros((2, 3, 8, 8), np.uint8), dict(dimension_names="tcyx",
                                            dimension_kinds=["time", "time", "space", "space"]),
     "at most one time"),
    (np.zeros((8, 8, 8, 8), np.uint8), dict(dimension_kinds=["space"] * 4), "not 4"),
    (np.zeros((8, 8, 8), np.uint8), dict(dimension_kinds=["space", "space", "spin"]), "'spin'"),
    (np.zeros((8, 8, 8), np.uint8), dict(scale=[1, 0, 1]), "is 0"),
    (np.zeros((8, 8, 8), np.uint8), dict(scale=[1, 1]), "[1, 1]"),
    (np.zeros((8, 8, 8), np.uint8), dict(scale={"w": 1.0}), "'w'"),
    (np.zeros((8, 8, 8), np.uint8), dict(units=[None, 3, None]), "is 3"),
    (np.zeros((8, 8, 8), np.uint8), dict(compression="gzip"), "'gzip'"),
    (np.zeros((8, 8, 8), np.uint8), dict(downsampling_method="median"), "'median'"),
    (np.zeros((8, 8, 8), np.uint8), dict(max_levels=-1), "-1"),
    (np.zeros((8, 8, 8), np.uint8), dict(attributes={"ome": {}}), "'ome'"),
    (np.zeros((8, 8, 8), np.uint8), dict(attributes={"multiscales": []}, version=2),
     "'multiscales'"),
    (np.zeros((8, 8, 8), np.uint8), dict(attributes={"bad": object()}), "JSON"),
    (np.zeros((8, 8, 8), np.uint8), dict(name=""), "name=''"),
    (np.zeros((8, 8, 8), np.uint8), dict(max_slab_bytes=0), "max_slab_bytes=0"),
]


@pytest.mark.parametrize("source,kwargs,needle", REFUSALS,
                         ids=[f"{i}-{n}" for i, (_, _, n) in enumerate(REFUSALS)])
def test_refusals_name_the_value_and_write_nothing(tmp_path, source, kwargs, needle):
    store = tmp_path / "never.zarr"
    with pytest.raises(aqz.InvalidSettingsError) as e:
        to_ome_zarr(source, store, **kwargs)
    assert needle in str(e.value), str(e.value)
    assert not os.path.lexists(store)
    assert os.listdir(tmp_path) == []


def test_existing_destination_is_refused_and_kept(tmp_path):
    store = tmp_path / "there.zarr"
    store.mkdir()
    (store / "keep.txt").write_text("mine")
    with pytest.raises(aqz.InvalidSettingsError, match="there.zarr.*exists.*overwrite=True"):
        to_ome_zarr(np.zeros((8, 8), np.uint8), store)
    assert os.listdir(store) == ["keep.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(aqz.InvalidSettingsError, match="exists"):
        to_ome_zarr(np.zeros((8, 8), np.uint8), tmp_path / "file")


def test_destination_overlapping_the_source_is_refused(tmp_path):
    data = random_data((8, 16, 16), "uint8", seed=22)
    src = zarr.create_array(str(tmp_path / "src.zarr"), shape=data.shape, chunks=(8, 16, 16),
                            dtype=data.dtype)
    src[...] = data
    for dst in (tmp_path / "src.zarr", tmp_path / "src.zarr" / "inner", tmp_path):
        with pytest.raises(aqz.InvalidSettingsError, match="overlaps the source"):
            to_ome_zarr(zarr.open_array(str(tmp_path / "src.zarr")), dst, overwrite=True)
        with pytest.raises(aqz.InvalidSettingsError, match="overlaps the source"):
            to_ome_zarr(tmp_path / "src.zarr", dst, overwrite=True)
    np.save(tmp_path / "a.npy", data)
    with pytest.raises(aqz.InvalidSettingsError, match="overlaps the source"):
        to_ome_zarr(np.load(tmp_path / "a.npy", mmap_mode="r"), tmp_path / "a.npy", overwrite=True)
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "src.zarr"))[...], data)


@pytest.mark.parametrize("path,needle", [
    ("missing.npy", "does not exist"),
    ("text.txt", "is not a .npy file, a TIFF file or a Zarr store"),
    ("bad.npy", "not a readable .npy"),
    ("bad.tif", "not a readable TIFF"),
])
def test_bad_path_sources(tmp_path, path, needle):
    (tmp_path / "text.txt").write_text("hello")
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    (tmp_path / "bad.tif").write_bytes(b"not a tiff")
    with pytest.raises(aqz.InvalidSettingsError, match=needle):
        to_ome_zarr(tmp_path / path, tmp_path / "out.zarr")
    assert not (tmp_path / "out.zarr").exists()


MAPPED_CHILD = r"""
import sys, threading, time
import numpy as np
from acquire_zarr import to_ome_zarr

def rss():  # anonymous and file pages: a mapped source's pages count
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))

peak, stop = 0, False

def sample():
    global peak
    while not stop:
        peak = max(peak, rss())
        time.sleep(0.002)

to_ome_zarr(np.zeros((8, 64, 64), np.uint16), sys.argv[2] + "-warm")  # imports, threads
baseline = rss()
sampler = threading.Thread(target=sample)
sampler.start()
result = to_ome_zarr(sys.argv[1], sys.argv[2], compression="blosc-lz4",
                     max_slab_bytes=16 << 20, max_threads=2)
stop = True
sampler.join()
print(baseline, max(peak, rss()), result.engine_memory_bytes)
"""


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="under AddressSanitizer RSS holds its shadow memory and quarantine")
def test_a_mapped_npy_source_is_let_go_of_as_it_is_appended(tmp_path):
    """A 192 MiB .npy read memory-mapped: the pages already appended are let
    go of, so the process's RSS (file pages included) grows by the engine's
    memory and a slab, not by the whole file."""
    import subprocess
    import sys

    volume = np.lib.format.open_memmap(tmp_path / "v.npy", mode="w+", dtype=np.uint16,
                                       shape=(384, 512, 512))
    for z in range(0, 384, 32):
        volume[z:z + 32] = np.random.default_rng(z).integers(0, 4096, (32, 512, 512),
                                                              dtype=np.uint16)
    volume.flush()
    del volume
    out = subprocess.run([sys.executable, "-c", MAPPED_CHILD, str(tmp_path / "v.npy"),
                          str(tmp_path / "v.zarr")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    baseline, peak, engine = map(int, out.stdout.split())
    grown = peak - baseline
    assert grown <= engine + (16 << 20) + (24 << 20), (
        f"grew {grown >> 20} MiB; engine bound {engine >> 20} MiB")
    got = zarr.open_array(str(tmp_path / "v.zarr" / "0"), mode="r")
    np.testing.assert_array_equal(got[:], np.load(tmp_path / "v.npy"))

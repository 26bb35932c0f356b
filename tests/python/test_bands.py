"""The writer's unit of work is the smallest set of chunks that frames
complete together (ChunkLattice: a *layer*): with chunk 1 on the leading
dimensions, a band of one chunk along the first dimension whose chunk is
larger than 1. Memory then tracks one band, not the whole inner volume, and
shards that span several bands (even bands that interleave with other
shards') are finished correctly. Everything is read back with zarr-python
and TensorStore against numpy."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tensorstore as ts
import zarr
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import acquire_zarr as aqz

KINDS = {"t": aqz.DimensionType.TIME, "c": aqz.DimensionType.CHANNEL,
         "z": aqz.DimensionType.SPACE, "y": aqz.DimensionType.SPACE,
         "x": aqz.DimensionType.SPACE}


def stream_settings(store, names, sizes, chunks, shards, codec="lz4", version="v3",
                    dtype=aqz.DataType.UINT16, threads=2):
    dims = [aqz.Dimension(name=n, kind=KINDS[n], array_size_px=s, chunk_size_px=c,
                          shard_size_chunks=h)
            for n, s, c, h in zip(names, sizes, chunks, shards)]
    array = aqz.ArraySettings(dimensions=dims, data_type=dtype)
    if codec == "lz4":
        array.compression = aqz.CompressionSettings(
            compressor=aqz.Compressor.BLOSC1, codec=aqz.CompressionCodec.BLOSC_LZ4,
            level=1, shuffle=1)
    return aqz.StreamSettings(
        store_path=str(store), arrays=[array], overwrite=True, max_threads=threads,
        version=aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2)


def frames_of(count, frame_shape, seed=0):
    """Distinct, non-zero frames (each plane's own values)."""
    h, w = frame_shape
    base = np.arange(h * w, dtype=np.uint32).reshape(h, w)
    return [((base * 7 + i * 131 + seed) % 65521 + 1).astype(np.uint16) for i in range(count)]


def read_both(store, version, rows):
    path = str(store)
    got_zarr = zarr.open_array(path, mode="r", zarr_format=3 if version == "v3" else 2)[:rows]
    spec = {"driver": "zarr3" if version == "v3" else "zarr",
            "kvstore": {"driver": "file", "path": path + "/"}}
    got_ts = ts.open(spec, open=True, read=True).result()[:rows].read().result()
    return got_zarr, got_ts


def check(store, version, names, sizes, frames):
    """The store holds `frames` in C order over the non-YX dims, zeros where a
    partial last row has none."""
    inner = int(np.prod(sizes[1:-2], dtype=np.int64))
    rows = -(-len(frames) // inner)
    expected = np.zeros((rows * inner, *sizes[-2:]), np.uint16)
    expected[:len(frames)] = np.stack(frames)
    expected = expected.reshape(rows, *sizes[1:])
    meta = json.loads((store / ("zarr.json" if version == "v3" else ".zarray")).read_text())
    assert meta["shape"][0] == rows, meta["shape"]
    for reader, got in zip(("zarr", "tensorstore"), read_both(store, version, rows)):
        assert got.shape == expected.shape, (reader, got.shape)
        bad = np.argwhere(got != expected)
        assert bad.size == 0, f"{reader}: {len(bad)} pixels differ, first at {bad[0].tolist()}"


def test_memory_tracks_one_band_not_the_inner_volume(tmp_path):
    # t chunk 1, z 512 planes of chunk 8: a band is 8 planes (256 KiB); the
    # whole z volume (what a layer of one t chunk was) is 16 MiB.
    names, frame = "tzyx", (128, 128)
    sizes, chunks, shards = [0, 512, *frame], [1, 8, 64, 64], [1, 4, 2, 2]
    settings = stream_settings(tmp_path / "s.zarr", names, sizes, chunks, shards)
    band = 8 * frame[0] * frame[1] * 2
    volume = 512 * frame[0] * frame[1] * 2
    estimate = settings.get_maximum_memory_usage()
    assert estimate < 2 * band + 8 * 2**20, (estimate, band)
    assert estimate < volume, "the estimate must not hold the whole inner volume"
    frames = frames_of(512 + 100, frame)
    with aqz.ZarrStream(settings) as stream:
        for f in frames:
            stream.append(f)
    check(tmp_path / "s.zarr", "v3", names, sizes, frames)


_PEAK_CHILD = r"""
import json, resource, sys
import numpy as np
sys.path.insert(0, sys.argv[2])
import acquire_zarr as aqz
from test_bands import stream_settings
planes, store = int(sys.argv[1]), sys.argv[3]
settings = stream_settings(store, "tzyx", [2, planes, 512, 512], [1, 8, 128, 128], [1, 2, 2, 2])
frame = (np.arange(512 * 512, dtype=np.uint32).reshape(512, 512) % 4099).astype(np.uint16)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with aqz.ZarrStream(settings) as stream:
    for _ in range(2 * planes):
        stream.append(frame)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"estimate": settings.get_maximum_memory_usage(), "used": peak - before}))
"""


def test_peak_memory_does_not_grow_with_the_number_of_planes(tmp_path):
    """The issue's light-sheet case in small: 512x512 frames, z chunk 8. Peak
    memory with 1024 planes is about that with 64 (it was 16 times more)."""
    from pathlib import Path

    used = {}
    for planes in (64, 1024):
        out = subprocess.run([sys.executable, "-c", _PEAK_CHILD, str(planes),
                              str(Path(__file__).parent), str(tmp_path / f"p{planes}.zarr")],
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        used[planes] = json.loads(out.stdout.strip().splitlines()[-1])
        assert used[planes]["used"] <= used[planes]["estimate"], used
    assert used[1024]["estimate"] == used[64]["estimate"], used
    assert used[1024]["used"] < used[64]["used"] + 16 * 2**20, used


@st.composite
def layouts(draw):
    rank = draw(st.integers(4, 5))
    names = "tzyx" if rank == 4 else "tczyx"
    frame = (draw(st.integers(3, 20)), draw(st.integers(3, 20)))
    middle = [draw(st.integers(1, 7)) for _ in range(rank - 3)]
    t_chunk = draw(st.sampled_from([1, 1, 2]))
    chunks = [t_chunk] + [draw(st.integers(1, 4)) for _ in middle] + \
             [draw(st.integers(2, 16)) for _ in frame]
    shards = [draw(st.integers(1, 3)) for _ in range(rank)]
    bounded_rows = draw(st.sampled_from([0, 0, 3]))
    sizes = [bounded_rows, *middle, *frame]
    inner = int(np.prod(middle))
    total = bounded_rows * inner if bounded_rows else draw(st.integers(1, 4 * inner))
    frames = draw(st.integers(1, total))  # may end mid-row
    return names, sizes, chunks, shards, frames


@hsettings(max_examples=60, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=layouts(), codec=st.sampled_from(["lz4", "none"]),
       version=st.sampled_from(["v3", "v3", "v2"]))
def test_any_layout_reads_back_exactly(tmp_path_factory, layout, codec, version):
    names, sizes, chunks, shards, count = layout
    store = tmp_path_factory.mktemp("band") / "s.zarr"
    settings = stream_settings(store, names, sizes, chunks, shards, codec, version)
    frames = frames_of(count, sizes[-2:])
    with aqz.ZarrStream(settings) as stream:
        for f in frames:
            stream.append(f)
    check(store, version, names, sizes, frames)


@pytest.mark.parametrize("codec", ["none", "lz4"])
def test_bands_fill_shards_across_bands_and_rows(tmp_path, codec):
    """Shards 3 chunks deep along t (chunk 1) and z (chunk 2, 7 planes: the
    last band has one plane): each shard takes 6 bands, interleaved with the
    other z-shard's; with `none` and 32 KiB tiles the frames go straight
    into their shards (the direct path)."""
    names, frame = "tzyx", (256, 128)
    sizes, chunks, shards = [0, 7, *frame], [1, 2, 128, 128], [3, 2, 1, 1]
    settings = stream_settings(tmp_path / "s.zarr", names, sizes, chunks, shards, codec)
    frames = frames_of(7 * 4 + 5, frame)  # 4 rows and part of a fifth
    with aqz.ZarrStream(settings) as stream:
        for i, f in enumerate(frames):
            stream.append(f)
            if i == 7 * 2 - 1:  # a reader during acquisition sees whole rows
                meta = json.loads((tmp_path / "s.zarr" / "zarr.json").read_text())
                rows = meta["shape"][0]
                if rows:
                    got = zarr.open_array(str(tmp_path / "s.zarr"), mode="r")[:rows]
                    want = np.stack(frames[:rows * 7]).reshape(rows, 7, *frame)
                    np.testing.assert_array_equal(got, want)
    check(tmp_path / "s.zarr", "v3", names, sizes, frames)
    shard_files = sorted(p.relative_to(tmp_path / "s.zarr").as_posix()
                         for p in (tmp_path / "s.zarr" / "c").rglob("*") if p.is_file())
    # t shards 0 (rows 0-2) and 1 (rows 3-4), z shards 0 (bands 0-1) and 1
    # (band 2-3), y 2 shards, x 1.
    assert shard_files == [f"c/{t}/{z}/{y}/0" for t in (0, 1) for z in (0, 1) for y in (0, 1)]


def test_a_long_axis_of_small_chunks_is_one_band_not_a_refusal(tmp_path):
    """20,000 planes of 2048x2048 in 64x64 chunks: 2.56 million chunks per
    chunk of `t`, which the limits on a layer refused while a layer was the
    whole volume; a band of 8 planes has 1024 chunks, and the estimate is two
    bands (128 MiB) and scratch."""
    names, sizes = "tzyx", [0, 20000, 2048, 2048]
    settings = stream_settings(tmp_path / "s.zarr", names, sizes, [1, 8, 64, 64], [1, 4, 8, 8],
                               codec="none")
    band = 8 * 2048 * 2048 * 2
    assert settings.get_maximum_memory_usage() < 2 * band + 32 * 2**20
    # Deep shards along t keep every z-shard row open at once: still bounded,
    # and refused when their indices would not be.
    deep = stream_settings(tmp_path / "d.zarr", names, sizes, [1, 8, 64, 64], [2**12, 4, 8, 8],
                           codec="none")
    with pytest.raises(aqz.InvalidSettingsError, match="'t' has shard_size_chunks 4096"):
        deep.get_maximum_memory_usage()
    assert not (tmp_path / "d.zarr").exists()

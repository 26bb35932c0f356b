"""Chunks that are entirely the fill value (zeros: skipped frames, empty
wells, dark regions) are not stored: the shard index marks them empty, and
Zarr v2 writes no file. Readers give zeros for them."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import tensorstore as ts
import zarr

import acquire_zarr as aqz

T, S = aqz.DimensionType.TIME, aqz.DimensionType.SPACE
EMPTY = 2**64 - 1
LZ4 = aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                              codec=aqz.CompressionCodec.BLOSC_LZ4, level=1, shuffle=1)


def stream(path, version, compression, frames):
    dims = [aqz.Dimension(name="t", kind=T, array_size_px=0, chunk_size_px=2, shard_size_chunks=2),
            aqz.Dimension(name="y", kind=S, array_size_px=32, chunk_size_px=16, shard_size_chunks=2),
            aqz.Dimension(name="x", kind=S, array_size_px=32, chunk_size_px=16, shard_size_chunks=2)]
    settings = aqz.StreamSettings(
        store_path=str(path), overwrite=True,
        version=aqz.ZarrVersion.V3 if version == "v3" else aqz.ZarrVersion.V2,
        arrays=[aqz.ArraySettings(output_key="a", data_type=aqz.DataType.UINT16,
                                  dimensions=dims, compression=compression)])
    with aqz.ZarrStream(settings) as s:
        s.append(frames)


def expected_frames():
    frames = np.zeros((8, 32, 32), np.uint16)
    frames[0:2, 0:16, 0:16] = 7       # layer 0: one chunk of data, three of zeros
    frames[4:6, 16:32, 16:32] = 9     # layer 2 likewise
    return frames                     # layers 1 and 3: zeros only


def read_both(path, version):
    node = str(path / "a")
    got = zarr.open_array(node, mode="r")[...]
    spec = {"driver": "zarr3" if version == "v3" else "zarr",
            "kvstore": {"driver": "file", "path": node + "/"}}
    return got, ts.open(spec, open=True).result().read().result()


@pytest.mark.parametrize("compression", [None, LZ4], ids=["raw", "lz4"])
def test_v3_index_marks_zero_chunks_empty(tmp_path, compression):
    frames = expected_frames()
    stream(tmp_path / "s", "v3", compression, frames)
    for got in read_both(tmp_path / "s", "v3"):
        np.testing.assert_array_equal(got, frames)
    # Raw 32x32 frames take the buffered path (tiles under 16 KiB), so the
    # zero chunks are found there too. Shard t 0..3 holds layers 0 and 1.
    shard = (tmp_path / "s" / "a" / "c" / "0" / "0" / "0").read_bytes()
    index = struct.unpack("<16Q", shard[-(16 * 8 + 4):-4])
    entries = [(index[2 * i], index[2 * i + 1]) for i in range(8)]
    stored = [i for i, (offset, size) in enumerate(entries) if offset != EMPTY]
    assert stored == [0], entries  # layer 0's chunk (0, 0); nothing of layer 1
    # The shard of layers 2..3 has only its (1, 1) chunk of layer 2.
    shard = (tmp_path / "s" / "a" / "c" / "1" / "0" / "0").read_bytes()
    index = struct.unpack("<16Q", shard[-(16 * 8 + 4):-4])
    assert [i for i in range(8) if index[2 * i] != EMPTY] == [3]


@pytest.mark.parametrize("compression", [None, LZ4], ids=["raw", "lz4"])
def test_v2_writes_no_file_for_zero_chunks(tmp_path, compression):
    frames = expected_frames()
    stream(tmp_path / "s", "v2", compression, frames)
    for got in read_both(tmp_path / "s", "v2"):
        np.testing.assert_array_equal(got, frames)
    chunks = sorted(p.relative_to(tmp_path / "s" / "a").as_posix()
                    for p in (tmp_path / "s" / "a").rglob("*")
                    if p.is_file() and not p.name.startswith("."))
    assert chunks == ["0/0/0", "2/1/1"], chunks


def test_an_array_of_zeros_stores_no_chunk(tmp_path):
    stream(tmp_path / "s", "v3", LZ4, np.zeros((4, 32, 32), np.uint16))
    assert not (tmp_path / "s" / "a" / "c").exists() or not any(
        p.is_file() for p in (tmp_path / "s" / "a" / "c").rglob("*"))
    assert zarr.open_array(str(tmp_path / "s" / "a")).shape == (4, 32, 32)

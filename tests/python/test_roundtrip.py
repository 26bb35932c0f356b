"""Write -> read back: versions x codecs x dtypes x dimensionality, ragged
edges, bounded / unbounded append dimension, streams stopped early."""

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import (
    BZSTD,
    DTYPES,
    LZ4,
    NONE,
    ZSTD,
    ArraySpec,
    assert_really_compressed,
    Codec,
    frames_to_rows,
    random_data,
    stream_settings,
    verify_array,
    write_arrays,
)

CODECS = [
    NONE,
    Codec("blosc-lz4", 1, 0),
    Codec("blosc-lz4", 1, 1),
    Codec("blosc-lz4", 5, 2),
    Codec("blosc-lz4", 9, 1),
    Codec("blosc-lz4", 0, 1),  # level 0: blosc stores the bytes as-is
    Codec("blosc-zstd", 1, 0),
    Codec("blosc-zstd", 3, 1),
    Codec("blosc-zstd", 9, 2),
    Codec("zstd", 1, 0),
    Codec("zstd", 5, 0),
    Codec("zstd", 22, 0),
]


@pytest.mark.parametrize("codec", CODECS, ids=str)
def test_codecs(store, version, codec):
    # 7 frames, ragged in every dimension; shards of 2x2x2 chunks in v3
    spec = ArraySpec(
        shape=(7, 37, 21), chunks=(2, 16, 16), shards=(2, 2, 1), dtype="uint16", codec=codec
    )
    # smooth + a little noise: compressible, but not trivially
    t, y, x = np.indices(spec.shape)
    noise = np.random.default_rng(3).integers(0, 4, spec.shape)
    data = (t * 1000 + y * 30 + x + noise).astype(np.uint16)
    write_arrays(store, [(spec, data)], version)
    verify_array(store, spec, version, data)
    if codec.kind != "none" and codec.level > 0 and (codec.shuffle or codec.kind == "zstd"):
        assert_really_compressed(store, spec, version, data)


@pytest.mark.parametrize("codec", [NONE, LZ4, Codec("blosc-zstd", 2, 2), ZSTD], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes(store, version, dtype, codec):
    spec = ArraySpec(
        shape=(5, 9, 12), chunks=(2, 4, 8), shards=(2, 2, 1), dtype=dtype, codec=codec
    )
    data = random_data(spec.shape, dtype, seed=DTYPES.index(dtype))
    with np.errstate(invalid="ignore"):
        data[1::2] %= 4  # half the frames compressible, small non-negative values
    write_arrays(store, [(spec, data)], version)
    verify_array(store, spec, version, data)


DIMENSIONALITY = {
    # 2-D: one single image, bounded, ragged edges
    "2d": dict(shape=(13, 17), chunks=(4, 8), shards=(2, 1)),
    # 2-D where the chunk is larger than the whole image
    "2d-chunk-gt-array": dict(shape=(5, 6), chunks=(8, 8), shards=(1, 1)),
    "3d": dict(shape=(5, 6, 10), chunks=(2, 4, 4), shards=(1, 2, 3)),
    "3d-zyx": dict(shape=(6, 8, 8), chunks=(4, 4, 4), shards=(1, 1, 2), names=["z", "y", "x"]),
    "4d": dict(shape=(3, 3, 6, 10), chunks=(2, 2, 4, 4), shards=(1, 2, 1, 2)),
    "4d-other": dict(shape=(2, 4, 5, 7), chunks=(1, 3, 5, 7), shards=(2, 1, 1, 1), names=["t", "o", "y", "x"]),
    "5d": dict(shape=(2, 2, 3, 8, 6), chunks=(1, 1, 2, 4, 4), shards=(2, 2, 1, 1, 2)),
    "6d": dict(shape=(2, 2, 3, 2, 5, 4), chunks=(1, 2, 2, 1, 4, 4), shards=(2, 1, 1, 2, 1, 1),
               names=["t", "c", "o", "z", "y", "x"]),
    "1x1-frames": dict(shape=(5, 1, 1), chunks=(2, 1, 1), shards=(2, 1, 1)),
    "1xN-frames": dict(shape=(3, 1, 9), chunks=(1, 1, 4), shards=(1, 1, 2)),
    "5d-tczyx-units": dict(
        shape=(3, 2, 5, 9, 7),
        chunks=(2, 1, 2, 4, 4),
        shards=(1, 2, 2, 2, 1),
        units=["millisecond", None, "micrometer", "micrometer", "micrometer"],
        scales=[10.0, 1.0, 2.0, 0.5, 0.5],
    ),
}


@pytest.mark.parametrize("case", DIMENSIONALITY, ids=str)
def test_dimensionality(store, version, case):
    spec = ArraySpec(dtype="int16", codec=LZ4, **DIMENSIONALITY[case])
    data = random_data(spec.shape, "int16", seed=11)
    write_arrays(store, [(spec, data)], version)
    verify_array(store, spec, version, data)


@pytest.mark.parametrize("bounded", [False, True], ids=["unbounded", "bounded"])
@pytest.mark.parametrize("n_frames", [1, 2, 5, 8])
def test_append_dimension(store, version, bounded, n_frames):
    """The append dimension holds exactly the frames written, for a bounded
    array written in full and an unbounded one (chunk 2 in t)."""
    spec = ArraySpec(
        shape=(n_frames, 6, 5), chunks=(2, 4, 4), shards=(2, 1, 2),
        dim0_size=n_frames if bounded else 0, codec=BZSTD,
    )
    data = random_data(spec.shape, "uint16", seed=n_frames)
    write_arrays(store, [(spec, data)], version)
    verify_array(store, spec, version, data)


@pytest.mark.parametrize("dim0_size", [0, 10], ids=["unbounded", "bounded10"])
def test_stopped_early_3d(store, version, dim0_size):
    """5 frames with chunk 2 in t: shape[0] == 5 (bounded or not), the last
    chunk is zero-padded on disk."""
    spec = ArraySpec(shape=(5, 6, 5), chunks=(2, 4, 4), shards=(2, 2, 1), dim0_size=dim0_size)
    data = random_data(spec.shape, "uint16", seed=5)
    write_arrays(store, [(spec, data)], version)
    verify_array(store, spec, version, data)


@pytest.mark.parametrize("dim0_size", [0, 4], ids=["unbounded", "bounded4"])
def test_stopped_early_mid_row(store, version, dim0_size):
    """t x c(3) x y x x, 7 frames written: rows = ceil(7/3) = 3 and the two
    frames never written read back as zeros."""
    spec = ArraySpec(
        shape=(3, 3, 6, 5), chunks=(2, 2, 4, 4), shards=(1, 2, 2, 1),
        dim0_size=dim0_size, codec=LZ4,
    )
    frames = random_data((7, 6, 5), "uint16", seed=7)
    write_arrays(store, [(spec, frames)], version)
    expected = frames_to_rows(frames, spec)
    assert expected.shape == (3, 3, 6, 5)
    assert not expected[2, 1:].any()
    verify_array(store, spec, version, expected)


def test_no_frames_written(store, version):
    """An unbounded stream closed without data has an append dimension of 0."""
    spec = ArraySpec(shape=(0, 6, 5), chunks=(2, 4, 4))
    stream = aqz.ZarrStream(stream_settings(store, spec, version))
    stream.close()
    verify_array(store, spec, version, np.zeros((0, 6, 5), np.uint16))


def test_all_zero_frames(store, version):
    """Zeros are data too: they read back as zeros (chunks may be omitted)."""
    spec = ArraySpec(shape=(4, 8, 8), chunks=(2, 4, 4), shards=(2, 2, 2), codec=LZ4)
    data = np.zeros(spec.shape, np.uint16)
    data[3, 7, 7] = 9  # one non-zero pixel in the last shard
    write_arrays(store, [(spec, data)], version)
    verify_array(store, spec, version, data)

"""A larger multi-threaded workload: 64 frames of 512x512 uint16, chunks
16x128x128, shards 2x2x2 chunks, compressed; appended in uneven batches."""

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import ArraySpec, Codec, assert_really_compressed, stream_settings, verify_array

SHAPE = (64, 512, 512)


def _data():
    rng = np.random.default_rng(1234)
    t, y, x = np.indices(SHAPE, dtype=np.uint32)
    smooth = (t * 97 + (y // 4) * 13 + (x // 4) * 7) % 60000
    return (smooth + rng.integers(0, 64, SHAPE, dtype=np.uint32)).astype(np.uint16)


@pytest.fixture(scope="module")
def large_data():
    return _data()


@pytest.mark.slow
@pytest.mark.parametrize(
    "version,codec,max_threads",
    [
        ("v3", Codec("blosc-lz4", 1, 1), 0),
        ("v3", Codec("blosc-zstd", 1, 2), 2),
        ("v3", Codec("none"), 0),
        ("v2", Codec("zstd", 3, 0), 0),
    ],
    ids=["v3-lz4-auto", "v3-bzstd-bitshuffle-2threads", "v3-raw", "v2-zstd"],
)
def test_large_multithreaded(tmp_path, large_data, version, codec, max_threads):
    spec = ArraySpec(shape=SHAPE, chunks=(16, 128, 128), shards=(2, 2, 2), codec=codec)
    store = tmp_path / "big.zarr"
    settings = stream_settings(store, spec, version, max_threads=max_threads)
    maximum = settings.get_maximum_memory_usage()
    stream = aqz.ZarrStream(settings)
    # uneven batches: single frames, a half frame, many frames at once
    cuts = [0, 1, 2, 7, 8, 9, 30, 31, 33, 50, 64]
    flat = large_data.reshape(-1)
    px = 512 * 512
    usage = []
    for a, b in zip(cuts, cuts[1:]):
        if b - a == 1 and a == 8:
            stream.append(flat[a * px : a * px + px // 2 + 3])
            stream.append(flat[a * px + px // 2 + 3 : b * px])
        else:
            stream.append(large_data[a:b])
        usage.append(stream.get_current_memory_usage())
    stream.close()
    assert all(u <= maximum for u in usage), (maximum, usage)
    verify_array(store, spec, version, large_data)
    if codec.kind != "none":
        assert_really_compressed(store, spec, version, large_data)

"""get_maximum_memory_usage() covers what a stream really holds at its peak,
compressor working memory included (Zstd at high levels keeps hundreds of MiB
of tables per thread: leaving them out made close() fail under a memory limit).

Each case runs in a fresh process so that its peak RSS (ru_maxrss) is its own."""

import json
import subprocess
import sys

import pytest

_CHILD = r"""
import json, resource, sys
import numpy as np
import acquire_zarr as aqz

codec, level, size, store = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if codec == "zstd":
    compression = aqz.CompressionSettings(compressor=aqz.Compressor.ZSTD,
                                          codec=aqz.CompressionCodec.ZSTD, level=level)
else:
    compression = aqz.CompressionSettings(
        compressor=aqz.Compressor.BLOSC1, level=level, shuffle=1,
        codec=aqz.CompressionCodec.BLOSC_ZSTD if codec == "blosc-zstd"
        else aqz.CompressionCodec.BLOSC_LZ4)
dims = [aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=4,
                      chunk_size_px=1, shard_size_chunks=1)]
dims += [aqz.Dimension(name=n, kind=aqz.DimensionType.SPACE, array_size_px=size,
                       chunk_size_px=size, shard_size_chunks=1) for n in "yx"]
settings = aqz.StreamSettings(store_path=store, max_threads=2, arrays=[
    aqz.ArraySettings(dimensions=dims, data_type=aqz.DataType.UINT16, compression=compression)])
estimate = settings.get_maximum_memory_usage()
# Compressible but not trivial (a ramp with noise), so that the compressor works.
frame = (np.arange(size * size, dtype=np.uint32).reshape(size, size) // 7 % 4096)
frame = frame.astype(np.uint16) ^ np.random.default_rng(0).integers(0, 4, frame.shape,
                                                                   dtype=np.uint16)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with aqz.ZarrStream(settings) as stream:
    for _ in range(4):
        stream.append(frame)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"estimate": estimate, "used": peak - before}))
"""


@pytest.mark.parametrize("codec,level", [("zstd", 19), ("zstd", 22), ("blosc-zstd", 9),
                                         ("blosc-lz4", 5), ("zstd", 3)])
def test_estimate_covers_the_peak_with_the_compressors_working_memory(tmp_path, codec, level):
    result = subprocess.run([sys.executable, "-c", _CHILD, codec, str(level), "1024",
                             str(tmp_path / "s.zarr")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["used"] <= measured["estimate"], (
        f"{codec} level {level}: the stream grew by {measured['used'] / 2**20:.0f} MiB, "
        f"get_maximum_memory_usage() said {measured['estimate'] / 2**20:.0f} MiB")
    import zarr
    import numpy as np

    got = zarr.open_array(str(tmp_path / "s.zarr"), mode="r")
    assert got.shape == (4, 1024, 1024) and np.all(got[3] == got[0])

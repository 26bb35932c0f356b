"""The README's Python quick start, made runnable: stream a 4-D (t, c, y, x)
acquisition to ``my_stream.zarr/dataset1``, then read it back with zarr-python.

The sizes are the README's divided by ten so it runs in a moment.

    python examples/python/quickstart.py [store_path]
"""

import sys

import numpy as np
import zarr

import acquire_zarr as aqz

store_path = sys.argv[1] if len(sys.argv) > 1 else "my_stream.zarr"

settings = aqz.StreamSettings(
    store_path=store_path,
    data_type=aqz.DataType.UINT16,
    version=aqz.ZarrVersion.V3,
    output_key="dataset1",  # Optional: path within Zarr where data should be stored
    overwrite=True,  # Optional: remove existing data at store_path if true
)

settings.dimensions = [
    aqz.Dimension(
        name="t",
        type=aqz.DimensionType.TIME,
        array_size_px=0,  # the append dimension: grows as frames arrive
        chunk_size_px=10,
        shard_size_chunks=1,
    ),
    aqz.Dimension(
        name="c",
        type=aqz.DimensionType.CHANNEL,
        array_size_px=3,
        chunk_size_px=1,
        shard_size_chunks=1,
    ),
    aqz.Dimension(
        name="y",
        type=aqz.DimensionType.SPACE,
        array_size_px=108,
        chunk_size_px=27,
        shard_size_chunks=2,
    ),
    aqz.Dimension(
        name="x",
        type=aqz.DimensionType.SPACE,
        array_size_px=192,
        chunk_size_px=48,
        shard_size_chunks=2,
    ),
]

# Five time points; each append is one time point: all channels, full frame.
rng = np.random.default_rng(0)
data = rng.integers(0, 2**16, (5, 3, 108, 192), dtype=np.uint16)

stream = aqz.ZarrStream(settings)
for time_point in data:
    stream.append(time_point)
stream.close()  # flushes everything still buffered

# Read it back with an independent reader.
array = zarr.open_array(f"{store_path}/dataset1", mode="r")
print(f"{store_path}/dataset1: shape {array.shape}, dtype {array.dtype}, "
      f"chunks {array.chunks}, shards {array.shards}")
assert array.shape == data.shape, array.shape
assert np.array_equal(array[:], data), "data read back differs from data written"
print("read back with zarr-python: identical to what was written")

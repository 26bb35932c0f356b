import acquire_zarr as aqz
import numpy as np
import zarr

settings = aqz.StreamSettings(
    store_path="my_stream.zarr",
    overwrite=True,  # replace whatever an earlier run left there
    arrays=[
        aqz.ArraySettings(
            output_key="camera",
            data_type=np.uint16,
            compression=aqz.CompressionSettings(
                compressor=aqz.Compressor.BLOSC1,
                codec=aqz.CompressionCodec.BLOSC_LZ4,
                level=1,
                shuffle=1,
            ),
            dimensions=[
                aqz.Dimension(name="t", kind=aqz.DimensionType.TIME,
                              array_size_px=0, chunk_size_px=16, shard_size_chunks=1),
                aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE,
                              array_size_px=1024, chunk_size_px=256, shard_size_chunks=4),
                aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE,
                              array_size_px=1024, chunk_size_px=256, shard_size_chunks=4),
            ],
        )
    ],
)

stream = aqz.ZarrStream(settings)
for _ in range(50):
    frame = np.random.randint(0, 4096, (1024, 1024), dtype=np.uint16)
    stream.append(frame)  # any number of bytes: part of a frame, one, or many
stream.write_custom_metadata({"exposure_ms": 10}, metadata_key="camera")
stream.close()  # flushes what is still buffered; raises if a write failed

print(zarr.open_array("my_stream.zarr/camera").shape)  # (50, 1024, 1024)

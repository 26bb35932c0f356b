"""OME-Zarr while streaming: a multiscale image stored in OME-NGFF axis order
next to an HCS plate, in one stream, then read back with zarr-python.

Run from the checkout: `.venv/bin/python examples/python/ome_zarr.py [store]`.
"""

import sys

import numpy as np
import zarr

import acquire_zarr as aqz


def dim(name, kind, size, chunk, shard, unit=None, scale=1.0):
    return aqz.Dimension(name=name, kind=kind, array_size_px=size, chunk_size_px=chunk,
                         shard_size_chunks=shard, unit=unit, scale=scale)


def field_array():
    """The array of one field of view: t, c, y, x with a mean pyramid."""
    return aqz.ArraySettings(
        data_type=np.uint16,
        downsampling_method=aqz.DownsamplingMethod.MEAN,
        compression=aqz.CompressionSettings(compressor=aqz.Compressor.BLOSC1,
                                            codec=aqz.CompressionCodec.BLOSC_LZ4,
                                            level=1, shuffle=1),
        dimensions=[
            dim("t", aqz.DimensionType.TIME, 0, 1, 4),
            dim("c", aqz.DimensionType.CHANNEL, 2, 1, 2),
            dim("y", aqz.DimensionType.SPACE, 512, 128, 4, "micrometer", 0.65),
            dim("x", aqz.DimensionType.SPACE, 512, 128, 4, "micrometer", 0.65),
        ],
    )


def main(store_path: str) -> None:
    image = aqz.ArraySettings(
        output_key="volume",
        data_type=np.uint16,
        downsampling_method=aqz.DownsamplingMethod.MEAN,
        # Acquired z before c (a z-stack per channel switch); stored t, c, z,
        # y, x, the order OME-NGFF wants.
        storage_dimension_order=["t", "c", "z", "y", "x"],
        dimensions=[
            dim("t", aqz.DimensionType.TIME, 0, 1, 8, "second", 2.0),
            dim("z", aqz.DimensionType.SPACE, 32, 8, 4, "micrometer", 0.5),
            dim("c", aqz.DimensionType.CHANNEL, 2, 1, 2),
            dim("y", aqz.DimensionType.SPACE, 256, 64, 4, "micrometer", 0.1),
            dim("x", aqz.DimensionType.SPACE, 256, 64, 4, "micrometer", 0.1),
        ],
    )
    plate = aqz.Plate(
        path="plate",
        name="Example plate",
        row_names=["A", "B"],
        column_names=["1", "2"],
        acquisitions=[aqz.Acquisition(id=0, name="first pass", start_time=1700000000)],
        wells=[
            aqz.Well(row_name="A", column_name="1", images=[
                aqz.FieldOfView(path="fov1", acquisition_id=0, array_settings=field_array()),
                aqz.FieldOfView(path="fov2", acquisition_id=0, array_settings=field_array()),
            ]),
            aqz.Well(row_name="B", column_name="2", images=[
                aqz.FieldOfView(path="fov1", array_settings=field_array()),
            ]),
        ],
    )
    settings = aqz.StreamSettings(store_path=store_path, overwrite=True,
                                  arrays=[image], plates=[plate])
    print("arrays:", settings.get_array_keys())
    print(f"memory bound: {settings.get_maximum_memory_usage() / 2**20:.0f} MiB")

    rng = np.random.default_rng(0)
    volume = rng.integers(0, 4096, (3, 32, 2, 256, 256), dtype=np.uint16)  # t, z, c, y, x
    with aqz.ZarrStream(settings) as stream:
        for t in range(volume.shape[0]):
            stream.append(volume[t], key="volume")  # acquisition order
        for key in settings.get_array_keys():
            if key.startswith("plate/"):
                stream.append(rng.integers(0, 4096, (2, 2, 512, 512), dtype=np.uint16), key=key)
        stream.write_custom_metadata({"objective": "20x"}, array_key="volume",
                                     metadata_key="microscope")

    root = zarr.open_group(store_path, mode="r")
    levels = root["volume"]
    print("volume axes:", [a["name"] for a in levels.attrs["ome"]["multiscales"][0]["axes"]])
    for name in sorted(levels.array_keys(), key=int):
        print(f"  level {name}: shape {levels[name].shape}")
    stored = levels["0"][:]
    assert np.array_equal(stored, volume.transpose(0, 2, 1, 3, 4)), "level 0 differs"
    print("plate wells:", [w["path"] for w in root["plate"].attrs["ome"]["plate"]["wells"]])
    print("level 0 matches the acquired frames in storage order")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "ome_zarr_example.zarr")

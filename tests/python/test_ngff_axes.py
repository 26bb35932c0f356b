"""OME-NGFF images must have axes that NGFF readers accept (2 or 3 space
axes last, at most one channel-or-other axis before them, at most one time
axis first). Settings that would break that are refused at creation,
naming the offending dimension, and nothing is written; the storage order
can put them right."""

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz

from pyramid_reference import validate_ngff_image

T, C, S, O = (aqz.DimensionType.TIME, aqz.DimensionType.CHANNEL,
              aqz.DimensionType.SPACE, aqz.DimensionType.OTHER)


def _settings(store, dims, **array):
    dimensions = [
        aqz.Dimension(name=name, kind=kind, array_size_px=size, chunk_size_px=chunk,
                      shard_size_chunks=1)
        for name, kind, size, chunk in dims
    ]
    return aqz.StreamSettings(
        store_path=str(store), overwrite=True,
        arrays=[aqz.ArraySettings(output_key="img", data_type=np.uint8,
                                  dimensions=dimensions, **array)])


BAD = {
    # name: (dimensions, the dimension the message must name)
    "channel-before-time": ([("c", C, 2, 1), ("t", T, 2, 1), ("y", S, 8, 8), ("x", S, 8, 8)], "'t'"),
    "space-before-channel": ([("t", T, 0, 1), ("z", S, 4, 2), ("c", C, 2, 1), ("y", S, 8, 8),
                              ("x", S, 8, 8)], "'c'"),
    "two-times": ([("t", T, 0, 1), ("u", T, 2, 1), ("y", S, 8, 8), ("x", S, 8, 8)], "time"),
    "two-channels": ([("t", T, 0, 1), ("c", C, 2, 1), ("o", O, 2, 1), ("y", S, 8, 8),
                      ("x", S, 8, 8)], "channel"),
    "four-space": ([("w", S, 2, 1), ("z", S, 2, 1), ("y", S, 8, 8), ("x", S, 8, 8)], "space"),
}


@pytest.mark.parametrize("how", [dict(is_ngff=True),
                                 dict(downsampling_method=aqz.DownsamplingMethod.MEAN)],
                         ids=["is_ngff", "pyramid"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_non_ngff_axes_are_refused(tmp_path, case, how):
    dims, culprit = BAD[case]
    store = tmp_path / "s.zarr"
    with pytest.raises(RuntimeError) as error:
        aqz.ZarrStream(_settings(store, dims, **how))
    assert "NGFF" in str(error.value)
    assert culprit in str(error.value), str(error.value)
    assert not store.exists()


def test_plain_array_keeps_any_axis_order(tmp_path):
    dims, _ = BAD["space-before-channel"]
    store = tmp_path / "s.zarr"
    with aqz.ZarrStream(_settings(store, dims)) as stream:
        stream.append(np.arange(2 * 4 * 2 * 64, dtype=np.uint8))
    assert zarr.open_array(str(store / "img")).shape == (2, 4, 2, 8, 8)


def test_storage_order_makes_them_valid(tmp_path):
    dims, _ = BAD["space-before-channel"]
    store = tmp_path / "s.zarr"
    acquired = np.random.default_rng(1).integers(0, 255, (2, 4, 2, 8, 8), dtype=np.uint8)
    settings = _settings(store, dims, downsampling_method=aqz.DownsamplingMethod.MAX,
                         storage_dimension_order=["t", "c", "z", "y", "x"])
    with aqz.ZarrStream(settings) as stream:
        stream.append(acquired)
    group = zarr.open_group(str(store / "img"), mode="r")
    validate_ngff_image(store, "img", "v3")
    assert [a["name"] for a in group.attrs["ome"]["multiscales"][0]["axes"]] == [
        "t", "c", "z", "y", "x"]
    np.testing.assert_array_equal(group["0"][:], acquired.transpose(0, 2, 1, 3, 4))

"""storage_dimension_order: frames acquired in one order, stored in another.

The stored array's shape, chunks, shards, dimension_names and NGFF axes
follow the storage order and its data is np.transpose(acquired, perm); a
Y/X swap transposes every frame; pyramids work on the stored order (Z is
the stored third-last dimension). The first dimension stays first and the
last two may only swap with each other: anything else, an unknown or
repeated name or a wrong length is refused when the stream is created,
with a message naming storage_dimension_order and the culprit."""

import re

import numpy as np
import pytest

import acquire_zarr as aqz
from conftest import LZ4, ZSTD, array_meta, random_data, read_zarr, zarr_version
from pyramid_reference import Image, multiscale_doc

T5 = dict(names=["t", "z", "c", "y", "x"], sizes=[0, 4, 3, 20, 18], chunks=[1, 2, 1, 8, 8], shards=[2, 2, 3, 2, 1],
          units=["second", "micrometer", None, "micrometer", "micrometer"], scales=[2.0, 1.5, 1.0, 0.5, 0.25])


def _data(shape, dtype="uint16", seed=0):
    return random_data(shape, dtype, seed)


MODES = {"plain": dict(), "ngff": dict(is_ngff=True), "pyramid": dict(method="mean")}


@pytest.mark.parametrize("mode", MODES, ids=str)
def test_tzcyx_stored_as_tczyx(store, version, mode):
    img = Image(**T5, storage_order=["t", "c", "z", "y", "x"], codec=LZ4, **MODES[mode])
    assert img.perm == [0, 2, 1, 3, 4]
    data = _data((2, 4, 3, 20, 18), seed=1)
    img.write(store, version, data)
    key = "img/0" if mode != "plain" else "img"
    meta = array_meta(store, key, version)
    assert meta["shape"] == [2, 3, 4, 20, 18]
    if version == "v3":
        assert meta["dimension_names"] == ["t", "c", "z", "y", "x"]
        assert meta["codecs"][0]["configuration"]["chunk_shape"] == [1, 1, 2, 8, 8]
        assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [2, 3, 4, 16, 8]
    else:
        assert meta["chunks"] == [1, 1, 2, 8, 8]
    img.verify(store, version, data)  # data == transpose(acquired, perm), levels, axes, validation
    if mode != "plain":
        axes = multiscale_doc(store, "img", version)["axes"]
        assert [a["name"] for a in axes] == ["t", "c", "z", "y", "x"]
        assert [a.get("type") for a in axes] == ["time", "channel", "space", "space", "space"]


def test_pyramid_uses_stored_z(store, version):
    """Acquired t, z, c, y, x: the third-last is c (never downsampled);
    stored t, c, z, y, x: z is third-last, bounded, 2 chunks -> halved."""
    acquired = Image(**T5, method="max")
    assert all(not lv.halved[1] and not lv.halved[2] for lv in acquired.levels())
    img = Image(**T5, storage_order=["t", "c", "z", "y", "x"], method="max")
    levels = img.levels()
    assert [lv.shape for lv in levels] == [(0, 3, 4, 20, 18), (0, 3, 2, 10, 9), (0, 3, 2, 5, 5)]
    assert levels[1].halved == (False, False, True, True, True)
    assert levels[2].halved == (False, False, False, True, True)
    data = _data((3, 4, 3, 20, 18), seed=2)
    img.write(store, version, data)
    img.verify(store, version, data)


@pytest.mark.parametrize("method", [None, "mean", "decimate"], ids=["plain", "mean", "decimate"])
def test_yx_swap_transposes_frames(store, version, method):
    img = Image(names=["t", "y", "x"], sizes=[0, 40, 24], chunks=[2, 4, 8], shards=[1, 5, 3], method=method,
                storage_order=["t", "x", "y"], scales=[1.0, 0.5, 0.25], units=[None, "micrometer", "micrometer"])
    data = _data((3, 40, 24), seed=3)
    img.write(store, version, data)
    key = "img/0" if method else "img"
    meta = array_meta(store, key, version)
    assert meta["shape"] == [3, 24, 40]
    if method:
        assert [lv.shape for lv in img.levels()] == [(0, 24, 40), (0, 12, 20), (0, 6, 10)]
    refs = img.verify(store, version, data)
    np.testing.assert_array_equal(refs[0], data.transpose(0, 2, 1))
    if method:
        ds = multiscale_doc(store, "img", version)["datasets"]
        assert ds[1]["coordinateTransformations"][0]["scale"] == [1.0, 0.5, 1.0]


def test_reorder_and_swap(store, version):
    img = Image(**T5, storage_order=["t", "c", "z", "x", "y"], method="min", codec=ZSTD)
    assert img.perm == [0, 2, 1, 4, 3]
    data = _data((2, 4, 3, 20, 18), seed=4)
    img.write(store, version, data)
    assert array_meta(store, "img/0", version)["shape"] == [2, 3, 4, 18, 20]
    img.verify(store, version, data)


@pytest.mark.parametrize("order", [["t", "c", "y", "x"], []], ids=["identity", "empty"])
def test_identity_or_empty_order(store, version, order):
    img = Image(names=["t", "c", "y", "x"], sizes=[0, 2, 12, 10], chunks=[1, 1, 8, 8], storage_order=order,
                method="mean" if order else None)
    data = _data((3, 2, 12, 10), seed=5)
    img.write(store, version, data)
    img.verify(store, version, data)


def test_4d_swap_only(store, version):
    img = Image(names=["t", "c", "y", "x"], sizes=[0, 2, 12, 10], chunks=[1, 2, 4, 8], shards=[1, 1, 3, 2],
                storage_order=["t", "c", "x", "y"])
    data = _data((3, 2, 12, 10), "float32", seed=6)
    img.dtype = "float32"
    img.write(store, version, data)
    img.verify(store, version, data)


def test_bounded_first_dimension(store, version):
    img = Image(names=["t", "c", "y", "x"], sizes=[6, 2, 16, 12], chunks=[2, 1, 8, 8],
                storage_order=["t", "c", "x", "y"], method="max")
    data = _data((6, 2, 16, 12), "uint8", seed=7)
    img.dtype = "uint8"
    img.write(store, version, data)
    img.verify(store, version, data)


@pytest.mark.parametrize("dim0", [0, 3], ids=["unbounded", "bounded3"])
def test_stopped_early_mid_row(store, version, dim0):
    """Frames arrive in acquisition order (t, z, c): stopping after 1 row and
    5 frames fills (z0: c0 c1 c2, z1: c0 c1) of row 1, stored as [c][z]."""
    img = Image(**{**T5, "sizes": [dim0] + T5["sizes"][1:]}, storage_order=["t", "c", "z", "y", "x"], method="mean")
    n = 12 + 5
    frames = _data((n, 20, 18), seed=8)
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    for f in frames:
        stream.append(f)
    stream.close()
    acquired = img.frames_to_acquired(frames)
    assert acquired.shape == (2, 4, 3, 20, 18)
    mask = img.written_mask(n, 2)
    refs = img.verify(store, version, acquired, mask=mask)
    assert refs[0].shape == (2, 3, 4, 20, 18)
    # spelled out: stored [t=1, c, z] holds acquired frame 12 + 3 z + c
    got = read_zarr(store, "img/0", version)
    for z in range(2):
        for c in range(3):
            if 12 + 3 * z + c < n:
                np.testing.assert_array_equal(got[1, c, z], frames[12 + 3 * z + c])
    assert not got[1, 2, 1].any() and not got[1, :, 2:].any(), "frames never written are zeros"


def test_hcs_field_storage_order(store, version):
    """A field of view's array may reorder its dimensions too."""
    img = Image(**T5, storage_order=["t", "c", "z", "y", "x"], method="mean", key=None)
    fov = aqz.FieldOfView(path="fov", acquisition_id=0, array_settings=img.settings())
    plate = aqz.Plate(path="plate", name="p", row_names=["A"], column_names=["1"],
                      wells=[aqz.Well(row_name="A", column_name="1", images=[fov])],
                      acquisitions=[aqz.Acquisition(id=0, name="a")])
    settings = aqz.StreamSettings(store_path=str(store), version=zarr_version(version), overwrite=True,
                                  hcs_plates=[plate])
    stream = aqz.ZarrStream(settings)
    data = _data((2, 4, 3, 20, 18), seed=9)
    stream.append(data, key="plate/A/1/fov")
    stream.close()
    img.verify(store, version, data, key="plate/A/1/fov")


# --------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------

NAMES = ["time", "zed", "chan", "ypos", "xpos"]
KINDS = ["time", "space", "channel", "space", "space"]

BAD = {
    # order, names the culprit(s): any one of them must be in the message
    "unknown-name": (["time", "zed", "bogus", "ypos", "xpos"], ["bogus"]),
    "repeated-name": (["time", "chan", "chan", "ypos", "xpos"], ["chan", "zed"]),
    "too-short": (["time", "chan", "ypos", "xpos"], []),
    "too-long": (["time", "chan", "zed", "ypos", "xpos", "xpos"], []),
    "first-moved": (["zed", "time", "chan", "ypos", "xpos"], ["time", "zed"]),
    "first-moved-to-end": (["chan", "zed", "ypos", "xpos", "time"], ["time", "ypos", "xpos"]),
    "y-moved-inside": (["time", "ypos", "chan", "zed", "xpos"], ["ypos", "xpos", "zed"]),
    "x-moved-inside": (["time", "chan", "xpos", "zed", "ypos"], ["xpos", "ypos", "zed"]),
    "z-into-last-two": (["time", "chan", "ypos", "zed", "xpos"], ["ypos", "xpos", "zed"]),
}


def _bad_settings(store, version, order, plate=False):
    img = Image(names=NAMES, kinds=KINDS, sizes=[0, 4, 3, 16, 16], chunks=[1, 2, 1, 8, 8], storage_order=order,
                key=None if plate else "img", method="mean")
    if not plate:
        return img.stream_settings(store, version)
    fov = aqz.FieldOfView(path="fov", array_settings=img.settings())
    p = aqz.Plate(path="plate", name="p", row_names=["A"], column_names=["1"],
                  wells=[aqz.Well(row_name="A", column_name="1", images=[fov])],
                  acquisitions=[aqz.Acquisition(id=0)])
    return aqz.StreamSettings(store_path=str(store), version=zarr_version(version), overwrite=True, hcs_plates=[p])


@pytest.mark.parametrize("plate", [False, True], ids=["array", "plate-field"])
@pytest.mark.parametrize("case", BAD, ids=str)
def test_invalid_storage_order_refused(tmp_path, version, case, plate):
    order, culprits = BAD[case]
    store = tmp_path / "out.zarr"
    with pytest.raises((RuntimeError, ValueError)) as ei:
        aqz.ZarrStream(_bad_settings(store, version, order, plate))
    msg = str(ei.value)
    assert re.search(r"storage[ _]dimension[ _]order", msg, re.I), f"message should name the field: {msg}"
    if culprits:
        assert any(c in msg for c in culprits), f"message should name one of {culprits}: {msg}"
    assert list(tmp_path.iterdir()) == [], "nothing may be created when validation fails"


def test_valid_orders_accepted(tmp_path, version):
    """Every order the rules allow for t, z, c, y, x creates a stream (a plain
    array: an OME-NGFF image also needs its channel before its space axes,
    see test_ngff_axes.py)."""
    for i, order in enumerate([
        ["time", "zed", "chan", "ypos", "xpos"],
        ["time", "chan", "zed", "ypos", "xpos"],
        ["time", "zed", "chan", "xpos", "ypos"],
        ["time", "chan", "zed", "xpos", "ypos"],
    ]):
        store = tmp_path / f"s{i}.zarr"
        img = Image(names=NAMES, kinds=KINDS, sizes=[0, 4, 3, 16, 16], chunks=[1, 2, 1, 8, 8],
                    storage_order=order, key="img", method=None)
        stream = aqz.ZarrStream(img.stream_settings(store, version))
        stream.close()
        assert store.exists()
        if order[1] == "chan":  # an NGFF axis order: the same as an image too
            img.method = "mean"
            aqz.ZarrStream(img.stream_settings(tmp_path / f"n{i}.zarr", version)).close()

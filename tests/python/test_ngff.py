"""OME-NGFF: which node a setting makes (plain array / multiscales group /
pyramid), the multiscales document (0.5 in v3, 0.4 in v2: axes, units,
datasets, scale transforms), ome-zarr-models validation, the is_ngff /
downsampling_method interplay, custom metadata on an image group, other
tools' group attributes left intact, images mixed with plain arrays."""

import json

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
from conftest import LZ4, ZSTD, load_json, node_attrs, node_path, random_data, zarr_version
from pyramid_reference import Image, multiscale_doc, validate_ngff_image

M = aqz.DownsamplingMethod


def _tyx(**kw):
    base = dict(names=["t", "y", "x"], sizes=[0, 40, 36], chunks=[2, 16, 16], shards=[1, 2, 2])
    base.update(kw)
    return Image(**base)


def _data(shape=(3, 40, 36), dtype="uint16", seed=0):
    return random_data(shape, dtype, seed)


# --------------------------------------------------------------------------
# Settings: is_ngff / downsampling_method
# --------------------------------------------------------------------------


def test_is_ngff_defaults_and_forcing():
    a = aqz.ArraySettings()
    assert a.downsampling_method is None
    assert a.is_ngff is False
    assert a.max_levels == 0
    a.downsampling_method = M.MEAN
    assert a.is_ngff is True, "a downsampling method forces is_ngff"
    a.is_ngff = False  # asked while a method is set: still reads True
    assert a.is_ngff is True
    a.downsampling_method = None
    assert a.is_ngff is False, "clearing the method restores the last asked value"
    a.is_ngff = True
    a.downsampling_method = M.MAX
    assert a.is_ngff is True
    a.downsampling_method = None
    assert a.is_ngff is True


@pytest.mark.parametrize("ask", [False, True])
def test_is_ngff_in_constructor(ask):
    a = aqz.ArraySettings(is_ngff=ask, downsampling_method=M.DECIMATE)
    assert a.is_ngff is True and a.downsampling_method == M.DECIMATE
    a.downsampling_method = None
    assert a.is_ngff is ask


def test_pyramid_settings_round_trip():
    img = _tyx(method="min", max_levels=2, storage_order=["t", "x", "y"], key="a")
    s = img.stream_settings("/tmp/never-written.zarr", "v3")
    again = aqz.StreamSettings.from_dict(s.to_dict())
    assert again == s
    a = again.arrays[0]
    assert a.downsampling_method == M.MIN and a.max_levels == 2 and a.is_ngff is True
    assert list(a.storage_dimension_order) == ["t", "x", "y"]
    assert aqz.StreamSettings.from_string(s.to_json()) == s


# --------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------


MODES = {
    "plain": dict(),
    "ngff-only": dict(is_ngff=True),
    "pyramid": dict(method="mean"),
    "pyramid-ngff-false": dict(method="decimate", is_ngff=False),
}


@pytest.mark.parametrize("key", ["img", "", "a/b/img"], ids=["img", "root", "nested"])
@pytest.mark.parametrize("mode", MODES, ids=str)
def test_layout(store, version, mode, key):
    img = _tyx(key=key, **MODES[mode])
    data = _data()
    img.write(store, version, data)
    node = node_path(store, key)
    if mode == "plain":
        meta = load_json(node / ("zarr.json" if version == "v3" else ".zarray"))
        assert meta.get("node_type", "array") == "array"
        assert not (node / "0" / ("zarr.json" if version == "v3" else ".zarray")).exists()
        assert "ome" not in node_attrs(store, key, version)
        assert "multiscales" not in node_attrs(store, key, version)
        img.verify(store, version, data)
        return
    img.verify(store, version, data)  # group + levels + metadata + validation
    n_levels = 3 if img.method else 1
    assert (node / str(n_levels - 1)).is_dir() and not (node / str(n_levels)).exists()
    g = zarr.open_group(str(node), mode="r", zarr_format=3 if version == "v3" else 2)
    assert sorted(g.array_keys(), key=int) == [str(i) for i in range(n_levels)]
    if version == "v3":
        assert not (node / ".zattrs").exists() and not (node / ".zgroup").exists()
        assert "multiscales" not in g.attrs.asdict(), "0.5 keeps multiscales under attributes.ome"
    else:
        assert not (node / "zarr.json").exists()
    for parent in (["", "a", "a/b"] if key == "a/b/img" else [""] if key else []):
        assert "ome" not in node_attrs(store, parent, version)


def test_v3_root_image_document(store):
    """The raw 0.5 document: the group zarr.json attributes.ome."""
    img = _tyx(key="", method="max", units=["second", "micrometer", "micrometer"], scales=[0.5, 0.2, 0.1])
    img.write(store, "v3", _data())
    m = load_json(store / "zarr.json")
    assert m["zarr_format"] == 3 and m["node_type"] == "group"
    ome = m["attributes"]["ome"]
    assert ome["version"] == "0.5"
    ms = ome["multiscales"]
    assert len(ms) == 1
    assert "version" not in ms[0] or ms[0]["version"] == "0.5"
    assert ms[0]["axes"] == [
        {"name": "t", "type": "time", "unit": "second"},
        {"name": "y", "type": "space", "unit": "micrometer"},
        {"name": "x", "type": "space", "unit": "micrometer"},
    ]
    assert [d["path"] for d in ms[0]["datasets"]] == ["0", "1", "2"]
    assert [d["coordinateTransformations"] for d in ms[0]["datasets"]] == [
        [{"type": "scale", "scale": [0.5, 0.2, 0.1]}],
        [{"type": "scale", "scale": [0.5, 0.4, 0.2]}],
        [{"type": "scale", "scale": [0.5, 0.8, 0.4]}],
    ]
    for i in range(3):
        am = load_json(store / str(i) / "zarr.json")
        assert am["node_type"] == "array" and am["dimension_names"] == ["t", "y", "x"]


def test_v2_root_image_document(store):
    """The raw 0.4 document: .zgroup + .zattrs multiscales[0].version."""
    img = _tyx(key="", is_ngff=True, units=[None, "nanometer", "nanometer"], scales=[1.0, 65.0, 65.0])
    img.write(store, "v2", _data())
    assert load_json(store / ".zgroup") == {"zarr_format": 2}
    za = load_json(store / ".zattrs")
    ms = za["multiscales"]
    assert ms[0]["version"] == "0.4"
    assert ms[0]["axes"] == [
        {"name": "t", "type": "time"},
        {"name": "y", "type": "space", "unit": "nanometer"},
        {"name": "x", "type": "space", "unit": "nanometer"},
    ]
    assert ms[0]["datasets"] == [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0, 65.0, 65.0]}]}]
    assert (store / "0" / ".zarray").is_file() and not (store / "1").exists()


AXES_CASES = {
    # names, kinds, units, scales, sizes, chunks
    "tczyx": (["t", "c", "z", "y", "x"], None, ["millisecond", None, "micrometer", "micrometer", "micrometer"],
              [100.0, 1.0, 2.5, 0.325, 0.325], [0, 2, 6, 24, 20], [1, 1, 2, 8, 8]),
    "czyx": (["c", "z", "y", "x"], None, [None, "nanometer", "nanometer", "nanometer"], [1.0, 300.0, 90.0, 90.0],
             [3, 6, 24, 20], [1, 2, 8, 8]),
    "toyx-other": (["t", "o", "y", "x"], None, ["second", None, "micrometer", "micrometer"], [2.0, 1.0, 0.5, 0.5],
                   [0, 2, 24, 20], [1, 1, 8, 8]),
    "yx": (["y", "x"], None, ["micrometer", "micrometer"], [0.1, 0.2], [24, 20], [8, 8]),
    "zyx-named": (["depth", "row", "col"], ["space"] * 3, ["micrometer"] * 3, [4.0, 1.0, 1.0], [6, 24, 20],
                  [2, 8, 8]),
    "tyx-other-names": (["frame", "row", "col"], ["time", "space", "space"], ["second", None, None], [0.03, 1.0, 1.0],
                        [0, 24, 20], [1, 8, 8]),
}


@pytest.mark.parametrize("method", [None, "mean"], ids=["ngff-only", "pyramid"])
@pytest.mark.parametrize("case", AXES_CASES, ids=str)
def test_axes_units_scales(store, version, case, method):
    names, kinds, units, scales, sizes, chunks = AXES_CASES[case]
    img = Image(names=names, kinds=kinds, units=units, scales=scales, sizes=sizes, chunks=chunks, method=method,
                is_ngff=True, codec=ZSTD)
    shape = tuple(s if s else 2 for s in sizes)
    data = _data(shape, seed=3)
    img.write(store, version, data)
    img.verify(store, version, data)
    ms = multiscale_doc(store, "img", version)
    if case == "toyx-other":
        assert "type" not in ms["axes"][1], ms["axes"][1]
    model = validate_ngff_image(store, "img", version)
    assert model is not None


# --------------------------------------------------------------------------
# Custom metadata on an image group
# --------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["img", ""], ids=["img", "root"])
def test_custom_metadata_on_image(store, version, key):
    img = _tyx(key=key, method="mean")
    data = _data()
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    stream.append(data[:2])
    array_key = key if key else None
    assert stream.write_custom_metadata({"scope": {"na": 1.4}}, array_key=array_key, metadata_key="acq") is True
    stream.write_custom_metadata(json.dumps({"merged": [1, 2]}), array_key=array_key)
    with pytest.raises(RuntimeError):
        stream.write_custom_metadata({"x": 1}, array_key=array_key, metadata_key="ome")
    with pytest.raises(RuntimeError):
        stream.write_custom_metadata({"ome": {"version": "9"}}, array_key=array_key)
    stream.append(data[2:])
    stream.close()
    attrs = node_attrs(store, key, version)
    assert attrs.get("acq") == {"scope": {"na": 1.4}}
    assert attrs.get("merged") == [1, 2]
    g = zarr.open_group(str(node_path(store, key)), mode="r")
    assert g.attrs["acq"] == {"scope": {"na": 1.4}}
    # the multiscales document is intact and still validates
    img.verify(store, version, data)
    for lvl in ("0", "1"):
        la = node_attrs(store, "/".join(p for p in (key, lvl) if p), version)
        assert "acq" not in la and "merged" not in la, "custom metadata belongs to the image group"


def test_custom_metadata_before_any_frame(store, version):
    img = _tyx(key="g/img", is_ngff=True)
    stream = aqz.ZarrStream(img.stream_settings(store, version))
    stream.write_custom_metadata({"when": "before"}, array_key="g/img", metadata_key="m")
    data = _data()
    stream.append(data)
    stream.close()
    assert node_attrs(store, "g/img", version)["m"] == {"when": "before"}
    img.verify(store, version, data)


# --------------------------------------------------------------------------
# Other tools' metadata is never clobbered
# --------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["pyramid", "ngff-only", "plain"])
def test_existing_parent_group_attributes_kept(store, version, what):
    fmt = 3 if version == "v3" else 2
    root = zarr.open_group(str(store), mode="w", zarr_format=fmt)
    root.attrs["foo"] = 1
    parent = root.create_group("parent")
    parent.attrs["bar"] = {"by": "another tool", "list": [1, 2]}
    other = root.create_array("other", shape=(4,), dtype="uint8")
    other[:] = [1, 2, 3, 4]
    kw = {"pyramid": dict(method="max"), "ngff-only": dict(is_ngff=True), "plain": dict()}[what]
    img = _tyx(key="parent/img", **kw)
    data = _data()
    img.write(store, version, data, overwrite=False)
    img.verify(store, version, data)
    assert node_attrs(store, "", version).get("foo") == 1
    assert node_attrs(store, "parent", version).get("bar") == {"by": "another tool", "list": [1, 2]}
    g = zarr.open_group(str(store), mode="r", zarr_format=fmt)
    assert g.attrs["foo"] == 1
    assert g["parent"].attrs["bar"]["by"] == "another tool"
    np.testing.assert_array_equal(g["other"][...], [1, 2, 3, 4])


# --------------------------------------------------------------------------
# Images and plain arrays in one stream
# --------------------------------------------------------------------------


def test_images_and_arrays_mixed(store, version):
    imgs = [
        _tyx(key="pyr", method="mean", codec=LZ4),
        _tyx(key="g/ngff", is_ngff=True, dtype="float32"),
        _tyx(key="g/plain", dtype="int8"),
        Image(names=["z", "y", "x"], sizes=[6, 20, 20], chunks=[2, 8, 8], key="vol", method="min", dtype="uint8"),
    ]
    datas = [_data((3, 40, 36), "uint16", 1), _data((3, 40, 36), "float32", 2), _data((3, 40, 36), "int8", 3),
             _data((6, 20, 20), "uint8", 4)]
    settings = aqz.StreamSettings(store_path=str(store), version=zarr_version(version), overwrite=True,
                                  arrays=[i.settings() for i in imgs])
    assert sorted(settings.get_array_keys()) == sorted(i.key for i in imgs)
    stream = aqz.ZarrStream(settings)
    for f in range(6):  # interleaved, one frame at a time
        for img, d in zip(imgs, datas):
            if f < len(d):
                stream.append(d[f], key=img.key)
    stream.close()
    for img, d in zip(imgs, datas):
        img.verify(store, version, d)
    assert "ome" not in node_attrs(store, "g", version)

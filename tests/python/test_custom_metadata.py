"""write_custom_metadata: str / dict, metadata_key, array_key, refusals."""

import json

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
from conftest import ArraySpec, node_attrs, node_path, random_data, stream_settings, verify_array

DOC = {"microscope": {"name": "scope-1", "na": 1.4}, "tags": ["a", "b"], "n": 3, "ok": True, "none": None}


def _open(store, version, specs):
    return aqz.ZarrStream(stream_settings(store, specs, version))


def _zarr_attrs(store, key):
    return zarr.open_array(str(node_path(store, key)), mode="r").attrs.asdict()


@pytest.mark.parametrize("as_str", [True, False], ids=["str", "dict"])
@pytest.mark.parametrize("metadata_key", [None, "acquisition"])
def test_custom_metadata_single_array(store, version, as_str, metadata_key):
    spec = ArraySpec(shape=(2, 6, 5), chunks=(2, 4, 4))
    data = random_data(spec.shape, spec.dtype)
    stream = _open(store, version, spec)
    stream.append(data)
    payload = json.dumps(DOC) if as_str else DOC
    kw = {} if metadata_key is None else {"metadata_key": metadata_key}
    assert stream.write_custom_metadata(payload, **kw) is True
    stream.close()
    want = DOC if metadata_key is None else {metadata_key: DOC}
    raw = node_attrs(store, "", version)
    for k, v in want.items():
        assert raw.get(k) == v, f"attributes[{k!r}] = {raw.get(k)!r}"
    attrs = _zarr_attrs(store, "")
    for k, v in want.items():
        assert attrs[k] == v
    verify_array(store, spec, version, data)


def test_custom_metadata_two_keys_accumulate(store, version):
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    stream = _open(store, version, spec)
    stream.write_custom_metadata({"x": 1}, metadata_key="first")
    stream.write_custom_metadata('{"y": [1, 2]}', metadata_key="second")
    stream.write_custom_metadata({"merged": "yes"})
    stream.append(np.zeros(spec.frame_shape, np.uint16))
    stream.close()
    attrs = _zarr_attrs(store, "")
    assert attrs["first"] == {"x": 1}
    assert attrs["second"] == {"y": [1, 2]}
    assert attrs["merged"] == "yes"


def test_custom_metadata_array_key(store, version):
    a = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4), key="a")
    b = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4), key="g/b")
    stream = _open(store, version, [a, b])
    stream.write_custom_metadata({"which": "a"}, array_key="a", metadata_key="m")
    stream.write_custom_metadata(json.dumps({"which": "b"}), array_key="g/b", metadata_key="m")
    stream.write_custom_metadata({"only_b": 1}, array_key="g/b")
    with pytest.raises(RuntimeError):
        stream.write_custom_metadata({"x": 1}, array_key="nope", metadata_key="m")
    stream.append(np.zeros(a.frame_shape, np.uint16), key="a")
    stream.append(np.zeros(b.frame_shape, np.uint16), key="g/b")
    stream.close()
    assert _zarr_attrs(store, "a")["m"] == {"which": "a"}
    assert "only_b" not in _zarr_attrs(store, "a")
    battrs = _zarr_attrs(store, "g/b")
    assert battrs["m"] == {"which": "b"} and battrs["only_b"] == 1
    assert node_attrs(store, "g/b", version)["m"] == {"which": "b"}


@pytest.mark.parametrize(
    "payload,kw",
    [
        ({"x": 1}, {"metadata_key": "ome"}),
        ({"ome": {"version": "0.5"}}, {}),  # merged into attributes: same reserved key
        ("{not json", {"metadata_key": "m"}),
        ("{not json", {}),
        ('{"a": 1', {}),
        ("", {"metadata_key": "m"}),
        ("[1, 2]", {}),  # not an object: nothing to merge into attributes
    ],
    ids=["ome-key", "ome-merged", "bad-json-key", "bad-json", "truncated", "empty", "list-merged"],
)
def test_custom_metadata_refused(store, version, payload, kw):
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    stream = _open(store, version, spec)
    stream.write_custom_metadata({"kept": True}, metadata_key="good")
    with pytest.raises(RuntimeError):
        stream.write_custom_metadata(payload, **kw)
    stream.append(np.ones(spec.frame_shape, np.uint16))
    stream.close()
    attrs = node_attrs(store, "", version)
    assert attrs.get("good") == {"kept": True}
    assert "ome" not in attrs and "m" not in attrs
    verify_array(store, spec, version, np.ones(spec.shape, np.uint16))


def test_custom_metadata_non_object_under_key(store, version):
    spec = ArraySpec(shape=(1, 6, 5), chunks=(1, 4, 4))
    stream = _open(store, version, spec)
    stream.write_custom_metadata("[1, 2]", metadata_key="m")
    stream.write_custom_metadata("3.5", metadata_key="n")
    stream.append(np.ones(spec.frame_shape, np.uint16))
    stream.close()
    attrs = _zarr_attrs(store, "")
    assert attrs["m"] == [1, 2]
    assert attrs["n"] == 3.5


@pytest.mark.parametrize("version", [aqz.ZarrVersion.V2, aqz.ZarrVersion.V3], ids=["v2", "v3"])
def test_ngff_attributes_are_reserved_on_an_image(tmp_path, version):
    """Custom metadata cannot overwrite the OME-NGFF document of an image:
    "ome" (0.5) and, in Zarr v2, the top-level "multiscales" (0.4)."""
    import json

    settings = aqz.StreamSettings(
        store_path=str(tmp_path / "s.zarr"), overwrite=True, version=version,
        arrays=[aqz.ArraySettings(
            output_key="img", data_type=np.uint8,
            downsampling_method=aqz.DownsamplingMethod.MEAN,
            dimensions=[
                aqz.Dimension(name="t", kind=aqz.DimensionType.TIME, array_size_px=0,
                              chunk_size_px=1, shard_size_chunks=1),
                aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE, array_size_px=16,
                              chunk_size_px=4, shard_size_chunks=1),
                aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE, array_size_px=16,
                              chunk_size_px=4, shard_size_chunks=1),
            ])])
    reserved = ["ome"] + (["multiscales"] if version == aqz.ZarrVersion.V2 else [])
    with aqz.ZarrStream(settings) as stream:
        stream.append(np.ones((2, 16, 16), np.uint8))
        for name in reserved:
            with pytest.raises(RuntimeError, match=name):
                stream.write_custom_metadata({name: "oops"}, array_key="img")
            with pytest.raises(RuntimeError, match=name):
                stream.write_custom_metadata("[]", array_key="img", metadata_key=name)
        stream.write_custom_metadata({"multiscales_note": 1}, array_key="img")
    if version == aqz.ZarrVersion.V2:
        attrs = json.loads((tmp_path / "s.zarr" / "img" / ".zattrs").read_text())
        assert attrs["multiscales"][0]["version"] == "0.4"
    else:
        attrs = json.loads((tmp_path / "s.zarr" / "img" / "zarr.json").read_text())["attributes"]
        assert attrs["ome"]["version"] == "0.5"
    assert attrs["multiscales_note"] == 1

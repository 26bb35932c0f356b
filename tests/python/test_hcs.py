"""HCS plates: plate / row / well / field-of-view groups, the plate and well
documents (OME-NGFF 0.5 in v3, 0.4 in v2) validated with ome-zarr-models,
array keys ("plate/A/1/fov1") used with append, fields without an
acquisition, plates without acquisitions, several plates mixed with flat
arrays, and the settings refused at creation."""

import dataclasses
import re

import numpy as np
import pytest
import zarr

import acquire_zarr as aqz
from conftest import LZ4, assert_group, node_attrs, node_path, random_data, zarr_version
from pyramid_reference import Image, join_key


def _fov_image(method="mean", dtype="uint16", **kw):
    base = dict(names=["c", "y", "x"], sizes=[2, 20, 18], chunks=[1, 8, 8], shards=[2, 2, 2], dtype=dtype,
                method=method, key=None, units=[None, "micrometer", "micrometer"], scales=[1.0, 0.65, 0.65])
    base.update(kw)
    return Image(**base)


def _tcyx_image(method="max"):
    return Image(names=["t", "c", "y", "x"], sizes=[0, 2, 20, 18], chunks=[1, 1, 8, 8], shards=[2, 2, 1, 1],
                 method=method, key=None, codec=LZ4)


def _fov(path, img, acquisition_id=None):
    kw = dict(path=path, array_settings=img.settings())
    if acquisition_id is not None:
        kw["acquisition_id"] = acquisition_id
    return aqz.FieldOfView(**kw)


def _as_image(img):
    """A field of view is always a multiscales image group."""
    return dataclasses.replace(img, is_ngff=True)


def _settings(store, version, plates, arrays=(), **kw):
    kw.setdefault("overwrite", True)
    return aqz.StreamSettings(store_path=str(store), version=zarr_version(version), hcs_plates=list(plates),
                              arrays=[a.settings() for a in arrays], **kw)


def _shape(img, rows=2):
    return tuple(rows if s == 0 else s for s in img.sizes)


def plate_doc(store, path, version) -> dict:
    attrs = node_attrs(store, path, version)
    if version == "v3":
        ome = attrs.get("ome")
        assert isinstance(ome, dict), f"no attributes.ome at plate {path}: {attrs}"
        assert ome.get("version") == "0.5", ome
        assert "plate" not in attrs, "0.5 keeps plate under attributes.ome"
        return ome["plate"]
    assert "ome" not in attrs
    plate = attrs.get("plate")
    assert isinstance(plate, dict), f"no plate in .zattrs of {path}: {attrs}"
    assert plate.get("version") == "0.4", plate
    return plate


def well_doc(store, path, version) -> dict:
    attrs = node_attrs(store, path, version)
    if version == "v3":
        ome = attrs.get("ome")
        assert isinstance(ome, dict) and ome.get("version") == "0.5", attrs
        return ome["well"]
    well = attrs.get("well")
    assert isinstance(well, dict), attrs
    assert well.get("version") in (None, "0.4"), well
    return well


def validate_hcs(store, path, version):
    g = zarr.open_group(str(node_path(store, path)), mode="r", zarr_format=3 if version == "v3" else 2)
    if version == "v3":
        from ome_zarr_models.v05.hcs import HCS
        from ome_zarr_models.v05.well import Well
    else:
        from ome_zarr_models.v04.hcs import HCS
        from ome_zarr_models.v04.well import Well
    hcs = HCS.from_zarr(g)
    for w in plate_doc(store, path, version)["wells"]:
        Well.from_zarr(g[w["path"]])
    return hcs


def check_plate(store, version, plate, images):
    """plate: the aqz.Plate written; images: {field key: (Image, data)}."""
    doc = plate_doc(store, plate.path, version)
    assert doc.get("name") == plate.name
    assert doc["rows"] == [{"name": r} for r in plate.row_names]
    assert doc["columns"] == [{"name": c} for c in plate.column_names]
    want_wells = sorted(
        ({"path": f"{w.row_name}/{w.column_name}", "rowIndex": list(plate.row_names).index(w.row_name),
          "columnIndex": list(plate.column_names).index(w.column_name)} for w in plate.wells),
        key=lambda d: d["path"],
    )
    got_wells = sorted(doc["wells"], key=lambda d: d["path"])
    assert [{k: w.get(k) for k in ("path", "rowIndex", "columnIndex")} for w in got_wells] == want_wells
    assert doc.get("field_count") == max(len(w.images) for w in plate.wells)
    if plate.acquisitions:
        got = {a["id"]: a for a in doc["acquisitions"]}
        assert sorted(got) == sorted(a.id for a in plate.acquisitions)
        for a in plate.acquisitions:
            g = got[a.id]
            assert g.get("name") == a.name
            assert g.get("description") == a.description
            assert g.get("starttime") == a.start_time
            assert g.get("endtime") == a.end_time
            per_well = [sum(1 for f in w.images if f.acquisition_id == a.id) for w in plate.wells]
            if max(per_well) > 0:
                assert g.get("maximumfieldcount") == max(per_well), (a.id, g)
    else:
        assert doc.get("acquisitions") in (None, []), doc.get("acquisitions")
    assert_group(store, plate.path, version)
    for w in plate.wells:
        assert_group(store, join_key(plate.path, w.row_name), version)
        wpath = join_key(plate.path, w.row_name, w.column_name)
        assert_group(store, wpath, version)
        wd = well_doc(store, wpath, version)
        want = []
        for f in w.images:
            e = {"path": f.path}
            if f.acquisition_id is not None:
                e["acquisition"] = f.acquisition_id
            want.append(e)
        got = [{k: v for k, v in im.items() if k in ("path", "acquisition") and v is not None} for im in wd["images"]]
        assert got == want, (got, want)
    for key, (img, data) in images.items():
        _as_image(img).verify(store, version, data, key=key)
    validate_hcs(store, plate.path, version)


# --------------------------------------------------------------------------
# Writing plates
# --------------------------------------------------------------------------


def _full_plate():
    imgs = {
        "A/1/fov1": _fov_image("mean"),
        "A/1/fov2": _fov_image(None),  # no method, is_ngff False: still an image group
        "B/3/f": _tcyx_image("max"),
        "B/3/g": _fov_image("decimate", dtype="float32"),
    }
    wells = [
        aqz.Well(row_name="A", column_name="1",
                 images=[_fov("fov1", imgs["A/1/fov1"], 0), _fov("fov2", imgs["A/1/fov2"], 1)]),
        aqz.Well(row_name="B", column_name="3",
                 images=[_fov("f", imgs["B/3/f"], 0), _fov("g", imgs["B/3/g"], 0)]),
    ]
    plate = aqz.Plate(
        path="plate", name="My plate", row_names=["A", "B", "C"], column_names=["1", "2", "3"], wells=wells,
        acquisitions=[
            aqz.Acquisition(id=0, name="first", description="the first one", start_time=1700000000000,
                            end_time=1700000360000),
            aqz.Acquisition(id=1, name="second"),
        ],
    )
    return plate, imgs


def test_plate(store, version):
    plate, imgs = _full_plate()
    flat = Image(names=["t", "y", "x"], sizes=[0, 12, 10], chunks=[1, 8, 8], key="flat")
    pyr = Image(names=["t", "y", "x"], sizes=[0, 20, 20], chunks=[1, 8, 8], key="extra/img", method="mean")
    settings = _settings(store, version, [plate], arrays=[flat, pyr])
    want_keys = {"plate/A/1/fov1", "plate/A/1/fov2", "plate/B/3/f", "plate/B/3/g", "flat", "extra/img"}
    assert set(settings.get_array_keys()) == want_keys
    assert len(settings.get_array_keys()) == len(want_keys)
    datas = {k: random_data(_shape(img), img.dtype, seed=i) for i, (k, img) in enumerate(imgs.items())}
    flat_data = random_data((3, 12, 10), "uint16", seed=10)
    pyr_data = random_data((2, 20, 20), "uint16", seed=11)
    stream = aqz.ZarrStream(settings)
    # interleave: a frame of each field at a time
    for i in range(4):
        for k, img in imgs.items():
            d = datas[k].reshape((-1,) + img.frame_shape)
            if i < len(d):
                stream.append(d[i], key="plate/" + k)
        if i < 3:
            stream.append(flat_data[i], key="flat")
        if i < 2:
            stream.append(pyr_data[i], key="extra/img")
    stream.close()
    check_plate(store, version, plate, {"plate/" + k: (imgs[k], datas[k]) for k in imgs})
    flat.verify(store, version, flat_data)
    pyr.verify(store, version, pyr_data)
    assert "ome" not in node_attrs(store, "", version)


def test_field_without_acquisition(store, version):
    img = _fov_image("min")
    plate = aqz.Plate(path="p", name="no-acq-field", row_names=["A"], column_names=["1", "2"],
                      wells=[aqz.Well(row_name="A", column_name="2", images=[_fov("0", img, None), _fov("1", img, 3)])],
                      acquisitions=[aqz.Acquisition(id=3, name="x")])
    assert plate.wells[0].images[0].acquisition_id is None
    settings = _settings(store, version, [plate])
    stream = aqz.ZarrStream(settings)
    datas = [random_data(_shape(img), "uint16", seed=s) for s in (1, 2)]
    stream.append(datas[0], key="p/A/2/0")
    stream.append(datas[1], key="p/A/2/1")
    stream.close()
    images = well_doc(store, "p/A/2", version)["images"]
    assert images[0].get("path") == "0" and images[0].get("acquisition") is None
    assert images[1].get("path") == "1" and images[1].get("acquisition") == 3
    check_plate(store, version, plate, {"p/A/2/0": (img, datas[0]), "p/A/2/1": (img, datas[1])})


def test_plate_without_acquisitions(store, version):
    img = _fov_image("mean")
    plate = aqz.Plate(path="plate", name="bare", row_names=["A", "B"], column_names=["1"],
                      wells=[aqz.Well(row_name="B", column_name="1", images=[_fov("fov", img)])])
    assert list(plate.acquisitions) == []
    stream = aqz.ZarrStream(_settings(store, version, [plate]))
    data = random_data(_shape(img), "uint16", seed=4)
    stream.append(data, key="plate/B/1/fov")
    stream.close()
    check_plate(store, version, plate, {"plate/B/1/fov": (img, data)})


def test_two_plates_nested_path(store, version):
    img = _fov_image("max", dtype="uint8")
    p1 = aqz.Plate(path="screen/p1", name="one", row_names=["A"], column_names=["1"],
                   wells=[aqz.Well(row_name="A", column_name="1", images=[_fov("fov", img, 0)])],
                   acquisitions=[aqz.Acquisition(id=0)])
    p2 = aqz.Plate(path="p2", name="two", row_names=["A", "B"], column_names=["7"],
                   wells=[aqz.Well(row_name="B", column_name="7", images=[_fov("fov", img, 0)])],
                   acquisitions=[aqz.Acquisition(id=0)])
    settings = _settings(store, version, [p1, p2])
    assert sorted(settings.get_array_keys()) == ["p2/B/7/fov", "screen/p1/A/1/fov"]
    stream = aqz.ZarrStream(settings)
    d1 = random_data(_shape(img), "uint8", seed=5)
    d2 = random_data(_shape(img), "uint8", seed=6)
    stream.append(d1, key="screen/p1/A/1/fov")
    stream.append(d2, key="p2/B/7/fov")
    stream.close()
    assert_group(store, "screen", version)
    assert "ome" not in node_attrs(store, "screen", version)
    check_plate(store, version, p1, {"screen/p1/A/1/fov": (img, d1)})
    check_plate(store, version, p2, {"p2/B/7/fov": (img, d2)})


def test_plates_alias():
    plate, _ = _full_plate()
    a = aqz.StreamSettings(plates=[plate])
    b = aqz.StreamSettings(hcs_plates=[plate])
    assert a == b
    assert a.plates == a.hcs_plates == [plate]
    assert sorted(a.get_array_keys()) == sorted(b.get_array_keys()) == [
        "plate/A/1/fov1", "plate/A/1/fov2", "plate/B/3/f", "plate/B/3/g"]


def test_stream_get_array_keys(store):
    plate, _ = _full_plate()
    flat = Image(names=["t", "y", "x"], sizes=[0, 12, 10], chunks=[1, 8, 8], key="flat")
    settings = _settings(store, "v3", [plate], arrays=[flat])
    stream = aqz.ZarrStream(settings)
    try:
        assert sorted(stream.get_array_keys()) == sorted(settings.get_array_keys()) == [
            "flat", "plate/A/1/fov1", "plate/A/1/fov2", "plate/B/3/f", "plate/B/3/g"]
    finally:
        stream.close()


def test_plate_settings_round_trip():
    plate, _ = _full_plate()
    s = aqz.StreamSettings(store_path="/tmp/never-written.zarr", hcs_plates=[plate])
    again = aqz.StreamSettings.from_dict(s.to_dict())
    assert again == s
    assert again.hcs_plates[0].acquisitions[0].start_time == 1700000000000
    assert again.hcs_plates[0].wells[0].images[1].acquisition_id == 1


def test_unknown_field_key_refused(store, version):
    plate, imgs = _full_plate()
    stream = aqz.ZarrStream(_settings(store, version, [plate]))
    frame = np.zeros(imgs["A/1/fov1"].frame_shape, np.uint16)
    for bad in ("plate/A/1/nope", "plate/A/1", "plate", "A/1/fov1"):
        with pytest.raises(RuntimeError):
            stream.append(frame, key=bad)
    stream.append(random_data(_shape(imgs["A/1/fov1"]), "uint16", seed=1), key="plate/A/1/fov1")
    stream.close()


# --------------------------------------------------------------------------
# Refusals at creation
# --------------------------------------------------------------------------


def _plate(wells=None, acquisitions=None, path="myplate", rows=("Row7", "Row8"), cols=("Col12", "Col13")):
    if wells is None:
        wells = [aqz.Well(row_name="Row7", column_name="Col12", images=[_fov("fovA", _fov_image(), 0)])]
    if acquisitions is None:
        acquisitions = [aqz.Acquisition(id=0, name="acq")]
    return aqz.Plate(path=path, name="p", row_names=list(rows), column_names=list(cols), wells=wells,
                     acquisitions=acquisitions)


def _well(row="Row7", col="Col12", fovs=("fovA",), acq=0, img=None):
    img = img or _fov_image()
    return aqz.Well(row_name=row, column_name=col, images=[_fov(f, img, acq) for f in fovs])


def _own_key_fov():
    s = _fov_image().settings()
    s.output_key = "own_key"
    return aqz.FieldOfView(path="fovA", acquisition_id=0, array_settings=s)


REFUSED = {
    # name: (plates, flat arrays, words of which one must be in the message)
    "duplicate-well": (lambda: [_plate(wells=[_well(), _well(fovs=("fovB",))])], [], ["Row7/Col12", "Col12"]),
    "duplicate-field": (lambda: [_plate(wells=[_well(fovs=("fovdup", "fovdup"))])], [], ["fovdup"]),
    "row-not-in-plate": (lambda: [_plate(wells=[_well(row="Zq9")])], [], ["Zq9"]),
    "column-not-in-plate": (lambda: [_plate(wells=[_well(col="Col99")])], [], ["Col99"]),
    "field-with-output-key": (
        lambda: [_plate(wells=[aqz.Well(row_name="Row7", column_name="Col12", images=[_own_key_fov()])])],
        [], ["own_key", "output_key"]),
    "array-key-is-plate-path": (lambda: [_plate()], ["myplate"], ["myplate"]),
    "array-key-is-field-key": (lambda: [_plate()], ["myplate/Row7/Col12/fovA"], ["myplate"]),
    "array-key-is-well-path": (lambda: [_plate()], ["myplate/Row7/Col12"], ["myplate"]),
    "undeclared-acquisition": (lambda: [_plate(wells=[_well(acq=77)])], [], ["77"]),
    "undeclared-acquisition-no-acquisitions": (
        lambda: [aqz.Plate(path="myplate", name="p", row_names=["Row7"], column_names=["Col12"],
                           wells=[_well(acq=5)])], [], ["5"]),
    "two-plates-same-path": (lambda: [_plate(), _plate()], [], ["myplate"]),
}


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_refused_at_creation(tmp_path, version, case):
    make_plates, array_keys, words = REFUSED[case]
    store = tmp_path / "out.zarr"
    arrays = [Image(names=["t", "y", "x"], sizes=[0, 12, 10], chunks=[1, 8, 8], key=k) for k in array_keys]
    with pytest.raises((RuntimeError, ValueError)) as ei:
        aqz.ZarrStream(_settings(store, version, make_plates(), arrays=arrays))
    msg = str(ei.value)
    assert any(w in msg for w in words), f"message should name one of {words}: {msg}"
    assert list(tmp_path.iterdir()) == [], "nothing may be created when validation fails"


def test_valid_plate_with_the_refusal_fixtures(tmp_path, version):
    """The fixtures of the refusal cases are valid without their defect."""
    store = tmp_path / "out.zarr"
    plate = _plate(wells=[_well(), _well(row="Row8", col="Col13", fovs=("fovA", "fovB"))])
    arrays = [Image(names=["t", "y", "x"], sizes=[0, 12, 10], chunks=[1, 8, 8], key="myplate2")]
    stream = aqz.ZarrStream(_settings(store, version, [plate], arrays=arrays))
    stream.close()
    assert re.search("Row8", str(sorted(_settings(store, version, [plate]).get_array_keys())))


def test_flat_array_inside_a_well_beside_its_fields(store, version):
    """As the published library allows (its mixed flat-and-HCS test): a flat
    array in a well, next to the well's fields of view."""
    img = _fov_image("mean")
    plate = aqz.Plate(path="plate", name="mixed", row_names=["C"], column_names=["5"],
                      wells=[aqz.Well(row_name="C", column_name="5", images=[_fov("fov", img)])])
    labels = dataclasses.replace(_fov_image(None), key="plate/C/5/labels")
    stream = aqz.ZarrStream(_settings(store, version, [plate], arrays=[labels]))
    data = random_data(_shape(img), "uint16", seed=7)
    extra = random_data(_shape(labels), "uint16", seed=8)
    stream.append(data, key="plate/C/5/fov")
    stream.append(extra, key="plate/C/5/labels")
    stream.close()
    check_plate(store, version, plate, {"plate/C/5/fov": (img, data)})
    np.testing.assert_array_equal(
        zarr.open_array(str(store / "plate" / "C" / "5" / "labels"), mode="r")[...], extra)


@pytest.mark.parametrize("key", ["plate", "plate/C", "plate/C/5", "plate/C/5/fov",
                                 "plate/C/5/fov/0", ""])
def test_flat_array_at_a_plate_node_is_refused(tmp_path, version, key):
    img = _fov_image("mean")
    plate = aqz.Plate(path="plate", name="mixed", row_names=["C"], column_names=["5"],
                      wells=[aqz.Well(row_name="C", column_name="5", images=[_fov("fov", img)])])
    flat = dataclasses.replace(_fov_image(None), key=key)
    with pytest.raises(RuntimeError, match="collides with the plate"):
        aqz.ZarrStream(_settings(tmp_path / "s.zarr", version, [plate], arrays=[flat]))
    assert not (tmp_path / "s.zarr").exists()

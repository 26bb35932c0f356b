"""Writing and rewriting OME-NGFF multiscales metadata of existing groups:
acquire_zarr.ome_metadata.write_ome_metadata.

Groups of levels are written with zarr-python (v2 -> NGFF 0.4, v3 -> 0.5);
the metadata is validated with ome-zarr-models and each level's scale and
translation checked numerically for every alignment (edge, center, a window
size, per axis), with the unpooled axis, time and channel axes; refusals
name the value and leave the group as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from acquire_zarr import ome_metadata as om
from acquire_zarr.ome_metadata import write_ome_metadata
from conftest import tree_snapshot
from pyramid_reference import validate_ngff_image

SHAPES = [(3, 2, 37, 45, 16), (3, 2, 19, 23, 16), (3, 2, 10, 12, 16), (3, 2, 5, 6, 16)]


def levels_group(root: Path, fmt: int, shapes=SHAPES, names=None, attrs=None) -> Path:
    g = zarr.open_group(str(root), mode="w", zarr_format=fmt)
    if attrs:
        g.attrs.update(attrs)
    for k, s in enumerate(shapes):
        kw = {"dimension_names": names} if (names and fmt == 3) else {}
        g.create_array(str(k), shape=s, chunks=tuple(min(8, n) for n in s), dtype="uint8", **kw)
    return root


def ms_of(root: Path, fmt: int) -> dict:
    if fmt == 3:
        ome = json.loads((root / "zarr.json").read_text())["attributes"]["ome"]
        assert ome["version"] == "0.5"
        return ome["multiscales"][0]
    ms = json.loads((root / ".zattrs").read_text())["multiscales"][0]
    assert ms["version"] == "0.4"
    return ms


def transforms(ms):
    out = []
    for d in ms["datasets"]:
        ct = {t["type"]: t[t["type"]] for t in d["coordinateTransformations"]}
        assert d["coordinateTransformations"][0]["type"] == "scale"
        out.append((ct["scale"], ct.get("translation", [0.0] * len(ct["scale"]))))
    return out


def expected(shapes, axis, s0, align, t0=0.0):
    """(scale, translation) per level along one space axis, written out."""
    n0 = shapes[0][axis]
    out = []
    h = 0
    for k, s in enumerate(shapes):
        nk = s[axis]
        if k and nk < shapes[k - 1][axis]:
            h += 1
        if align == "edge" or (align == "center" and nk == 1 and n0 > 1):
            out.append((s0 * n0 / nk, t0 + s0 * (n0 / nk - 1) / 2))
        elif align == "center":
            out.append((s0 * (n0 - 1) / (nk - 1) if n0 > 1 else s0, t0))
        else:
            w = float(align)
            out.append((s0 * w**h, t0 + s0 * (w**h - 1) / 2))
    return out


@pytest.mark.parametrize("align", ["edge", "center", 2, 3, ["center", "edge", 2]])
@pytest.mark.parametrize("fmt", [2, 3])
def test_alignments(tmp_path, fmt, align):
    """t, c, z, y, x levels where z and y shrink and x (16) never does."""
    g = levels_group(tmp_path / "g.zarr", fmt)
    ms = write_ome_metadata(g, ["t", "c", "z", "y", "x"], space_scale=[0.5, 0.2, 0.1], time_scale=3.0,
                            space_unit="micrometer", time_unit="millisecond", name="cells", pyramid_aligns=align)
    assert ms == ms_of(g, fmt)
    validate_ngff_image(g, "", "v3" if fmt == 3 else "v2")
    assert ms["name"] == "cells"
    assert [a["name"] for a in ms["axes"]] == ["t", "c", "z", "y", "x"]
    assert [a.get("type") for a in ms["axes"]] == ["time", "channel", "space", "space", "space"]
    assert [a.get("unit") for a in ms["axes"]] == ["millisecond", None, "micrometer", "micrometer", "micrometer"]
    got = transforms(ms)
    aligns = align if isinstance(align, list) else [align] * 3
    for j, (axis, s0) in enumerate(zip((2, 3, 4), (0.5, 0.2, 0.1))):
        for k, (want_s, want_t) in enumerate(expected(SHAPES, axis, s0, aligns[j])):
            assert np.isclose(got[k][0][axis], want_s), (k, axis, got[k], want_s)
            assert np.isclose(got[k][1][axis], want_t), (k, axis, got[k], want_t)
    for k in range(len(SHAPES)):
        assert got[k][0][:2] == [3.0, 1.0] and got[k][1][:2] == [0.0, 0.0]


def test_window_two_numbers(tmp_path):
    """The formulas on numbers: level k of a window-2 pyramid."""
    g = levels_group(tmp_path / "g.zarr", 3, shapes=[(16, 16), (8, 8), (4, 4)])
    t = transforms(write_ome_metadata(g, space_scale=0.5))
    assert t == [([0.5, 0.5], [0.0, 0.0]), ([1.0, 1.0], [0.25, 0.25]), ([2.0, 2.0], [0.75, 0.75])]
    t = transforms(write_ome_metadata(g, space_scale=0.5, pyramid_aligns="edge"))
    assert t == [([0.5, 0.5], [0.0, 0.0]), ([1.0, 1.0], [0.25, 0.25]), ([2.0, 2.0], [0.75, 0.75])]
    t = transforms(write_ome_metadata(g, space_scale=0.5, pyramid_aligns="center"))
    assert t[1] == ([0.5 * 15 / 7] * 2, [0.0, 0.0]) and t[2] == ([0.5 * 5.0] * 2, [0.0, 0.0])


@pytest.mark.parametrize("fmt", [2, 3])
def test_no_pool_and_levels(tmp_path, fmt):
    shapes = [(12, 40, 40), (12, 20, 20), (12, 10, 10)]
    g = levels_group(tmp_path / "g.zarr", fmt, shapes=shapes)
    ms = write_ome_metadata(g, "zyx", no_pool="z", space_scale=2.0)
    t = transforms(ms)
    assert [s[0][0] for s in t] == [2.0, 2.0, 2.0] and [s[1][0] for s in t] == [0.0, 0.0, 0.0]
    assert [s[0][1] for s in t] == [2.0, 4.0, 8.0] and [s[1][1] for s in t] == [0.0, 1.0, 3.0]
    ms = write_ome_metadata(g, "zyx", no_pool=0, levels=2)
    assert [d["path"] for d in ms["datasets"]] == ["0", "1"]
    validate_ngff_image(g, "", "v3" if fmt == 3 else "v2")
    ms = write_ome_metadata(g, levels=["0", "2"])
    assert [d["path"] for d in ms["datasets"]] == ["0", "2"]
    assert [a["name"] for a in ms["axes"]] == ["z", "y", "x"], "axes kept from the metadata"


def test_rewrite_keeps_other_attributes_and_infers_axes(tmp_path):
    g = levels_group(tmp_path / "g.zarr", 3, shapes=[(4, 30, 30), (4, 15, 15)], names=["c", "y", "x"],
                     attrs={"mine": [1, 2], "ome": {"omero": {"channels": []}}})
    ms = write_ome_metadata(g, multiscales_type="local_max", metadata={"how": "by hand"}, name="first")
    assert [a["name"] for a in ms["axes"]] == ["c", "y", "x"], "from dimension_names"
    attrs = json.loads((g / "zarr.json").read_text())["attributes"]
    assert attrs["mine"] == [1, 2] and attrs["ome"]["omero"] == {"channels": []}
    ms = write_ome_metadata(g, space_unit=None, pyramid_aligns="center")
    assert ms["type"] == "local_max" and ms["metadata"] == {"how": "by hand"} and ms["name"] == "first"
    assert all("unit" not in a for a in ms["axes"])
    assert all(len(d["coordinateTransformations"]) == 1 for d in ms["datasets"]), "no translation when all 0"
    ms = write_ome_metadata(g, multiscales_type="")
    assert "type" not in ms
    validate_ngff_image(g, "", "v3")
    # no dimension names: (t)(c)(z)yx by count; 0.5 writes them on the arrays
    g2 = levels_group(tmp_path / "g2.zarr", 3, shapes=[(2, 3, 8, 8)])
    ms = write_ome_metadata(g2)
    assert [a["name"] for a in ms["axes"]] == ["c", "z", "y", "x"]
    assert json.loads((g2 / "0" / "zarr.json").read_text())["dimension_names"] == ["c", "z", "y", "x"]
    # dict axes: an "other" axis has no type
    g3 = levels_group(tmp_path / "g3.zarr", 2, shapes=[(3, 8, 8)])
    ms = write_ome_metadata(g3, [{"name": "angle", "type": None}, "y", "x"])
    assert ms["axes"][0] == {"name": "angle"}
    validate_ngff_image(g3, "", "v2")


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((["t", "y"],), {}, ValueError, r"axes=\['t', 'y'\]: 2 axes for arrays of 5 dimensions"),
        ((["a", "b", "z", "y", "x"],), {}, ValueError, r"2 or 3 space axes, these have 5"),
        ((["t", "c", "z", "y", "y"],), {}, ValueError, r"axis names must be unique"),
        ((["c", "t", "z", "y", "x"],), {}, ValueError, r"(?s)would not validate.*Time axis must be at the beginning"),
        ((), dict(ome_version="0.4"), ValueError, r"ome_version='0.4' does not fit the Zarr v3 group"),
        ((), dict(ome_version="0.6"), ValueError, r"ome_version='0.6'"),
        ((), dict(pyramid_aligns="middle"), ValueError, r"pyramid_aligns='middle'"),
        ((), dict(pyramid_aligns=[2, 2]), ValueError, r"pyramid_aligns=\[2, 2\]: expected 3 values"),
        ((), dict(pyramid_aligns=0.5), ValueError, r"pyramid_aligns=0.5"),
        ((), dict(space_scale=[1.0, -1.0, 1.0]), ValueError, r"space_scale=\[1.0, -1.0, 1.0\]"),
        ((), dict(space_scale=[1.0]), ValueError, r"space_scale=\[1.0\]: expected 3 values"),
        ((), dict(time_scale=0), ValueError, r"time_scale=0"),
        ((), dict(no_pool="q"), ValueError, r"no_pool='q': no such space axis"),
        ((), dict(no_pool=3), ValueError, r"no_pool=3"),
        ((), dict(levels=9), ValueError, r"levels=9: .* has 4 level"),
        ((), dict(levels=["0", "nope"]), ValueError, r"nope"),
    ],
)
def test_refusals_change_nothing(tmp_path, args, kwargs, exc, match):
    g = levels_group(tmp_path / "g.zarr", 3)
    before = tree_snapshot(g)
    with pytest.raises(exc, match=match):
        write_ome_metadata(g, *args, **kwargs)
    assert tree_snapshot(g) == before


def test_not_a_group(tmp_path):
    g = levels_group(tmp_path / "g.zarr", 2)
    with pytest.raises(ValueError, match="not on an array"):
        write_ome_metadata(g / "0")
    with pytest.raises(ValueError, match="ome_version='0.5' does not fit the Zarr v2 group"):
        write_ome_metadata(g, ome_version="0.5")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="is not a Zarr array or group"):
        write_ome_metadata(tmp_path / "plain")
    e = zarr.open_group(str(tmp_path / "e.zarr"), mode="w")
    with pytest.raises(ValueError, match="holds no array '0'"):
        write_ome_metadata(e)


def test_invalid_on_disk_is_put_back(tmp_path, monkeypatch):
    """A result ome-zarr-models refuses on disk: the group is left as it was."""
    g = levels_group(tmp_path / "g.zarr", 3)
    before = tree_snapshot(g)

    def refuse(node, version, validate):
        raise ValueError("does not validate (ome-zarr-models), so it was put back as it was: test")

    monkeypatch.setattr(om, "validate_group", refuse)
    with pytest.raises(ValueError, match="put back"):
        write_ome_metadata(g, "tczyx")
    assert tree_snapshot(g) == before

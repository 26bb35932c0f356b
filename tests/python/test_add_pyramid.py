"""Pyramids after the fact: acquire_zarr.pyramid.add_pyramid.

Sources are written by zarr-python (Zarr v2 and v3, sharded and not, uint8 to
float64, 2-D to 5-D, ragged sizes) and by this engine. Every new level is
read back with zarr-python and TensorStore and compared with a direct numpy
reference of its mode (``ref_step`` below; ``pyramid_reference`` for the
engine's own methods), levels made after the fact are compared with the
engine's streaming pyramid of the same data, the metadata is validated with
ome-zarr-models and its scales and translations checked numerically, and
every refusal names the value and leaves the disk as it was.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import tensorstore as ts
import zarr

from acquire_zarr import pyramid as pyr
from acquire_zarr.pyramid import add_pyramid
from conftest import random_data, tree_snapshot
from pyramid_reference import Image, _div_round, downsample_step, validate_ngff_image

# --------------------------------------------------------------------------
# The reference: one step, written directly (blocks by reshaping)
# --------------------------------------------------------------------------


def ref_blocks(b: np.ndarray, axes, mode: str) -> np.ndarray:
    """Reduce 2-sample blocks along ``axes`` (even sizes there): reshape each
    pooled axis n -> (n/2, 2) and reduce the block's samples, listed in C
    order of their offsets (Z, then Y, then X)."""
    axes = sorted(axes)
    if not axes:
        return b.copy()
    shape, pairs = [], []
    for d, n in enumerate(b.shape):
        if d in axes:
            assert n % 2 == 0
            shape += [n // 2, 2]
            pairs.append(len(shape) - 1)
        else:
            shape.append(n)
    r = b.reshape(shape)
    r = np.moveaxis(r, pairs, list(range(-len(pairs), 0)))
    out_shape = r.shape[: r.ndim - len(pairs)]
    r = r.reshape(out_shape + (-1,))
    n = r.shape[-1]
    dt = b.dtype
    if mode == "decimate":
        return r[..., 0].copy()
    if mode == "min":
        return np.min(r, axis=-1)
    if mode == "max":
        return np.max(r, axis=-1)
    if mode == "mean":
        if dt.kind in "ui":
            total = r.astype(object).sum(axis=-1)  # exact Python integers
            return np.asarray(_div_round(np.asarray(total, dtype=object), n, "even"), dtype=object).astype(dt)
        total = r[..., 0].astype(np.float64)
        for i in range(1, n):
            total = total + r[..., i]
        return (total / n).astype(dt)
    if mode == "median":
        s = np.sort(r, axis=-1)
        lo, hi = s[..., n // 2 - 1], s[..., n // 2]
        if dt.kind in "ui":
            total = lo.astype(object) + hi.astype(object)
            return np.asarray(_div_round(np.asarray(total, dtype=object), 2, "even"), dtype=object).astype(dt)
        out = ((lo.astype(np.float64) + hi) / 2).astype(dt)
        out[np.isnan(r).any(axis=-1)] = np.nan
        return out
    raise ValueError(mode)


def ref_step(a: np.ndarray, axes, mode: str) -> np.ndarray:
    """One level: an odd size repeats its last sample along the last two
    axes; along the third-last, an odd last plane passes through."""
    nd = a.ndim
    z = nd - 3
    b = a
    for ax in axes:
        if ax != z and b.shape[ax] % 2:
            b = np.concatenate([b, np.take(b, [b.shape[ax] - 1], axis=ax)], axis=ax)
    if z in axes and b.shape[z] % 2:
        nz = b.shape[z]
        parts = []
        if nz > 1:
            parts.append(ref_blocks(np.take(b, np.arange(nz - 1), axis=z), axes, mode))
        parts.append(ref_blocks(np.take(b, [nz - 1], axis=z), [x for x in axes if x != z], mode))
        return np.concatenate(parts, axis=z)
    return ref_blocks(b, axes, mode)


def expected_step(a, axes, mode):
    """pyramid_reference (the engine's contract) where it applies, else ref_step."""
    nd = a.ndim
    yx = {nd - 2, nd - 1}
    s = set(axes)
    if mode != "median" and (s == yx or s == yx | {nd - 3} or s == {nd - 3}):
        got = downsample_step(a, mode, halve_yx=yx <= s, z_axis=(nd - 3) if (nd - 3) in s else None)
        mine = ref_step(a, axes, mode)
        if mode == "mean" and a.dtype.kind == "f":
            # pyramid_reference sums a block's samples in another order: the last bits may differ
            np.testing.assert_allclose(got, mine, rtol=1e-6, err_msg="the two references disagree")
            return mine
        np.testing.assert_array_equal(got, mine, err_msg="the two references disagree")
        return got
    return ref_step(a, axes, mode)


def plan(shape, chunks, pooled):
    """The rule (streaming pyramid), written out: which axes each level halves."""
    nd = len(shape)
    yx = [a for a in pooled if a >= nd - 2]
    z = [a for a in pooled if a < nd - 2]
    cur, out = list(shape), []
    while True:
        h = []
        if yx and min(cur[a] for a in yx) > max(chunks[a] for a in yx):
            h += yx
        if z and cur[z[0]] > chunks[z[0]]:
            h += z
        if not h:
            return out
        for a in h:
            cur[a] = math.ceil(cur[a] / 2)
        out.append(sorted(h))


# --------------------------------------------------------------------------
# Sources and readers
# --------------------------------------------------------------------------


def zarr_source(group: Path, name: str, data, fmt: int, chunks, shards=None, compressors="auto",
                dimension_names=None, attrs=None):
    g = zarr.open_group(str(group), mode="a", zarr_format=fmt)
    kw = {}
    if shards is not None:
        kw["shards"] = shards
    if dimension_names is not None and fmt == 3:
        kw["dimension_names"] = dimension_names
    a = g.create_array(name, shape=data.shape, chunks=chunks, dtype=data.dtype, compressors=compressors, **kw)
    a[...] = data
    if attrs:
        g.attrs.update(attrs)
    return a


def read_both(path: Path, fmt: int) -> np.ndarray:
    z = zarr.open_array(str(path), mode="r")[...]
    t = ts.open({"driver": "zarr3" if fmt == 3 else "zarr", "kvstore": {"driver": "file", "path": str(path) + "/"}},
                open=True, read=True).result().read().result()
    np.testing.assert_array_equal(t, z, err_msg=f"TensorStore and zarr-python disagree on {path}")
    return z


def multiscale(group: Path, fmt: int) -> dict:
    if fmt == 3:
        return json.loads((group / "zarr.json").read_text())["attributes"]["ome"]["multiscales"][0]
    return json.loads((group / ".zattrs").read_text())["multiscales"][0]


def check_levels(group: Path, fmt: int, data, paths, halvings_per_level, mode):
    """Every level against the reference, computed level by level."""
    ref = data
    for k, (p, halved) in enumerate(zip(paths, [None] + list(halvings_per_level))):
        if halved is not None:
            ref = expected_step(ref, halved, mode)
        got = read_both(group / p, fmt)
        assert got.dtype == data.dtype
        assert got.shape == ref.shape, f"level {p}: {got.shape} != {ref.shape}"
        np.testing.assert_array_equal(got, ref, err_msg=f"level {p} ({mode})")
    return ref


def check_transforms(ms, shapes, base_scale, pooled_axes, base_trans=None):
    """Window-2 alignment: scale s0 * 2^h, translation t0 + s0 * (2^h - 1) / 2."""
    nd = len(shapes[0])
    base_trans = base_trans or [0.0] * nd
    for k, d in enumerate(ms["datasets"]):
        ct = {t["type"]: t for t in d["coordinateTransformations"]}
        h = [sum(1 for j in range(1, k + 1) if shapes[j][i] < shapes[j - 1][i]) for i in range(nd)]
        want_s = [base_scale[i] * 2 ** h[i] for i in range(nd)]
        want_t = [base_trans[i] + base_scale[i] * (2 ** h[i] - 1) / 2 for i in range(nd)]
        assert np.allclose(ct["scale"]["scale"], want_s), (k, ct, want_s)
        assert np.allclose(ct.get("translation", {"translation": [0.0] * nd})["translation"], want_t), (k, ct, want_t)
        for i in range(nd):
            if i not in pooled_axes:
                assert h[i] == 0


# --------------------------------------------------------------------------
# zarr-python sources: dtypes, dims, versions, sharding, modes
# --------------------------------------------------------------------------

CASES = [
    # fmt, sharded, dtype, shape, chunks, ndim, mode, names
    (3, True, "uint16", (37, 45), (8, 8), 2, "mean", None),
    (3, False, "uint8", (33, 17), (8, 4), 2, "max", None),
    (2, False, "int8", (5, 21, 19), (2, 8, 8), 2, "min", None),
    (2, False, "float32", (13, 18, 22), (4, 8, 8), 3, "mean", None),
    (3, True, "int64", (11, 20, 17), (4, 8, 8), 3, "mean", ["z", "y", "x"]),
    (3, True, "uint64", (2, 9, 18, 20), (1, 4, 8, 8), 3, "median", ["c", "z", "y", "x"]),
    (3, False, "float64", (2, 3, 7, 19, 18), (1, 1, 4, 8, 8), 3, "mean", ["t", "c", "z", "y", "x"]),
    (2, False, "uint32", (2, 2, 6, 17, 16), (1, 2, 2, 8, 8), 3, "decimate", None),
    (3, True, "int32", (3, 24, 40), (1, 8, 8), 2, "median", ["t", "y", "x"]),
    (2, False, "int16", (25, 31), (8, 8), 2, "median", None),
    (3, True, "float32", (9, 16, 19), (3, 8, 8), 3, "max", ["z", "y", "x"]),
    (3, True, "uint32", (17, 16, 15), (4, 8, 8), 3, "min", ["z", "y", "x"]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"v{c[0]}-{'sh' if c[1] else 'un'}-{c[2]}-{len(c[3])}d-{c[6]}")
def test_zarr_python_sources(tmp_path, case):
    fmt, sharded, dtype, shape, chunks, ndim, mode, names = case
    data = random_data(shape, dtype, seed=len(shape) * 7 + fmt)
    group = tmp_path / "img.zarr"
    shards = tuple(c * 2 for c in chunks) if sharded else None
    zarr_source(group, "0", data, fmt, chunks, shards, dimension_names=names)
    shapes = add_pyramid(group, ndim=ndim, mode=mode)
    pooled = list(range(len(shape) - ndim, len(shape)))
    steps = plan(shape, chunks, pooled)
    assert len(steps) >= 1
    assert len(shapes) == len(steps) + 1 and shapes[0] == shape
    paths = [str(k) for k in range(len(shapes))]
    check_levels(group, fmt, data, paths, steps, mode)
    assert not (group / str(len(shapes))).exists()
    # metadata: validates, window-2 transforms, the mode's type
    validate_ngff_image(group, "", "v3" if fmt == 3 else "v2")
    ms = multiscale(group, fmt)
    assert [d["path"] for d in ms["datasets"]] == paths
    assert ms["type"] == {"mean": "local_mean", "min": "local_min", "max": "local_max"}.get(mode, mode)
    check_transforms(ms, shapes, [1.0] * len(shape), pooled)
    # layout: level 0's codec and sharding, chunks trimmed to the level
    src = zarr.open_array(str(group / "0"))
    for k in range(1, len(shapes)):
        a = zarr.open_array(str(group / str(k)))
        assert a.shape == shapes[k]
        assert a.chunks == tuple(min(c, n) for c, n in zip(chunks, shapes[k]))
        assert (a.shards is None) == (src.shards is None)
        assert [type(c) for c in a.compressors] == [type(c) for c in src.compressors]


def test_plain_array_in_a_group(tmp_path, version):
    """A plain array G/raw: levels raw_1, raw_2... beside it, G becomes the image."""
    fmt = 3 if version == "v3" else 2
    g = tmp_path / "g.zarr"
    data = random_data((30, 41), "uint16", 3)
    zarr_source(g, "raw", data, fmt, (8, 8), attrs={"note": "kept"})
    before = (g / "raw").joinpath("zarr.json" if fmt == 3 else ".zarray").read_text()
    shapes = add_pyramid(g / "raw", mode="mean")
    paths = ["raw"] + [f"raw_{k}" for k in range(1, len(shapes))]
    check_levels(g, fmt, data, paths, plan((30, 41), (8, 8), [0, 1]), "mean")
    ms = multiscale(g, fmt)
    assert [d["path"] for d in ms["datasets"]] == paths
    validate_ngff_image(g, "", version)
    attrs = zarr.open_group(str(g)).attrs.asdict()
    assert attrs["note"] == "kept"
    meta = json.loads((g / "raw").joinpath("zarr.json" if fmt == 3 else ".zarray").read_text())
    if fmt == 2:
        assert json.loads(before) == meta, "the source array is not touched"
    else:
        assert meta["dimension_names"] == ["y", "x"]  # NGFF 0.5 wants them; nothing else changes
        old = json.loads(before)
        old["dimension_names"] = ["y", "x"]
        assert old == meta


# --------------------------------------------------------------------------
# After the fact == while streaming
# --------------------------------------------------------------------------


STREAMED = [
    ("v3", "uint16", ["z", "y", "x"], [13, 37, 45], [4, 8, 8]),
    ("v2", "int32", ["t", "z", "y", "x"], [2, 9, 21, 19], [1, 4, 8, 8]),
    ("v3", "float64", ["t", "y", "x"], [3, 33, 18], [2, 8, 8]),
    ("v3", "uint64", ["z", "y", "x"], [5, 17, 24], [2, 8, 8]),
    ("v2", "float32", ["c", "z", "y", "x"], [2, 7, 20, 17], [1, 2, 8, 8]),
]


@pytest.mark.parametrize("mode", ["mean", "min", "max", "decimate"])
@pytest.mark.parametrize("case", STREAMED, ids=lambda c: f"{c[0]}-{c[1]}-{''.join(c[2])}")
def test_equals_streaming_pyramid(tmp_path, case, mode):
    version, dtype, names, sizes, chunks = case
    fmt = 3 if version == "v3" else 2
    data = random_data(tuple(sizes), dtype, seed=sum(sizes))
    shards = [2] * len(sizes)
    streamed = Image(names=names, sizes=sizes, chunks=chunks, shards=shards, dtype=dtype, key="img", method=mode)
    streamed.write(tmp_path / "streamed.zarr", version, data)
    base = Image(names=names, sizes=sizes, chunks=chunks, shards=shards, dtype=dtype, key="img", is_ngff=True)
    base.write(tmp_path / "after.zarr", version, data)
    shapes = add_pyramid(tmp_path / "after.zarr" / "img", mode=mode)
    s_ms = multiscale(tmp_path / "streamed.zarr" / "img", fmt)
    assert len(shapes) == len(s_ms["datasets"]), "as many levels as the streaming pyramid"
    for k in range(len(shapes)):
        a = read_both(tmp_path / "after.zarr" / "img" / str(k), fmt)
        s = read_both(tmp_path / "streamed.zarr" / "img" / str(k), fmt)
        np.testing.assert_array_equal(a, s, err_msg=f"level {k} ({mode}): after the fact != streamed")
    ms = multiscale(tmp_path / "after.zarr" / "img", fmt)
    for d_after, d_stream in zip(ms["datasets"], s_ms["datasets"]):
        sa = d_after["coordinateTransformations"][0]["scale"]
        assert np.allclose(sa, d_stream["coordinateTransformations"][0]["scale"])
    assert ms["type"] == s_ms["type"]
    validate_ngff_image(tmp_path / "after.zarr", "img", version)


def test_keeps_image_metadata_and_continues_a_pyramid(tmp_path):
    """An image with scales, units, a name and one level already: the new
    levels continue it, the rest of the metadata is kept, and adding levels
    one call at a time gives what one call gives."""
    data = random_data((6, 40, 44), "uint16", 5)
    img = Image(names=["t", "y", "x"], sizes=[6, 40, 44], chunks=[2, 8, 8], shards=[1, 2, 2], key="img",
                method="mean", max_levels=1, units=["second", "micrometer", "micrometer"], scales=[2.0, 0.5, 0.25])
    img.write(tmp_path / "a.zarr", "v3", data)
    g = tmp_path / "a.zarr" / "img"
    zg = zarr.open_group(str(g))
    zg.attrs["extra"] = {"x": 1}
    shapes = add_pyramid(g, levels=1)
    assert shapes == [(6, 40, 44), (6, 20, 22), (6, 10, 11)]
    shapes = add_pyramid(g)
    assert shapes == [(6, 40, 44), (6, 20, 22), (6, 10, 11), (6, 5, 6)]
    assert add_pyramid(g) == shapes, "nothing more to add"
    check_levels(g, 3, data, ["0", "1", "2", "3"], [[1, 2]] * 3, "mean")
    ms = multiscale(g, 3)
    assert [a.get("unit") for a in ms["axes"]] == ["second", "micrometer", "micrometer"]
    check_transforms(ms, shapes, [2.0, 0.5, 0.25], [1, 2])
    assert zarr.open_group(str(g)).attrs["extra"] == {"x": 1}
    validate_ngff_image(tmp_path / "a.zarr", "img", "v3")


def test_levels_past_the_rule_and_no_pyramid_axis(tmp_path):
    data = random_data((10, 24, 20), "uint16", 9)
    g = tmp_path / "g.zarr"
    zarr_source(g, "0", data, 3, (4, 16, 16), shards=(4, 16, 16), dimension_names=["z", "y", "x"])
    shapes = add_pyramid(g, levels=4, ndim=3, no_pyramid_axis="y", mode="max")
    # the rule: z (10 > 4) and x? yx = [x] only: 20 > 16 -> halve both; then z 5 > 4 -> z; then past the rule.
    assert shapes == [(10, 24, 20), (5, 24, 10), (3, 24, 10), (2, 24, 5), (1, 24, 3)]
    steps = [[0, 2], [0], [0, 2], [0, 2]]
    check_levels(g, 3, data, [str(k) for k in range(5)], steps, "max")
    ms = multiscale(g, 3)
    check_transforms(ms, shapes, [1.0, 1.0, 1.0], [0, 2])
    validate_ngff_image(g, "", "v3")
    # by index among the pooled axes: the same axis
    g2 = tmp_path / "g2.zarr"
    zarr_source(g2, "0", data, 3, (4, 16, 16), shards=(4, 16, 16), dimension_names=["z", "y", "x"])
    assert add_pyramid(g2, levels=4, ndim=3, no_pyramid_axis=1, mode="max") == shapes
    with pytest.raises(ValueError, match="levels=9: only 5 more level"):
        add_pyramid(tmp_path / "g2.zarr", levels=9, ndim=3, mode="max")


@pytest.mark.parametrize("fmt", [2, 3])
def test_bounded_slabs(tmp_path, monkeypatch, fmt):
    """Tiny slabs (parts of rows, for the engine partial frames) give the
    same levels; no block read is larger than the budget allows."""
    data = random_data((8, 40, 40), "int16", 11)
    results = []
    # 64: parts of rows; 6000: a block of whole chunks along z assembled from
    # bands of whole chunks along y; the default: one read per level
    for budget in (64, 6000, pyr.DEFAULT_SLAB_BYTES):
        g = tmp_path / f"b{budget}.zarr"
        zarr_source(g, "0", data, fmt, (4, 8, 8), shards=(8, 16, 16) if fmt == 3 else None,
                    dimension_names=["z", "y", "x"])
        sizes = []
        real = pyr.downsample

        def spy(block, *a, **k):
            sizes.append(block.nbytes)
            return real(block, *a, **k)

        monkeypatch.setattr(pyr, "downsample", spy)
        shapes = add_pyramid(g, ndim=3, mode="mean", slab_bytes=budget)
        monkeypatch.setattr(pyr, "downsample", real)
        if budget == 64:
            assert max(sizes) <= 64 and len(sizes) > 50, (max(sizes), len(sizes))
        elif budget == 6000:
            assert max(sizes) <= 3000 and len(sizes) > 2 * (len(shapes) - 1), (max(sizes), len(sizes))
        else:
            assert len(sizes) == len(shapes) - 1, "one slab per level when it fits"
        results.append([read_both(g / str(k), fmt) for k in range(len(shapes))])
        check_levels(g, fmt, data, [str(k) for k in range(len(shapes))], plan(data.shape, (4, 8, 8), [0, 1, 2]), "mean")
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_writers(tmp_path, monkeypatch, caplog):
    """auto: the engine for layouts it writes (sharded v3), zarr-python for
    the rest (unsharded v3 keeps its layout); writer='engine' shards an
    unsharded source one chunk per shard."""
    import logging

    import acquire_zarr as aqz

    streams = []
    real = aqz.ZarrStream

    def counting(settings):
        streams.append(settings)
        return real(settings)

    monkeypatch.setattr(aqz, "ZarrStream", counting)
    caplog.set_level(logging.INFO, logger="acquire_zarr")
    data = random_data((20, 36), "uint16", 2)
    for name, shards, writer, want_sharded, engine in [
        ("auto-sh", (16, 16), "auto", True, True),
        ("auto-un", None, "auto", False, False),
        ("engine-un", None, "engine", True, True),
        ("zarr-sh", (16, 16), "zarr", True, False),
    ]:
        g = tmp_path / f"{name}.zarr"
        zarr_source(g, "0", data, 3, (8, 8), shards=shards)
        streams.clear()
        shapes = add_pyramid(g, writer=writer)
        assert len(streams) == (2 if engine else 0), (name, len(streams))
        if name == "auto-un":
            assert "written with zarr-python: the engine cannot write an unsharded Zarr v3 array" in caplog.text
        assert shapes == [(20, 36), (10, 18), (5, 9)]
        meta = json.loads((g / "1" / "zarr.json").read_text())
        codecs = [c["name"] for c in meta["codecs"]]
        assert (codecs == ["sharding_indexed"]) == want_sharded, (name, codecs)
        if want_sharded:
            inner = meta["codecs"][0]["configuration"]
            assert inner["chunk_shape"] == [8, 8]
            assert [c["name"] for c in inner["codecs"]] == ["bytes", "zstd"]
        else:
            assert codecs == ["bytes", "zstd"]
        check_levels(g, 3, data, ["0", "1", "2"], [[0, 1]] * 2, "mean")
        validate_ngff_image(g, "", "v3")
    # a codec the engine does not have: zarr-python writes the level, same codec
    g = tmp_path / "gzip.zarr"
    zarr_source(g, "0", data, 2, (8, 8), compressors=[__import__("numcodecs").GZip(level=2)])
    add_pyramid(g)
    assert json.loads((g / "1" / ".zarray").read_text())["compressor"] == {"id": "gzip", "level": 2}
    check_levels(g, 2, data, ["0", "1", "2"], [[0, 1]] * 2, "mean")
    with pytest.raises(ValueError, match=r"writer='engine': the engine cannot write compressor 'gzip'"):
        add_pyramid(g, writer="engine", levels=1, overwrite=True)
    with pytest.raises(ValueError, match="writer='sideways'"):
        add_pyramid(g, writer="sideways")


def test_failure_while_writing_removes_the_new_levels(tmp_path, monkeypatch):
    data = random_data((40, 40), "uint16", 1)
    g = tmp_path / "g.zarr"
    zarr_source(g, "0", data, 3, (8, 8), shards=(16, 16))
    before = tree_snapshot(g)
    calls = []

    def boom(block, *a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk on fire")
        return np.asarray(pyr.__dict__["_real"](block, *a, **k))

    monkeypatch.setitem(pyr.__dict__, "_real", pyr.downsample)
    monkeypatch.setattr(pyr, "downsample", boom)
    with pytest.raises(OSError, match="disk on fire"):
        add_pyramid(g)
    assert tree_snapshot(g) == before


# --------------------------------------------------------------------------
# Refusals: a clear message naming the value, nothing changed on disk
# --------------------------------------------------------------------------


def _image(tmp_path, fmt=3):
    g = tmp_path / "img.zarr"
    zarr_source(g, "0", random_data((4, 20, 20), "uint16", 0), fmt, (2, 8, 8),
                dimension_names=["t", "y", "x"] if fmt == 3 else None)
    return g


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(mode="gaussian"), ValueError, r"mode='gaussian'.*mean, median, min, max, decimate"),
        (dict(ndim=4), ValueError, r"ndim=4: expected 2"),
        (dict(ndim=1), ValueError, r"ndim=1"),
        (dict(ndim="2"), ValueError, r"ndim='2'"),
        (dict(ndim=3), ValueError, r"ndim=3 pools the last 3 axes, but axis 't' \(index 0\) is a time axis"),
        (dict(no_pyramid_axis="q"), ValueError, r"no_pyramid_axis='q': no such axis among the pooled axes \['y', 'x'\]"),
        (dict(no_pyramid_axis=5), ValueError, r"no_pyramid_axis=5"),
        (dict(no_pyramid_axis="t"), ValueError, r"no_pyramid_axis='t'"),
        (dict(levels=-3), ValueError, r"levels=-3"),
        (dict(levels=99), ValueError, r"levels=99: only \d+ more level"),
        (dict(slab_bytes=0), ValueError, r"slab_bytes=0"),
        (dict(pyramid_aligns="middle"), ValueError, r"pyramid_aligns='middle'"),
    ],
)
def test_refusals_change_nothing(tmp_path, kwargs, exc, match):
    g = _image(tmp_path)
    before = tree_snapshot(g)
    with pytest.raises(exc, match=match):
        add_pyramid(g, **kwargs)
    assert tree_snapshot(g) == before


def test_not_a_store_and_root_array(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.zarr"):
        add_pyramid(tmp_path / "nowhere.zarr")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"'.*empty' is not a Zarr array or group"):
        add_pyramid(tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []
    root = tmp_path / "root.zarr"
    zarr.create_array(str(root), shape=(20, 20), chunks=(8, 8), dtype="uint8")[...] = 1
    before = tree_snapshot(root)
    with pytest.raises(ValueError, match=r"not inside a Zarr v3 group.*to_ome_zarr"):
        add_pyramid(root)
    assert tree_snapshot(root) == before
    g = tmp_path / "nolevel.zarr"
    zarr.open_group(str(g), mode="w")
    with pytest.raises(ValueError, match="no multiscales metadata and no array '0'"):
        add_pyramid(g)
    with pytest.raises(TypeError, match="must be a path"):
        add_pyramid(42)


def test_downsample_exact_integer_means():
    """The in-memory step: 64-bit means without overflow, ties to even."""
    big = np.iinfo(np.uint64).max
    a = np.array([[big, big - 1], [big, big]], np.uint64)
    assert pyr.downsample(a, [0, 1], "mean")[0, 0] == big  # (4*big - 1) / 4 rounds up
    b = np.array([[np.iinfo(np.int64).min, np.iinfo(np.int64).min + 2]], np.int64)
    assert pyr.downsample(b, [1], "mean")[0, 0] == np.iinfo(np.int64).min + 1
    ties = np.array([[1, 2, 2, 3]], np.int32)  # 1.5 -> 2, 2.5 -> 2
    assert pyr.downsample(ties, [1], "mean").tolist() == [[2, 2]]
    for dt in ("int8", "uint16", "int64", "uint64", "float32"):
        x = random_data((6, 5, 7), dt, 4)
        for mode in ("mean", "median", "min", "max", "decimate"):
            np.testing.assert_array_equal(pyr.downsample(x, [0, 1, 2], mode, passthrough=0),
                                          ref_step(x, [0, 1, 2], mode), err_msg=f"{dt} {mode}")


@pytest.mark.filterwarnings("ignore:Consolidated metadata")
@pytest.mark.parametrize("fmt", [2, 3])
def test_consolidated_metadata_is_refreshed(tmp_path, fmt):
    """A store with consolidated metadata: readers that trust it see the new
    levels and the multiscales."""
    root = tmp_path / "c.zarr"
    data = random_data((24, 30), "uint8", 6)
    zarr_source(root / "img", "0", data, fmt, (8, 8))
    zarr.open_group(str(root), mode="a", zarr_format=fmt)
    zarr.consolidate_metadata(str(root), zarr_format=fmt)
    shapes = add_pyramid(root / "img", mode="decimate")
    assert len(shapes) == 3
    g = zarr.open_consolidated(str(root), zarr_format=fmt)
    assert sorted(g["img"].array_keys()) == ["0", "1", "2"]
    attrs = g["img"].attrs.asdict()
    ms = attrs["ome"]["multiscales"][0] if fmt == 3 else attrs["multiscales"][0]
    assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2"]
    check_levels(root / "img", fmt, data, ["0", "1", "2"], [[0, 1]] * 2, "decimate")


def test_levels_zero_and_enum_mode(tmp_path):
    """levels=0 only writes the metadata; a DownsamplingMethod is a mode."""
    import acquire_zarr as aqz

    g = tmp_path / "g.zarr"
    data = random_data((20, 20), "float32", 8)
    zarr_source(g, "0", data, 3, (8, 8), shards=(8, 8))
    assert add_pyramid(g, levels=0) == [(20, 20)]
    assert [d["path"] for d in multiscale(g, 3)["datasets"]] == ["0"]
    assert not (g / "1").exists()
    validate_ngff_image(g, "", "v3")
    assert add_pyramid(g, mode=aqz.DownsamplingMethod.MIN) == [(20, 20), (10, 10), (5, 5)]
    assert multiscale(g, 3)["type"] == "local_min"
    check_levels(g, 3, data, ["0", "1", "2"], [[0, 1]] * 2, "min")


def test_readme_section_runs_as_written(tmp_path):
    """The README's example runs and prints what its comments say."""
    import ast
    import subprocess
    import sys

    from test_readme import readme_block

    code = readme_block("Pyramids and OME metadata for existing stores", "python")
    (tmp_path / "snippet.py").write_text(code)
    out = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert ast.literal_eval(lines[0]) == [(40, 600, 500), (20, 300, 250), (10, 150, 125)]
    comment = code.split("datasets\"][1])\n", 1)[1]
    want = ast.literal_eval("".join(line.lstrip("# ").strip() for line in comment.splitlines() if line.startswith("#")))
    assert ast.literal_eval(lines[1]) == want
    for needle in ("# [(40, 600, 500), (20, 300, 250), (10, 150, 125)]",):
        assert needle in code


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_types_the_engine_lacks(tmp_path):
    """float16 and big-endian v2 sources: zarr-python writes the levels in
    the source's type; booleans are refused."""
    g = tmp_path / "h.zarr"
    data = random_data((18, 20), "float32", 3).astype(np.float16)
    zarr_source(g, "0", data, 3, (10, 10), shards=(10, 10))
    assert add_pyramid(g, mode="mean") == [(18, 20), (9, 10)]
    got = read_both(g / "1", 3)
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, ref_step(data, [0, 1], "mean"))
    gb = tmp_path / "be.zarr"
    zg = zarr.open_group(str(gb), mode="w", zarr_format=2)
    be = zg.create_array("0", shape=(20, 20), chunks=(8, 8), dtype=">u8")
    src = random_data((20, 20), "uint64", 4)
    be[...] = src
    add_pyramid(gb, mode="mean")
    assert json.loads((gb / "1" / ".zarray").read_text())["dtype"] == ">u8"
    np.testing.assert_array_equal(zarr.open_array(str(gb / "1"))[...], ref_step(src, [0, 1], "mean"))
    gbool = tmp_path / "bool.zarr"
    zarr_source(gbool, "0", np.ones((20, 20), bool), 3, (8, 8))
    before = tree_snapshot(gbool)
    with pytest.raises(ValueError, match="data type bool"):
        add_pyramid(gbool)
    assert tree_snapshot(gbool) == before


def test_existing_level_name_is_not_replaced(tmp_path):
    g = tmp_path / "g.zarr"
    zarr_source(g, "raw", random_data((20, 20), "uint8", 1), 3, (8, 8))
    (g / "raw_1").mkdir()
    before = tree_snapshot(g)
    with pytest.raises(ValueError, match="raw_1 exists"):
        add_pyramid(g / "raw")
    assert tree_snapshot(g) == before


def test_axes_for_a_plain_array(tmp_path):
    """axes= names a plain array's axes; ndim then defaults to its trailing
    space axes (here z, y, x), and the metadata carries them."""
    g = tmp_path / "g.zarr"
    data = random_data((2, 9, 20, 18), "uint16", 12)
    zarr_source(g, "vol", data, 2, (1, 4, 8, 8))
    shapes = add_pyramid(g / "vol", axes=["t", "z", "y", "x"], mode="mean")
    steps = plan(data.shape, (1, 4, 8, 8), [1, 2, 3])
    assert len(shapes) == len(steps) + 1
    check_levels(g, 2, data, ["vol"] + [f"vol_{k}" for k in range(1, len(shapes))], steps, "mean")
    ms = multiscale(g, 2)
    assert [(a["name"], a.get("type")) for a in ms["axes"]] == [
        ("t", "time"), ("z", "space"), ("y", "space"), ("x", "space")]
    validate_ngff_image(g, "", "v2")
    with pytest.raises(ValueError, match=r"axes=\['y', 'x'\]: .* already has OME axes"):
        add_pyramid(g, axes=["y", "x"])


@pytest.mark.parametrize("fmt", [2, 3])
def test_overwrite_makes_the_pyramid_again(tmp_path, fmt):
    """overwrite=True: from level 0 again (linc-convert's behaviour), the old
    levels replaced; without it, an interrupted run's leftovers are named."""
    g = tmp_path / "g.zarr"
    data = random_data((40, 36), "int16", 13)
    zarr_source(g, "0", data, fmt, (8, 8))
    first = add_pyramid(g, mode="mean")
    assert len(first) == 4
    shapes = add_pyramid(g, mode="max", levels=2, overwrite=True)
    assert shapes == first[:3]
    assert not (g / "3").exists(), "a replaced level the new pyramid does not have is removed"
    check_levels(g, fmt, data, ["0", "1", "2"], [[0, 1]] * 2, "max")
    ms = multiscale(g, fmt)
    assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2"] and ms["type"] == "local_max"
    validate_ngff_image(g, "", "v3" if fmt == 3 else "v2")
    assert not list(g.glob("*.add_pyramid-tmp"))
    (g / "3.add_pyramid-tmp").mkdir()
    before = tree_snapshot(g)
    with pytest.raises(ValueError, match=r"3\.add_pyramid-tmp exists: an interrupted add_pyramid left it"):
        add_pyramid(g)
    assert tree_snapshot(g) == before
    with pytest.raises(TypeError, match="overwrite='yes'"):
        add_pyramid(g, overwrite="yes")

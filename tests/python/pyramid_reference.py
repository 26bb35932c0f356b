"""A numpy reference of the pyramid (multiscale) contract, plus the checks
the pyramid / OME-NGFF / storage-order / HCS tests share.

Everything here works on arrays in STORAGE order (the order of the stored
array's dimensions); callers transpose acquisition-order data first.

Levels (FORMAT.md "Pyramids"):
  Y, X are the last two dimensions; Z is the third-last one when it exists, is
  SPACE, is bounded (array_size_px != 0) and spans more than one chunk.
  One step halves Y and X (ceil) while min(Y, X) > max(chunk Y, chunk X), and
  halves Z (ceil) while Z > chunk Z; a level exists when either halves;
  ``max_levels`` caps the number of downsampled levels (0 = no cap).
  Chunk sizes never change; shard_size_chunks of a halved axis shrink to
  min(shard, ceil(size / chunk)).

Methods, per 2x2 (Y/X), 2x2x2 (Z, Y/X) or 1x1x2 (Z only) block, level k+1
computed from the stored values of level k:
  DECIMATE the first sample (even z, even y, even x), MEAN, MIN, MAX.
  An odd Y/X edge repeats its last row / column (the block holds the edge
  sample twice); an odd last Z plane passes through (only Y/X reduced).
  Integer MEAN = exact sum / count rounded to nearest, ties to even (as
  np.rint), computed here with exact Python integers; float MEAN sums in
  float64.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

METHODS = ["decimate", "mean", "min", "max"]


def _kind(k) -> str:
    """'space' / 'time' / 'channel' / 'other' from a string or a DimensionType."""
    if isinstance(k, str):
        return k.lower()
    return k.name.lower()


def _method(m) -> str:
    if isinstance(m, str):
        return m.lower()
    return m.name.lower()


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


# --------------------------------------------------------------------------
# Level plan
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """One pyramid level, in storage order.

    shape: the planned size of every dimension (0 stays 0 on an unbounded
        append dimension).
    shards: shard_size_chunks per dimension.
    halved: which dimensions this level halved relative to the previous one
        (all False for level 0).
    halvings: how many times each dimension was halved since level 0.
    """

    shape: tuple
    shards: tuple
    halved: tuple
    halvings: tuple

    @property
    def halves_yx(self) -> bool:
        return bool(self.halved[-1])

    @property
    def z_axis(self) -> Optional[int]:
        """The dimension this level halves as Z, or None."""
        nd = len(self.shape)
        if nd >= 3 and self.halved[nd - 3]:
            return nd - 3
        return None


def z_axis_of(sizes: Sequence[int], chunks: Sequence[int], kinds) -> Optional[int]:
    """The dimension that may be downsampled as Z, or None."""
    nd = len(sizes)
    if nd < 3:
        return None
    z = nd - 3
    if _kind(kinds[z]) != "space" or sizes[z] == 0 or sizes[z] <= chunks[z]:
        return None
    return z


def plan_levels(
    sizes: Sequence[int],
    chunks: Sequence[int],
    shards: Optional[Sequence[int]],
    kinds,
    max_levels: int = 0,
) -> List[Level]:
    """Levels 0..N for dimensions given in storage order.

    sizes: array_size_px (0 = unbounded append dimension); chunks:
    chunk_size_px; shards: shard_size_chunks (None = all 1); kinds: one kind
    per dimension (str or DimensionType)."""
    nd = len(sizes)
    assert nd >= 2 and len(chunks) == nd and len(kinds) == nd
    shards = tuple(shards) if shards is not None else (1,) * nd
    base_shards = shards
    y, x = nd - 2, nd - 1
    z = z_axis_of(sizes, chunks, kinds)
    cur = list(sizes)
    levels = [Level(tuple(cur), tuple(shards), (False,) * nd, (0,) * nd)]
    while True:
        if max_levels and len(levels) - 1 >= max_levels:
            break
        halve_yx = min(cur[y], cur[x]) > max(chunks[y], chunks[x])
        halve_z = z is not None and cur[z] > chunks[z]
        if not (halve_yx or halve_z):
            break
        halved = [False] * nd
        if halve_yx:
            halved[y] = halved[x] = True
        if halve_z:
            halved[z] = True
        prev = levels[-1]
        new_shards = list(prev.shards)
        for d in range(nd):
            if halved[d]:
                cur[d] = ceil_div(cur[d], 2)
                new_shards[d] = min(base_shards[d], ceil_div(cur[d], chunks[d]))
        levels.append(
            Level(
                tuple(cur),
                tuple(new_shards),
                tuple(halved),
                tuple(h + int(f) for h, f in zip(prev.halvings, halved)),
            )
        )
    return levels


def level_data_shape(level0_shape: Sequence[int], levels: Sequence[Level], k: int) -> tuple:
    """The shape level ``k`` must have when level 0 holds ``level0_shape``
    (e.g. a stream stopped early): each halving is a ceil on the actual size."""
    shape = list(level0_shape)
    for lv in levels[1 : k + 1]:
        shape = [ceil_div(n, 2) if h else n for n, h in zip(shape, lv.halved)]
    return tuple(shape)


def level_scales(base_scales: Sequence[float], level: Level) -> list:
    return [float(s) * (2 ** h) for s, h in zip(base_scales, level.halvings)]


# --------------------------------------------------------------------------
# Downsampling
# --------------------------------------------------------------------------


def _repeat_edge(a: np.ndarray, axis: int) -> np.ndarray:
    """Make the size along ``axis`` even by repeating the last element."""
    if a.shape[axis] % 2 == 0:
        return a
    last = np.take(a, [a.shape[axis] - 1], axis=axis)
    return np.concatenate([a, last], axis=axis)


def _div_round(total: np.ndarray, n: int, rounding: str) -> np.ndarray:
    """Exact integer division of an object array of Python ints.

    rounding: "even" (nearest, ties to even: the contract), "floor", or
    "trunc" (toward zero) -- the last two only to characterise other
    implementations."""
    q = total // n  # floor, exact on Python ints
    r = total - q * n
    if rounding == "even":
        up = (2 * r > n) | ((2 * r == n) & (q % 2 == 1))
    elif rounding == "floor":
        up = np.zeros(total.shape, dtype=bool)
    elif rounding == "trunc":
        up = (r != 0) & (total < 0)
    elif rounding == "half_up":
        up = 2 * r >= n
    else:
        raise ValueError(rounding)
    up = np.asarray(up, dtype=bool)
    return q + up.astype(object)


def _reduce_blocks(a: np.ndarray, axes: Sequence[int], method: str, rounding: str) -> np.ndarray:
    """Reduce 2-sample blocks along each of ``axes`` (sizes even there)."""
    if not axes:
        return a.copy()
    samples = []
    for offs in itertools.product((0, 1), repeat=len(axes)):
        idx = [slice(None)] * a.ndim
        for ax, o in zip(axes, offs):
            idx[ax] = slice(o, None, 2)
        samples.append(a[tuple(idx)])
    dt = a.dtype
    if method == "decimate":
        return samples[0].copy()
    if method == "min":
        return np.minimum.reduce(samples)
    if method == "max":
        return np.maximum.reduce(samples)
    if method != "mean":
        raise ValueError(method)
    n = len(samples)
    if dt.kind in "ui":
        total = sum(s.astype(object) for s in samples)
        out = _div_round(np.asarray(total, dtype=object), n, rounding)
        return np.asarray(out, dtype=object).astype(dt)
    total = sum(s.astype(np.float64) for s in samples)
    return (total / n).astype(dt)


def downsample_step(
    a: np.ndarray,
    method,
    halve_yx: bool = True,
    z_axis: Optional[int] = None,
    rounding: str = "even",
) -> np.ndarray:
    """One pyramid step on ``a`` (storage order)."""
    method = _method(method)
    nd = a.ndim
    yx = [nd - 2, nd - 1] if halve_yx else []
    b = a
    for ax in yx:
        b = _repeat_edge(b, ax)
    if z_axis is None:
        return _reduce_blocks(b, yx, method, rounding)
    nz = b.shape[z_axis]
    even = nz - nz % 2
    paired = np.take(b, np.arange(even), axis=z_axis)
    parts = [_reduce_blocks(paired, yx + [z_axis], method, rounding)]
    if nz % 2:
        tail = np.take(b, [nz - 1], axis=z_axis)  # passes through in Z
        parts.append(_reduce_blocks(tail, yx, method, rounding))
    return np.concatenate(parts, axis=z_axis)


def pyramid(level0: np.ndarray, levels: Sequence[Level], method, rounding: str = "even") -> List[np.ndarray]:
    """Reference data of every level, each from the previous one."""
    out = [np.asarray(level0)]
    for lv in levels[1:]:
        out.append(downsample_step(out[-1], method, lv.halves_yx, lv.z_axis, rounding))
    return out


# --------------------------------------------------------------------------
# Store checks shared by the pyramid / NGFF / storage-order / HCS tests
# --------------------------------------------------------------------------

from conftest import (  # noqa: E402  (the pure reference above needs none of it)
    NONE,
    ArraySpec,
    Codec,
    assert_group,
    check_array_metadata,
    load_json,
    node_path,
    read_tensorstore,
    read_zarr,
    verify_array,
    verify_raw_chunks,
)


def join_key(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def level_spec(base: ArraySpec, level: Level, k: int, shape) -> ArraySpec:
    return ArraySpec(
        shape=tuple(shape),
        chunks=base.chunks,
        shards=level.shards,
        dtype=base.dtype,
        key=join_key(base.key, str(k)),
        codec=base.codec,
        names=list(base.names),
    )


def verify_level(store, spec: ArraySpec, version: str, expected: np.ndarray, exact: bool = True, mask=None):
    """Metadata + zarr-python + TensorStore (+ raw chunks) of one level.

    exact=False (float MEAN): np.allclose instead of equality. mask: boolean
    array of the samples to compare (the rest only has to exist)."""
    expected = np.asarray(expected, dtype=spec.np_dtype)
    if exact and mask is None:
        verify_array(store, spec, version, expected)
        return
    check_array_metadata(store, spec, version, shape=expected.shape)
    got_z = read_zarr(store, spec.key, version)
    got_t = read_tensorstore(store, spec.key, version)
    for name, got in (("zarr-python", got_z), ("TensorStore", got_t)):
        assert got.shape == expected.shape, f"{name}: {spec.key} shape {got.shape} != {expected.shape}"
        assert got.dtype == spec.np_dtype
        g, e = (got, expected) if mask is None else (got[mask], expected[mask])
        if exact:
            np.testing.assert_array_equal(g, e, err_msg=f"{name} readback of {spec.key}")
        else:
            # float sums may be accumulated in the array's own precision
            scale = float(np.max(np.abs(e))) if e.size else 0.0
            atol = 32 * float(np.finfo(spec.np_dtype).eps) * scale
            assert np.allclose(g.astype(np.float64), e.astype(np.float64), rtol=1e-6, atol=atol), (
                f"{name} readback of {spec.key}: max abs diff "
                f"{np.max(np.abs(g.astype(np.float64) - e.astype(np.float64)))}"
            )
    np.testing.assert_array_equal(got_t, got_z, err_msg="TensorStore and zarr-python disagree")
    verify_raw_chunks(store, spec, version, got_z)


def multiscale_doc(store, key: str, version: str) -> dict:
    """The multiscale (multiscales[0]) of the image group at ``key``."""
    p = node_path(store, key)
    if version == "v3":
        m = load_json(p / "zarr.json")
        assert m.get("node_type") == "group", f"{key or '<root>'} is not a group: {m.get('node_type')}"
        ome = m.get("attributes", {}).get("ome")
        assert isinstance(ome, dict), f"no attributes.ome at {key or '<root>'}: {m.get('attributes')}"
        assert ome.get("version") == "0.5", ome.get("version")
        ms = ome.get("multiscales")
    else:
        assert (p / ".zgroup").is_file(), f"{key or '<root>'} is not a v2 group"
        assert not (p / ".zarray").exists()
        za = load_json(p / ".zattrs")
        assert "ome" not in za, "v2 (OME-NGFF 0.4) keeps multiscales at the top of .zattrs"
        ms = za.get("multiscales")
        assert isinstance(ms, list) and ms, za
        assert ms[0].get("version") == "0.4", ms[0]
    assert isinstance(ms, list) and len(ms) >= 1, ms
    return ms[0]


def validate_ngff_image(store, key: str, version: str):
    """ome-zarr-models validates the image group (and its arrays)."""
    import zarr

    g = zarr.open_group(str(node_path(store, key)), mode="r", zarr_format=3 if version == "v3" else 2)
    if version == "v3":
        from ome_zarr_models.v05.image import Image
    else:
        from ome_zarr_models.v04.image import Image
    return Image.from_zarr(g)


def expected_axes(names, kinds, units=None) -> list:
    axes = []
    for i, (n, k) in enumerate(zip(names, kinds)):
        a = {"name": n}
        k = _kind(k)
        if k != "other":
            a["type"] = k
        if units is not None and units[i] is not None:
            a["unit"] = units[i]
        axes.append(a)
    return axes


def check_ngff_metadata(store, key, version, names, kinds, levels, units=None, scales=None):
    """Axes, datasets paths and scale transforms of the image at ``key``."""
    ms = multiscale_doc(store, key, version)
    axes = ms.get("axes")
    want_axes = expected_axes(names, kinds, units)
    assert isinstance(axes, list) and len(axes) == len(want_axes), axes
    for got, want in zip(axes, want_axes):
        assert got.get("name") == want["name"], (got, want)
        if "type" in want:
            assert got.get("type") == want["type"], (got, want)
        else:
            assert "type" not in got or got["type"] is None, f"OTHER axis must have no type: {got}"
        assert got.get("unit") == want.get("unit"), (got, want)
    scales = [1.0] * len(names) if scales is None else list(scales)
    ds = ms.get("datasets")
    assert isinstance(ds, list) and len(ds) == len(levels), (
        f"{len(ds) if isinstance(ds, list) else ds} datasets, want {len(levels)}"
    )
    for i, (d, lv) in enumerate(zip(ds, levels)):
        assert d.get("path") == str(i), d
        ct = d.get("coordinateTransformations")
        assert isinstance(ct, list) and len(ct) == 1, ct
        assert ct[0].get("type") == "scale", ct
        want = level_scales(scales, lv)
        got = ct[0].get("scale")
        assert isinstance(got, list) and len(got) == len(want), (got, want)
        assert np.allclose(got, want), f"level {i} scale {got} != {want}"
    if "type" in ms and ms["type"] is not None:
        assert isinstance(ms["type"], str), ms["type"]
    return ms


def check_no_extra_levels(store, key, version, n_levels):
    p = node_path(store, key)
    assert not (p / str(n_levels)).exists(), f"unexpected level {n_levels} at {key or '<root>'}"


def verify_image(
    store,
    key: str,
    version: str,
    names,
    kinds,
    sizes,
    chunks,
    shards,
    dtype: str,
    level0: np.ndarray,
    method=None,
    max_levels: int = 0,
    codec: Codec = NONE,
    units=None,
    scales=None,
    rounding: str = "even",
    mask=None,
    validate: bool = True,
):
    """Full check of one multiscale image group written in storage order.

    sizes: the declared array_size_px (storage order); level0: the expected
    level-0 data (storage order). With method None only level 0 must exist.
    mask: boolean mask (level-0 shape) of the samples written; level 0 is
    compared in full (unwritten = zeros), a lower level's sample only when
    every level-0 sample it derives from was written."""
    levels = plan_levels(sizes, chunks, shards, kinds, max_levels) if method is not None else [
        Level(tuple(sizes), tuple(shards), (False,) * len(sizes), (0,) * len(sizes))
    ]
    refs = pyramid(level0, levels, method, rounding) if method is not None else [level0]
    masks = None
    if mask is not None:
        masks = [np.asarray(mask, bool)]
        for lv in levels[1:]:
            masks.append(downsample_step(masks[-1], "min", lv.halves_yx, lv.z_axis))
        masks[0] = None  # level 0: what was never written reads back as zeros
    assert_group(store, key, version)
    check_ngff_metadata(store, key, version, names, kinds, levels, units, scales)
    base = ArraySpec(shape=level0.shape, chunks=chunks, shards=shards, dtype=dtype, key=key, codec=codec,
                     names=list(names))
    exact = not (np.dtype(dtype).kind == "f" and method is not None and _method(method) == "mean")
    for k, (lv, ref) in enumerate(zip(levels, refs)):
        assert ref.shape == level_data_shape(level0.shape, levels, k)
        spec = level_spec(base, lv, k, ref.shape)
        verify_level(store, spec, version, ref, exact=exact or k == 0, mask=None if masks is None else masks[k])
    check_no_extra_levels(store, key, version, len(levels))
    if validate:
        validate_ngff_image(store, key, version)
    return levels, refs


# --------------------------------------------------------------------------
# One image to stream (acquisition order) and its checks (storage order)
# --------------------------------------------------------------------------

import acquire_zarr as aqz  # noqa: E402

from conftest import zarr_version  # noqa: E402

_DEFAULT_KIND = {"t": "time", "c": "channel", "o": "other"}


@dataclass
class Image:
    """An array as the acquisition describes it (dimensions slowest to
    fastest) plus the pyramid / NGFF / storage-order settings.

    sizes: array_size_px per dimension (0 on the first = unbounded).
    storage_order: dimension names in storage order, or None.
    """

    names: Sequence[str]
    sizes: Sequence[int]
    chunks: Sequence[int]
    shards: Optional[Sequence[int]] = None
    kinds: Optional[Sequence[str]] = None
    dtype: str = "uint16"
    key: Optional[str] = "img"
    codec: Codec = NONE
    method: Optional[str] = None
    max_levels: int = 0
    is_ngff: Optional[bool] = None
    storage_order: Optional[Sequence[str]] = None
    units: Optional[Sequence[Optional[str]]] = None
    scales: Optional[Sequence[float]] = None

    def __post_init__(self):
        nd = len(self.names)
        assert len(self.sizes) == nd and len(self.chunks) == nd
        if self.shards is None:
            self.shards = (1,) * nd
        if self.kinds is None:
            self.kinds = [_DEFAULT_KIND.get(n, "space") for n in self.names]

    # ---- settings ------------------------------------------------------
    def dimensions(self):
        dims = []
        for i, n in enumerate(self.names):
            kw = dict(
                name=n,
                kind=getattr(aqz.DimensionType, _kind(self.kinds[i]).upper()),
                array_size_px=self.sizes[i],
                chunk_size_px=self.chunks[i],
                shard_size_chunks=self.shards[i],
            )
            if self.units is not None and self.units[i] is not None:
                kw["unit"] = self.units[i]
            if self.scales is not None:
                kw["scale"] = float(self.scales[i])
            dims.append(aqz.Dimension(**kw))
        return dims

    def settings(self):
        kw = dict(dimensions=self.dimensions(), data_type=getattr(aqz.DataType, self.dtype.upper()))
        if self.key is not None:
            kw["output_key"] = self.key
        comp = self.codec.settings()
        if comp is not None:
            kw["compression"] = comp
        if self.method is not None:
            kw["downsampling_method"] = getattr(aqz.DownsamplingMethod, _method(self.method).upper())
        if self.max_levels:
            kw["max_levels"] = self.max_levels
        if self.is_ngff is not None:
            kw["is_ngff"] = self.is_ngff
        if self.storage_order is not None:
            kw["storage_dimension_order"] = list(self.storage_order)
        return aqz.ArraySettings(**kw)

    # ---- geometry --------------------------------------------------------
    @property
    def perm(self) -> list:
        """perm[i] = acquisition index of the i-th stored dimension."""
        if not self.storage_order:
            return list(range(len(self.names)))
        return [list(self.names).index(n) for n in self.storage_order]

    def stored(self, seq):
        return [seq[i] for i in self.perm] if seq is not None else None

    @property
    def frame_shape(self) -> tuple:
        return tuple(self.sizes[-2:])

    @property
    def per_row(self) -> int:
        return math.prod(self.sizes[1:-2])

    def acquired_shape(self, rows: int) -> tuple:
        return (rows,) + tuple(self.sizes[1:])

    @property
    def multiscale(self) -> bool:
        return self.method is not None or bool(self.is_ngff)

    def levels(self) -> List[Level]:
        if self.method is None:
            s = self.stored(self.sizes)
            return [Level(tuple(s), tuple(self.stored(self.shards)), (False,) * len(s), (0,) * len(s))]
        return plan_levels(self.stored(self.sizes), self.stored(self.chunks), self.stored(self.shards),
                           self.stored(self.kinds), self.max_levels)

    def frames_to_acquired(self, frames: np.ndarray) -> np.ndarray:
        """Acquisition-order ground truth after ``len(frames)`` frames (the
        missing frames of the last row are zeros)."""
        rows = ceil_div(len(frames), self.per_row) if len(frames) else 0
        full = np.zeros((rows * self.per_row,) + self.frame_shape, np.dtype(self.dtype))
        full[: len(frames)] = frames
        return full.reshape(self.acquired_shape(rows))

    def written_mask(self, n_frames: int, rows: int) -> np.ndarray:
        """Acquisition-order mask of the samples actually written."""
        m = np.zeros((rows * self.per_row,) + self.frame_shape, bool)
        m[:n_frames] = True
        return m.reshape(self.acquired_shape(rows))

    def to_storage(self, acquired: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.transpose(acquired, self.perm))

    # ---- streaming -------------------------------------------------------
    def stream_settings(self, store, version: str, **kw):
        kw.setdefault("overwrite", True)
        return aqz.StreamSettings(store_path=str(store), version=zarr_version(version), arrays=[self.settings()], **kw)

    def write(self, store, version: str, data, **kw):
        stream = aqz.ZarrStream(self.stream_settings(store, version, **kw))
        stream.append(data)
        stream.close()

    # ---- checks ----------------------------------------------------------
    def verify(self, store, version: str, acquired: np.ndarray, mask=None, rounding: str = "even",
               validate: bool = True, key: Optional[str] = None):
        """Check the stored node(s) against acquisition-order data."""
        key = (self.key or "") if key is None else key
        level0 = self.to_storage(acquired)
        smask = None if mask is None else self.to_storage(mask)
        if not self.multiscale:
            spec = ArraySpec(shape=level0.shape, chunks=self.stored(self.chunks), shards=self.stored(self.shards),
                             dtype=self.dtype, key=key, codec=self.codec, names=self.stored(self.names))
            verify_level(store, spec, version, level0)
            return [level0]
        _, refs = verify_image(
            store, key, version,
            names=self.stored(self.names), kinds=self.stored(self.kinds),
            sizes=self.stored(self.sizes), chunks=self.stored(self.chunks), shards=self.stored(self.shards),
            dtype=self.dtype, level0=level0, method=self.method, max_levels=self.max_levels,
            codec=self.codec, units=self.stored(self.units), scales=self.stored(self.scales),
            rounding=rounding, mask=smask, validate=validate,
        )
        return refs

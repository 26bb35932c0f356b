"""Write or rewrite the OME-NGFF multiscales metadata of an existing group.

:func:`write_ome_metadata` describes the arrays a group already holds (the
levels of a pyramid, finest first) as an OME-NGFF image: 0.5 in a Zarr v3
group (``attributes.ome`` of its ``zarr.json``), 0.4 in a Zarr v2 group
(``multiscales`` in its ``.zattrs``). It takes the choices of linc-convert's
``ZarrGroup.write_ome_metadata``: the axes in Zarr order, the space and time
scales and units, a name, how the levels of the pyramid align, which axis was
not pooled, the multiscales ``type`` and the OME version.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Dict, List, Optional, Sequence, Union

from ._zarr_nodes import (
    DEFAULT_AXES,
    Node,
    Snapshot,
    load_json,
    multiscale_of,
    read_node,
    require_node,
    write_attrs,
    write_json_atomic,
)

__all__ = ["write_ome_metadata"]

Align = Union[str, float]
AxisSpec = Union[str, Dict[str, Any]]

_KIND_BY_NAME = {"t": "time", "time": "time", "c": "channel", "ch": "channel", "channel": "channel"}


def axis_kind(name: str) -> str:
    """The NGFF axis type a bare name implies: ``t``/``time`` time,
    ``c``/``ch``/``channel`` channel, anything else space (as linc-convert)."""
    return _KIND_BY_NAME.get(name.lower(), "space")


def _as_list(value, n: int, what: str, kind) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{what}={list(value)!r}: expected {n} values, one per space axis")
        values = list(value)
    else:
        values = [value] * n
    for v in values:
        if not isinstance(v, kind) or isinstance(v, bool):
            raise TypeError(f"{what}={value!r}: expected {kind_name(kind)} (or a list of them)")
    return values


def kind_name(kind) -> str:
    return {str: "a string", numbers.Real: "a number"}.get(kind, str(kind))


def _check_align(value) -> Align:
    if isinstance(value, str):
        low = value.lower()
        if low in ("center", "centre", "c"):
            return "center"
        if low in ("edge", "e"):
            return "edge"
        raise ValueError(
            f"pyramid_aligns={value!r}: expected 'center', 'edge' or a window size (a number >= 1)"
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 1:
        raise ValueError(
            f"pyramid_aligns={value!r}: expected 'center', 'edge' or a window size (a number >= 1)"
        )
    return float(value)


def normalise_axes(axes: Optional[Sequence[AxisSpec]], names_if_none: Sequence[str], types_if_none=None) -> List[Dict[str, Any]]:
    """Axes as dicts {name, type?, unit?}."""
    if axes is None:
        out = []
        for i, n in enumerate(names_if_none):
            t = types_if_none[i] if types_if_none is not None else axis_kind(n)
            out.append({"name": n, "type": t})
        return out
    if isinstance(axes, str):
        axes = list(axes) if all(len(a) == 1 for a in axes) and " " not in axes else [axes]
    out = []
    for a in axes:
        if isinstance(a, str):
            if not a:
                raise ValueError(f"axes={list(axes)!r}: an axis name is empty")
            out.append({"name": a, "type": axis_kind(a)})
        elif isinstance(a, dict):
            if not isinstance(a.get("name"), str) or not a["name"]:
                raise ValueError(f"axes: {a!r} has no 'name'")
            d = dict(a)
            if "type" not in d:
                d["type"] = axis_kind(d["name"])
            out.append(d)
        else:
            raise TypeError(f"axes: {a!r} is neither an axis name nor a dict")
    names = [a["name"] for a in out]
    if len(set(names)) != len(names):
        raise ValueError(f"axes={names!r}: axis names must be unique")
    return out


def halvings(shapes: Sequence[Sequence[int]], axis: int) -> List[int]:
    """How many times ``axis`` shrank from level 0 to each level."""
    h = [0]
    for prev, cur in zip(shapes, shapes[1:]):
        h.append(h[-1] + (1 if cur[axis] < prev[axis] else 0))
    return h


def level_transforms(
    shapes: Sequence[Sequence[int]],
    kinds: Sequence[Optional[str]],
    base_scale: Sequence[float],
    base_translation: Sequence[float],
    aligns: Sequence[Align],
    no_pool: Optional[int],
) -> List[tuple]:
    """(scale, translation) of each level.

    Per space axis with level-0 size n0, level-k size nk, voxel size s0 and
    level-0 offset t0 (the position of the centre of the first voxel):

    - ``'edge'``: the outer edges of the corner voxels coincide (every level
      spans the same field of view, n0 * s0): scale = s0 * n0 / nk,
      translation = t0 + s0 * (n0 / nk - 1) / 2.
    - ``'center'``: the centres of the corner voxels coincide: scale =
      s0 * (n0 - 1) / (nk - 1), translation = t0 (a level of one voxel along
      the axis has no two corners: it gets the 'edge' values).
    - a window size w: each level was pooled by a moving window of w voxels
      (stride w) over the previous one, h times along this axis so far:
      scale = s0 * w^h, translation = t0 + s0 * (w^h - 1) / 2 (the centre of
      the window). ``2`` is what :func:`acquire_zarr.add_pyramid` and the
      streaming pyramid compute: level k voxel i covers level-0 voxels
      2^h*i .. 2^h*(i+1) - 1.

    The ``no_pool`` space axis (and every time, channel or other axis) keeps
    scale s0 and translation t0 at every level.
    """
    n = len(kinds)
    space = [i for i in range(n) if kinds[i] == "space"]
    out = []
    for k, shape in enumerate(shapes):
        scale = list(map(float, base_scale))
        trans = list(map(float, base_translation))
        for j, i in enumerate(space):
            if j == no_pool or k == 0:
                continue
            n0, nk, s0 = shapes[0][i], shape[i], float(base_scale[i])
            a = aligns[j]
            if a == "center" and nk > 1:
                f = (n0 - 1) / (nk - 1) if n0 > 1 else 1.0
                off = 0.0
            elif a in ("edge", "center"):
                f = n0 / nk
                off = (f - 1) / 2
            else:
                f = float(a) ** halvings(shapes[: k + 1], i)[k]
                off = (f - 1) / 2
            scale[i] = s0 * f
            trans[i] = float(base_translation[i]) + s0 * off
        out.append((scale, trans))
    return out


def _level_paths(node: Node, levels) -> List[str]:
    """The arrays the multiscale lists, finest first."""
    if levels is not None and not isinstance(levels, numbers.Integral):
        if isinstance(levels, str) or not isinstance(levels, Sequence):
            raise TypeError(f"levels={levels!r}: expected a count or a list of array paths")
        paths = [str(p) for p in levels]
        if not paths:
            raise ValueError("levels=[]: an image needs at least one level")
    else:
        existing = multiscale_of(node)
        paths = []
        if existing is not None:
            paths = [d.get("path") for d in existing.get("datasets") or [] if isinstance(d, dict)]
            if not all(isinstance(p, str) and _is_array(node, p) for p in paths):
                paths = []
        if not paths:
            k = 0
            while _is_array(node, str(k)):
                paths.append(str(k))
                k += 1
        if not paths:
            raise ValueError(
                f"{node.path} holds no array '0' (and no multiscales metadata listing its levels): "
                f"pass levels=[paths of the arrays, finest first]"
            )
        if levels is not None:
            if isinstance(levels, bool) or levels < 1 or levels > len(paths):
                raise ValueError(
                    f"levels={levels!r}: {node.path} has {len(paths)} level(s) ({', '.join(paths)})"
                )
            paths = paths[: int(levels)]
    for p in paths:
        if not _is_array(node, p):
            raise ValueError(f"levels: {str(node.path / p)!r} is not a Zarr v{node.zarr_format} array")
    return paths


def _is_array(node: Node, path: str) -> bool:
    try:
        child = read_node(node.path / path)
    except (ValueError, OSError):
        return False
    return child is not None and child.kind == "array" and child.zarr_format == node.zarr_format


def _validator(ome_version: str):
    try:
        if ome_version == "0.5":
            from ome_zarr_models.v05.image import Image, ImageAttrs
        else:
            from ome_zarr_models.v04.image import Image, ImageAttrs
    except ImportError:
        return None
    return Image, ImageAttrs


def _short(e: BaseException) -> str:
    text = str(e).strip()
    return text if len(text) < 2000 else text[:2000] + " ..."


def check_attrs(ome_version: str, attrs: Dict[str, Any], where: str, validate: Optional[bool]) -> None:
    """Validate the attributes document alone (before anything is written)."""
    v = _need_validator(ome_version, validate)
    if v is None:
        return
    _, ImageAttrs = v
    try:
        ImageAttrs.model_validate(attrs["ome"] if ome_version == "0.5" else {"multiscales": attrs["multiscales"]})
    except Exception as e:
        raise ValueError(f"the OME-NGFF {ome_version} metadata for {where} would not validate: {_short(e)}") from None


def _need_validator(ome_version: str, validate: Optional[bool]):
    if validate is False:
        return None
    v = _validator(ome_version)
    if v is None and validate:
        raise ImportError("validate=True needs ome-zarr-models: pip install ome-zarr-models (or pass validate=False)")
    return v


def validate_group(node: Node, ome_version: str, validate: Optional[bool]) -> None:
    """ome-zarr-models validates the image group on disk, its arrays included."""
    v = _need_validator(ome_version, validate)
    if v is None:
        return
    Image, _ = v
    import zarr

    try:
        group = zarr.open_group(str(node.path), mode="r", zarr_format=node.zarr_format)
        Image.from_zarr(group)
    except Exception as e:
        raise ValueError(
            f"the OME-NGFF {ome_version} metadata written to {node.path} does not validate "
            f"(ome-zarr-models), so it was put back as it was: {_short(e)}"
        ) from None


def build_multiscale(
    node: Node,
    axes: Optional[Sequence[AxisSpec]] = None,
    *,
    space_scale: Union[float, Sequence[float]] = 1.0,
    time_scale: float = 1.0,
    space_unit: Union[str, Sequence[Optional[str]], None] = "micrometer",
    time_unit: Optional[str] = "second",
    name: Optional[str] = None,
    pyramid_aligns: Union[Align, Sequence[Align]] = 2,
    levels: Union[int, Sequence[str], None] = None,
    no_pool: Union[int, str, None] = None,
    multiscales_type: Optional[str] = None,
    ome_version: Optional[str] = None,
    space_translation: Union[float, Sequence[float]] = 0.0,
    metadata: Any = None,
    shapes: Optional[Sequence[Sequence[int]]] = None,
    paths: Optional[Sequence[str]] = None,
) -> tuple:
    """(ome_version, new attributes, array paths) for ``node``; nothing written.

    ``shapes``/``paths`` given: describe those (arrays that may not exist yet)."""
    if node.kind != "group":
        raise ValueError(
            f"{node.describe()}: OME metadata goes on the group holding the levels, not on an array"
        )
    fmt = node.zarr_format
    if ome_version is None:
        ome_version = "0.5" if fmt == 3 else "0.4"
    ome_version = str(ome_version)
    if ome_version not in ("0.4", "0.5"):
        raise ValueError(f"ome_version={ome_version!r}: expected '0.4' (Zarr v2) or '0.5' (Zarr v3)")
    if (ome_version == "0.5") != (fmt == 3):
        raise ValueError(
            f"ome_version={ome_version!r} does not fit the Zarr v{fmt} group {node.path}: "
            f"OME-NGFF 0.4 is stored in Zarr v2, 0.5 in Zarr v3"
        )
    if paths is None:
        paths = _level_paths(node, levels)
        level_nodes = [read_node(node.path / p) for p in paths]
        shapes = [n.shape for n in level_nodes]
        level0 = level_nodes[0]
    else:
        level0 = read_node(node.path / paths[0])
    nd = len(shapes[0])
    for p, s in zip(paths, shapes):
        if len(s) != nd:
            raise ValueError(f"level {p!r} has {len(s)} dimensions, level {paths[0]!r} has {nd}")

    existing = multiscale_of(node)
    if axes is None:
        if existing is not None and isinstance(existing.get("axes"), list) and len(existing["axes"]) == nd:
            names = [a.get("name") if isinstance(a, dict) else a for a in existing["axes"]]
            types = [a.get("type") if isinstance(a, dict) else axis_kind(a) for a in existing["axes"]]
            ax = normalise_axes(None, names, types)
        else:
            names = level0.dimension_names() if level0 is not None else None
            if names is None:
                if nd not in DEFAULT_AXES:
                    raise ValueError(
                        f"{node.path}: level {paths[0]!r} has {nd} dimensions; OME-NGFF images have 2 to 5 axes"
                    )
                names = DEFAULT_AXES[nd]
            ax = normalise_axes(None, names)
    else:
        ax = normalise_axes(axes, [])
    if len(ax) != nd:
        raise ValueError(
            f"axes={[a['name'] for a in ax]!r}: {len(ax)} axes for arrays of {nd} dimensions "
            f"(level {paths[0]!r} has shape {tuple(shapes[0])})"
        )
    kinds = [a.get("type") for a in ax]
    space = [i for i in range(nd) if kinds[i] == "space"]
    if len(space) not in (2, 3):
        raise ValueError(
            f"axes={[a['name'] for a in ax]!r}: OME-NGFF images have 2 or 3 space axes, these have "
            f"{len(space)} (types {kinds})"
        )
    ns = len(space)
    sscale = _as_list(space_scale, ns, "space_scale", numbers.Real)
    strans = _as_list(space_translation, ns, "space_translation", numbers.Real)
    for v in sscale:
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"space_scale={space_scale!r}: scales must be positive numbers")
    if isinstance(time_scale, bool) or not isinstance(time_scale, numbers.Real) or not (
        math.isfinite(time_scale) and time_scale > 0
    ):
        raise ValueError(f"time_scale={time_scale!r}: expected a positive number")
    units = space_unit if isinstance(space_unit, (list, tuple)) else [space_unit] * ns
    if len(units) != ns:
        raise ValueError(f"space_unit={list(space_unit)!r}: expected {ns} units, one per space axis")
    aligns_in = pyramid_aligns if isinstance(pyramid_aligns, (list, tuple)) else [pyramid_aligns] * ns
    if len(aligns_in) != ns:
        raise ValueError(f"pyramid_aligns={list(pyramid_aligns)!r}: expected {ns} values, one per space axis")
    aligns = [_check_align(a) for a in aligns_in]
    space_names = [ax[i]["name"] for i in space]
    if no_pool is not None:
        if isinstance(no_pool, str):
            if no_pool not in space_names:
                raise ValueError(f"no_pool={no_pool!r}: no such space axis (the space axes are {space_names})")
            no_pool = space_names.index(no_pool)
        elif isinstance(no_pool, bool) or not isinstance(no_pool, numbers.Integral):
            raise TypeError(f"no_pool={no_pool!r}: expected the index or name of a space axis")
        elif not -ns <= no_pool < ns:
            raise ValueError(f"no_pool={no_pool!r}: there are {ns} space axes ({space_names})")
        else:
            no_pool = int(no_pool) % ns

    base_scale, base_trans = [], []
    for i, a in enumerate(ax):
        if kinds[i] == "space":
            j = space.index(i)
            base_scale.append(float(sscale[j]))
            base_trans.append(float(strans[j]))
            unit = a.get("unit", units[j])
        elif kinds[i] == "time":
            base_scale.append(float(time_scale))
            base_trans.append(0.0)
            unit = a.get("unit", time_unit)
        else:
            base_scale.append(1.0)
            base_trans.append(0.0)
            unit = a.get("unit")
        if unit is None:
            a.pop("unit", None)
        else:
            a["unit"] = unit
        if a.get("type") in (None, "other"):
            a.pop("type", None)  # NGFF has no type for "other"
    for i in range(nd):
        if kinds[i] != "space":
            for p, s in zip(paths, shapes):
                if s[i] != shapes[0][i]:
                    raise ValueError(
                        f"level {p!r} has {s[i]} along the {kinds[i] or 'other'} axis {ax[i]['name']!r}, "
                        f"level {paths[0]!r} {shapes[0][i]}: only space axes may be downsampled"
                    )

    transforms = level_transforms(shapes, kinds, base_scale, base_trans, aligns, no_pool)
    datasets = []
    for p, (sc, tr) in zip(paths, transforms):
        ct = [{"type": "scale", "scale": sc}]
        if any(t != 0 for t in tr) or any(a != "center" for a in aligns):
            ct.append({"type": "translation", "translation": tr})
        datasets.append({"path": p, "coordinateTransformations": ct})

    ms: Dict[str, Any] = {}
    if existing is not None:  # keep what we do not write (e.g. "metadata")
        ms.update({k: v for k, v in existing.items() if k not in ("axes", "datasets", "version")})
    if ome_version == "0.4":
        ms["version"] = "0.4"
    if name is not None:
        ms["name"] = str(name)
    ms["axes"] = ax
    ms["datasets"] = datasets
    if multiscales_type is not None:
        if multiscales_type == "":
            ms.pop("type", None)
        else:
            ms["type"] = str(multiscales_type)
    if metadata is not None:
        ms["metadata"] = metadata

    attrs = dict(node.attrs)
    if ome_version == "0.5":
        ome = dict(attrs.get("ome") or {}) if isinstance(attrs.get("ome"), dict) else {}
        others = list(ome.get("multiscales") or [])[1:]
        ome["version"] = "0.5"
        ome["multiscales"] = [ms] + others
        attrs["ome"] = ome
    else:
        others = list(attrs.get("multiscales") or [])[1:] if isinstance(attrs.get("multiscales"), list) else []
        attrs["multiscales"] = [ms] + others
    return ome_version, attrs, list(paths), [a["name"] for a in ax]


def apply(node: Node, ome_version: str, attrs: Dict[str, Any], paths: Sequence[str], names: Sequence[str],
          validate: Optional[bool], snapshot: Optional[Snapshot] = None) -> None:
    """Write ``attrs`` (and, for 0.5, the levels' dimension_names), validate,
    and put everything back when it does not validate."""
    snap = snapshot or Snapshot()
    snap.save(node.attrs_file)
    old_attrs = dict(node.attrs)
    try:
        if ome_version == "0.5":
            for p in paths:
                f = node.path / p / "zarr.json"
                meta = load_json(f)
                if meta.get("dimension_names") != list(names):
                    snap.save(f)
                    meta["dimension_names"] = list(names)
                    write_json_atomic(f, meta)
        write_attrs(node, attrs)
        reconsolidate(node, snap)
        validate_group(node, ome_version, validate)
    except BaseException:
        snap.restore()
        node.attrs = old_attrs
        raise


def reconsolidate(node: Node, snap: Snapshot) -> None:
    """Refresh consolidated metadata (v2 ``.zmetadata``, v3
    ``consolidated_metadata``) of the group and of the groups above it, so
    readers that trust it see the new levels and attributes."""
    p = node.path.resolve()
    while True:
        n = read_node(p)
        if n is None or n.kind != "group" or n.zarr_format != node.zarr_format:
            break
        if node.zarr_format == 2:
            has = (p / ".zmetadata").is_file()
            files = [p / ".zmetadata"]
        else:
            has = n.meta.get("consolidated_metadata") is not None
            files = [p / "zarr.json"]
        if has:
            import warnings

            import zarr

            for f in files:
                snap.save(f)
            with warnings.catch_warnings():  # v3 "not part of the specification": the store has it already
                warnings.simplefilter("ignore")
                zarr.consolidate_metadata(str(p), zarr_format=node.zarr_format)
        if p.parent == p:
            break
        p = p.parent


def write_ome_metadata(
    group: Any,
    axes: Optional[Sequence[AxisSpec]] = None,
    *,
    space_scale: Union[float, Sequence[float]] = 1.0,
    time_scale: float = 1.0,
    space_unit: Union[str, Sequence[Optional[str]], None] = "micrometer",
    time_unit: Optional[str] = "second",
    name: Optional[str] = None,
    pyramid_aligns: Union[Align, Sequence[Align]] = 2,
    levels: Union[int, Sequence[str], None] = None,
    no_pool: Union[int, str, None] = None,
    multiscales_type: Optional[str] = None,
    ome_version: Optional[str] = None,
    space_translation: Union[float, Sequence[float]] = 0.0,
    metadata: Any = None,
    validate: Optional[bool] = None,
) -> Dict[str, Any]:
    """Write (or rewrite) the OME-NGFF multiscales metadata of an existing group.

    The group (a local path, or a zarr-python Group on a local store) holds
    the levels of an image as arrays, finest first; their shapes are read
    from the store and each level gets a ``scale`` and a ``translation``
    transform for the chosen alignment. What the group's attributes hold
    besides (other keys, ``omero``, the multiscale's ``metadata``, a ``name``
    or ``type`` not given again) is kept. Returns the multiscale written (the
    first entry of ``multiscales``).

    Parameters (the choices of linc-convert's ``write_ome_metadata``):

    - ``axes``: the name of each dimension in Zarr order, e.g. ``["t", "c",
      "z", "y", "x"]`` (or ``"tczyx"``); ``t``/``time`` is a time axis,
      ``c``/``ch``/``channel`` a channel axis, any other name a space axis. A
      dict (``{"name", "type", "unit"}``) gives an axis exactly (type
      ``"other"`` or None for an axis that is none of those). Default: the
      axes the group's metadata already has, else the arrays'
      ``dimension_names``, else ``yx``, ``zyx``, ``czyx``, ``tczyx`` by the
      number of dimensions.
    - ``space_scale``: the level-0 voxel size, one number for every space
      axis or one per space axis in Zarr order (z, y, x); ``time_scale``: the
      time step. ``space_translation``: where the centre of the first level-0
      voxel is (default 0).
    - ``space_unit``, ``time_unit``: UDUNITS names (``"micrometer"``,
      ``"second"``...); ``space_unit`` may be a list, one per space axis;
      None leaves the unit out. A dict axis's ``"unit"`` wins.
    - ``name``: the multiscale's name (None keeps the one it has, if any).
    - ``pyramid_aligns``: how the levels were made, per space axis or for
      all: ``'edge'`` (every level spans the same field of view: the outer
      edges of the corner voxels coincide; level k scale s0*n0/nk,
      translation s0*(n0/nk - 1)/2), ``'center'`` (the centres of the corner
      voxels coincide: scale s0*(n0-1)/(nk-1), translation 0), or a number w:
      a moving window of w voxels pooled the previous level, so after h
      poolings of an axis scale = s0*w^h and translation = s0*(w^h - 1)/2.
      The default ``2`` is the truth for :func:`acquire_zarr.add_pyramid`
      and the streaming pyramid (which pool 2x2(x2) blocks; their last block
      repeats the edge, so ``'edge'`` would be off on odd sizes). n0 and nk
      are an axis's sizes at level 0 and level k; h counts the levels at
      which the axis shrank.
    - ``levels``: how many of the group's levels to list (the first ones), or
      a list of array paths finest first; default: the datasets its
      metadata lists, else the arrays ``0``, ``1``, ... it holds.
    - ``no_pool``: the space axis (index among the space axes, or name) that
      was not downsampled: scale and translation stay those of level 0.
    - ``multiscales_type``: the multiscale's ``type`` (e.g. ``"local_mean"``;
      None keeps the one it has, ``""`` removes it).
    - ``ome_version``: ``"0.5"`` (Zarr v3 groups) or ``"0.4"`` (Zarr v2);
      default: the one the group's Zarr format holds.
    - ``metadata``: the multiscale's ``metadata`` (None keeps what it has).
    - ``validate``: check the result with ome-zarr-models (None: when it is
      installed). A result that does not validate raises ``ValueError`` and
      the group is left as it was.

    With 0.5, each level's ``dimension_names`` is set to the axis names (NGFF
    0.5 requires them). Bad arguments raise ``ValueError``/``TypeError``
    naming the value, before anything is written. The store must be on a
    local filesystem.
    """
    node = require_node(group, "group")
    ome_version, attrs, paths, names = build_multiscale(
        node,
        axes,
        space_scale=space_scale,
        time_scale=time_scale,
        space_unit=space_unit,
        time_unit=time_unit,
        name=name,
        pyramid_aligns=pyramid_aligns,
        levels=levels,
        no_pool=no_pool,
        multiscales_type=multiscales_type,
        ome_version=ome_version,
        space_translation=space_translation,
        metadata=metadata,
    )
    check_attrs(ome_version, attrs, str(node.path), validate)
    apply(node, ome_version, attrs, paths, names, validate)
    ms = attrs["ome"]["multiscales"][0] if ome_version == "0.5" else attrs["multiscales"][0]
    return ms

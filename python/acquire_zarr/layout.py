"""Automatic chunk and shard shapes for writing a whole array.

:func:`auto_layout` is the policy :func:`acquire_zarr.convert.to_ome_zarr`
uses, exposed so that the layout can be seen (and adjusted) before anything
is written::

    >>> from acquire_zarr.layout import auto_layout
    >>> auto_layout((2000, 3000, 3000), ["space", "space", "space"])
    Layout(chunks=(32, 32, 32), shards=(512, 512, 512))
    >>> auto_layout((3, 5000, 7000), ["channel", "space", "space"], shards=None)
    Layout(chunks=(1, 256, 256), shards=None)

The rules (those of ``anu_ctlab_io.zarr.dataset_to_zarr``):

- ``chunks="auto"``: a power-of-two square (two spatial axes) or cube (three)
  over the SPACE axes, targeting 256² or 32³ elements; ``shards="auto"``
  targets 8192² or 512³ elements. An integer asks for that many elements
  instead: the side is the largest power of two whose square (cube) does not
  exceed it.
- Every automatic shape is trimmed to the array; a shard is then rounded up to
  a multiple of the chunk along each axis.
- Axes that are not SPACE (time, channel, other) get chunk 1 and one chunk
  per shard, unless the tuple gives them.
- An explicit tuple is taken as given (one entry per axis); 0 means "span
  this axis": the whole array axis, or for chunks, the whole shard axis when
  ``shards`` is a tuple too. An explicit shard tuple needs an explicit chunk
  tuple, and must be a multiple of it along every axis.
- ``shards=None``: no sharding (one chunk per shard; Zarr v2 has no shards).
"""

# No `from __future__ import annotations`: help() then shows the annotations
# as objects, as in the rest of the package.

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from ._acquire_zarr import DimensionType
from ._errors import InvalidSettingsError

__all__ = ["Layout", "auto_layout", "dimension_kind", "SUPPORTED_DTYPES"]

#: The numpy dtypes the engine writes (native byte order; other byte orders
#: of the same types are converted while writing).
SUPPORTED_DTYPES: Tuple[np.dtype, ...] = tuple(
    np.dtype(t)
    for t in (
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "int8",
        "int16",
        "int32",
        "int64",
        "float32",
        "float64",
    )
)

# Default targets, in elements, by the number of SPACE axes.
_CHUNK_TARGET = {2: 256**2, 3: 32**3}
_SHARD_TARGET = {2: 8192**2, 3: 512**3}

ChunkSpec = Union[str, int, Sequence[int], None]
ShardSpec = Union[str, int, Sequence[int], None]
KindLike = Union[DimensionType, str]

_KIND_NAMES = {
    "space": DimensionType.SPACE,
    "spatial": DimensionType.SPACE,
    "time": DimensionType.TIME,
    "channel": DimensionType.CHANNEL,
    "other": DimensionType.OTHER,
}


def dimension_kind(value: KindLike, where: str = "dimension kind") -> DimensionType:
    """A :class:`DimensionType` from itself or its name (``"space"``,
    ``"time"``, ``"channel"``, ``"other"``, any case)."""
    if isinstance(value, DimensionType):
        return value
    if isinstance(value, str) and value.strip().lower() in _KIND_NAMES:
        return _KIND_NAMES[value.strip().lower()]
    raise InvalidSettingsError(
        f"{where} {value!r} is not a dimension kind: use a DimensionType or one of "
        f"'space', 'time', 'channel', 'other'"
    )


def _format_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}".replace(".0 ", " ")
        n /= 1024
    return f"{n} B"  # pragma: no cover


@dataclass(frozen=True)
class Layout:
    """Chunk and shard shapes of an array, in pixels, one entry per axis.

    Attributes:
        chunks: The chunk (inner chunk, when sharded) shape.
        shards: The shard shape, a multiple of ``chunks`` along every axis, or
            None for no sharding (one chunk per shard).
        itemsize: Bytes per element when the dtype was given, else None (used
            only by ``str()``, which adds chunk and shard sizes in bytes; not
            compared).
    """

    chunks: Tuple[int, ...]
    shards: Optional[Tuple[int, ...]] = None
    itemsize: Optional[int] = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"Layout(chunks={self.chunks}, shards={self.shards})"

    def __str__(self) -> str:
        text = "chunks " + "x".join(map(str, self.chunks))
        if self.itemsize:
            text += f" ({_format_bytes(math.prod(self.chunks) * self.itemsize)})"
        if self.shards is None:
            return text + ", not sharded"
        text += ", shards " + "x".join(map(str, self.shards))
        n = self.chunks_per_shard
        text += f" ({n} chunk{'s' if n != 1 else ''}"
        if self.itemsize:
            text += f", {_format_bytes(math.prod(self.shards) * self.itemsize)}"
        return text + ")"

    @property
    def shard_size_chunks(self) -> Tuple[int, ...]:
        """Chunks per shard along each axis (all 1 when not sharded): the
        engine's ``Dimension.shard_size_chunks``."""
        if self.shards is None:
            return (1,) * len(self.chunks)
        return tuple(s // c for s, c in zip(self.shards, self.chunks))

    @property
    def chunks_per_shard(self) -> int:
        """How many chunks one shard holds."""
        return math.prod(self.shard_size_chunks)


def _pow2_side(target: int, n: int) -> int:
    """The largest power of two p with p**n <= target (at least 1)."""
    p = 1
    while (2 * p) ** n <= target:
        p *= 2
    return p


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _shape(shape: Any) -> Tuple[int, ...]:
    try:
        items = tuple(shape)
    except TypeError:
        raise InvalidSettingsError(f"shape {shape!r} is not a sequence of sizes") from None
    for i, n in enumerate(items):
        if not _is_int(n) or n < 1:
            raise InvalidSettingsError(
                f"shape {items!r}: size {n!r} of axis {i} is not a positive integer"
            )
    if not items:
        raise InvalidSettingsError("shape () has no axes")
    return tuple(int(n) for n in items)


def _tuple_spec(name: str, value: Any, ndim: int) -> Tuple[int, ...]:
    items = tuple(value)
    if len(items) != ndim:
        raise InvalidSettingsError(
            f"{name}={items!r} has {len(items)} entries, but the array has {ndim} axes"
        )
    for i, n in enumerate(items):
        if not _is_int(n) or n < 0:
            raise InvalidSettingsError(
                f"{name}={items!r}: entry {n!r} of axis {i} is not a non-negative integer "
                f"(0 spans the axis)"
            )
    return tuple(int(n) for n in items)


def _target(name: str, value: Any, table: dict, n_space: int) -> Optional[int]:
    """The element target of an 'auto' or int spec, else None (a tuple)."""
    if isinstance(value, str):
        if value != "auto":
            raise InvalidSettingsError(
                f"{name}={value!r} is not 'auto', an element count or a shape tuple"
            )
        return table[min(max(n_space, 2), 3)]
    if _is_int(value):
        if value < 1:
            raise InvalidSettingsError(
                f"{name}={value!r}: an element count must be at least 1"
            )
        return int(value)
    if isinstance(value, bool) or not hasattr(value, "__iter__"):
        raise InvalidSettingsError(
            f"{name}={value!r} is not 'auto', an element count or a shape tuple"
        )
    return None


def auto_layout(
    shape: Sequence[int],
    dimension_kinds: Optional[Sequence[KindLike]] = None,
    dtype: Any = None,
    chunks: ChunkSpec = "auto",
    shards: ShardSpec = "auto",
) -> Layout:
    """The chunk and shard shapes for an array of ``shape``.

    Args:
        shape: The array's size along each axis.
        dimension_kinds: The kind of each axis (a :class:`DimensionType` or
            ``"space"``, ``"time"``, ``"channel"``, ``"other"``). None: the
            OME-NGFF guess for 2 to 5 axes, ``(t)(c)(z)yx`` (time, channel,
            then SPACE), as :func:`~acquire_zarr.convert.to_ome_zarr` infers.
        dtype: The element type, if known: checked to be one the engine
            writes, and used by ``str(layout)`` to show sizes in bytes.
        chunks: ``"auto"`` (256² / 32³ elements over the SPACE axes), an int
            (a target element count), or a tuple with one entry per axis (0 =
            span the axis, or the shard's axis when ``shards`` is a tuple).
            None is the same as ``"auto"``.
        shards: ``"auto"`` (8192² / 512³ elements), an int (target element
            count), a tuple (0 = span the array axis; a multiple of the chunk
            tuple), or None for no sharding.

    Returns:
        A :class:`Layout`; the module docstring lists the rules.

    Raises:
        InvalidSettingsError: a bad shape, kind, dtype or spec (the message
            names the value).
    """
    shape_t = _shape(shape)
    ndim = len(shape_t)
    if dimension_kinds is None:
        kinds = default_kinds(ndim)
    else:
        kinds_in = tuple(dimension_kinds)
        if len(kinds_in) != ndim:
            raise InvalidSettingsError(
                f"dimension_kinds {list(kinds_in)!r} has {len(kinds_in)} entries, but shape "
                f"{shape_t!r} has {ndim} axes"
            )
        kinds = tuple(dimension_kind(k, f"dimension_kinds[{i}]") for i, k in enumerate(kinds_in))
    itemsize = None
    if dtype is not None:
        itemsize = check_dtype(dtype).itemsize
    space = [i for i, k in enumerate(kinds) if k == DimensionType.SPACE]
    if not space:
        raise InvalidSettingsError(
            f"dimension_kinds {[k.name.lower() for k in kinds]!r} has no SPACE axis: the "
            f"automatic layout tiles the spatial axes"
        )
    n_space = len(space)
    if chunks is None:
        chunks = "auto"

    shard_target = None
    shard_tuple: Optional[Tuple[int, ...]] = None
    if shards is not None:
        shard_target = _target("shards", shards, _SHARD_TARGET, n_space)
        if shard_target is None:
            shard_tuple = _tuple_spec("shards", shards, ndim)
            shard_tuple = tuple(s if s else n for s, n in zip(shard_tuple, shape_t))

    chunk_target = _target("chunks", chunks, _CHUNK_TARGET, n_space)
    if chunk_target is not None:
        if shard_tuple is not None:
            raise InvalidSettingsError(
                f"shards={tuple(shards)!r} is an explicit shape, so chunks must be one too "  # type: ignore[arg-type]
                f"(got chunks={chunks!r})"
            )
        side = _pow2_side(chunk_target, n_space)
        chunk_t = tuple(min(side, n) if i in space else 1 for i, n in enumerate(shape_t))
    else:
        given = _tuple_spec("chunks", chunks, ndim)
        span = shard_tuple if shard_tuple is not None else shape_t
        chunk_t = tuple(c if c else s for c, s in zip(given, span))

    if shards is None:
        return Layout(chunk_t, None, itemsize)
    if shard_tuple is not None:
        for i, (s, c) in enumerate(zip(shard_tuple, chunk_t)):
            if s % c:
                if tuple(shards)[i] == 0:  # type: ignore[arg-type]
                    continue  # rounded up below: "span the axis"
                raise InvalidSettingsError(
                    f"shards={tuple(shards)!r}: {s} along axis {i} is not a multiple of "  # type: ignore[arg-type]
                    f"the chunk size {c} (chunks={chunk_t!r})"
                )
        shard_t = tuple(_round_up(s, c) for s, c in zip(shard_tuple, chunk_t))
        return Layout(chunk_t, shard_t, itemsize)
    side = _pow2_side(shard_target, n_space)  # type: ignore[arg-type]
    shard_t = tuple(
        _round_up(min(side, n), c) if i in space else c
        for i, (n, c) in enumerate(zip(shape_t, chunk_t))
    )
    return Layout(chunk_t, shard_t, itemsize)


def default_kinds(ndim: int) -> Tuple[DimensionType, ...]:
    """The kinds of ``(t)(c)(z)yx`` for an array of 2 to 5 axes."""
    if not 2 <= ndim <= 5:
        raise InvalidSettingsError(
            f"cannot guess the kinds of {ndim} axes: an OME-Zarr image has 2 to 5 "
            f"((t)(c)(z)yx); give dimension_kinds"
        )
    return (DimensionType.TIME, DimensionType.CHANNEL, DimensionType.SPACE, DimensionType.SPACE,
            DimensionType.SPACE)[5 - ndim:]


def check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a numpy dtype the engine writes, or InvalidSettingsError
    naming it. Any byte order of a supported type is accepted."""
    try:
        dt = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    except TypeError:
        raise InvalidSettingsError(f"dtype {dtype!r} is not a numpy dtype") from None
    native = dt.newbyteorder("=") if dt.byteorder not in ("=", "|") else dt
    if native not in SUPPORTED_DTYPES:
        raise InvalidSettingsError(
            f"dtype {str(dt)!r} is not supported: the "
            f"engine writes uint8, uint16, uint32, uint64, int8, int16, int32, int64, float32 "
            f"and float64 (convert with .astype(...))"
        )
    return native

"""Write a whole array (numpy, dask, Zarr, TensorStore, a file) as OME-Zarr.

:func:`to_ome_zarr` streams an existing array through the same engine that
streams camera frames: the source is read one slab at a time and appended to
a :class:`~acquire_zarr.ZarrStream`, which does the codecs, sharding, pyramid
levels and OME-NGFF metadata::

    import numpy as np
    from acquire_zarr.convert import to_ome_zarr

    volume = np.random.randint(0, 4096, (300, 512, 512), dtype=np.uint16)
    to_ome_zarr(volume, "volume.ome.zarr", scale=[2.0, 0.5, 0.5],
                units="micrometer", downsampling_method="mean")

The chunks and shards come from :func:`acquire_zarr.layout.auto_layout`
unless given. The command line (``acquire-zarr convert``) calls this function.
"""

# No `from __future__ import annotations`: help() then shows the annotations
# as objects, as in the rest of the package.

import contextlib
import json
import math
import mmap
import numbers
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ._acquire_zarr import (
    CompressionCodec,
    Compressor,
    DimensionType,
    DownsamplingMethod,
    ZarrStream,
    ZarrVersion,
)
from ._errors import InvalidSettingsError
from ._settings import ArraySettings, CompressionSettings, Dimension, StreamSettings
from .layout import Layout, auto_layout, check_dtype, dimension_kind

__all__ = ["to_ome_zarr", "ConversionResult", "open_source", "SourceInfo", "DEFAULT_COMPRESSION"]

#: The default ``compression``: Blosc Zstd level 1 with byte shuffle.
DEFAULT_COMPRESSION = "blosc-zstd"

#: The default bound on one slab read from the source (bytes).
DEFAULT_SLAB_BYTES = 64 << 20

# Never exceed this per slab, even to keep a source chunk whole.
_MAX_SLAB_BYTES = 1 << 30

_CODECS = {
    "none": None,
    "blosc-lz4": (Compressor.BLOSC1, CompressionCodec.BLOSC_LZ4, 1),
    "lz4": (Compressor.BLOSC1, CompressionCodec.BLOSC_LZ4, 1),
    "blosc-zstd": (Compressor.BLOSC1, CompressionCodec.BLOSC_ZSTD, 1),
    "zstd": (Compressor.ZSTD, CompressionCodec.ZSTD, 0),
}

_NAME_KINDS = {
    "t": DimensionType.TIME,
    "time": DimensionType.TIME,
    "c": DimensionType.CHANNEL,
    "ch": DimensionType.CHANNEL,
    "channel": DimensionType.CHANNEL,
    "z": DimensionType.SPACE,
    "y": DimensionType.SPACE,
    "x": DimensionType.SPACE,
}

# OME-NGFF order: time, then channel (or other), then space.
_RANK = {DimensionType.TIME: 0, DimensionType.CHANNEL: 1, DimensionType.OTHER: 1,
         DimensionType.SPACE: 2}

ProgressCallback = Callable[[int, int, int, int], None]


@dataclass(frozen=True)
class ConversionResult:
    """What :func:`to_ome_zarr` wrote.

    Attributes:
        store_path: The OME-Zarr image (a group with levels ``0``, ``1``, ...).
        shape: Level 0's shape (in stored axis order).
        dtype: The element type.
        dimension_names: The stored axes, in OME-NGFF order.
        layout: Level 0's chunks and shards (stored axis order).
        levels: How many levels the image has (1 = no pyramid).
        bytes: Bytes of source data streamed.
        seconds: Wall time of the conversion.
        engine_memory_bytes: The engine's memory bound for these settings
            (``StreamSettings.get_maximum_memory_usage()``); the conversion
            holds about ``max_slab_bytes`` more (see :func:`to_ome_zarr`).
        slabs: How many slabs the source is read in.
        written: False for a ``dry_run`` (nothing was written; ``levels``
            is the number planned).
    """

    store_path: str
    shape: Tuple[int, ...]
    dtype: np.dtype
    dimension_names: Tuple[str, ...]
    layout: Layout
    levels: int
    bytes: int
    seconds: float
    engine_memory_bytes: int
    slabs: int = 0
    written: bool = True


@dataclass
class SourceInfo:
    """An array opened from a path by :func:`open_source`, with what the file
    says about its axes (None where it says nothing).

    ``close()`` releases the file (a TIFF stays open while it is read)."""

    array: Any
    dimension_names: Optional[List[str]] = None
    dimension_kinds: Optional[List[DimensionType]] = None
    scale: Optional[List[float]] = None
    units: Optional[List[Optional[str]]] = None
    description: str = ""
    _closer: Optional[Callable[[], None]] = field(default=None, repr=False, compare=False)

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None


# ---------------------------------------------------------------------------
# Opening files
# ---------------------------------------------------------------------------

_OME_UNITS = {
    "µm": "micrometer", "um": "micrometer", "μm": "micrometer", "nm": "nanometer",
    "mm": "millimeter", "cm": "centimeter", "m": "meter", "Å": "angstrom", "pm": "picometer",
    "s": "second", "ms": "millisecond", "µs": "microsecond", "us": "microsecond",
    "ns": "nanosecond", "min": "minute", "h": "hour",
}


def _is_zarr_path(path: Path) -> bool:
    return path.is_dir() and any(
        (path / name).exists() for name in ("zarr.json", ".zarray", ".zgroup")
    )


def open_source(path: Union[str, os.PathLike], series: int = 0) -> SourceInfo:
    """Open a file or store to convert, lazily.

    - ``.npy``: memory-mapped (``numpy.load(mmap_mode="r")``); to_ome_zarr lets go of
      each slab's pages once appended, so RSS does not grow with the file.
    - TIFF / OME-TIFF (``.tif``, ``.tiff``, ``.btf``, ``.tf8``): with
      ``tifffile``, as a Zarr store of the full-resolution level of series
      ``series`` (pages and tiles are read as needed). The axes come from the
      file (``T``, ``C``/``S``, ``Z``, ``Y``, ``X``; ``Q``/``I`` as ``z`` when
      there is no ``Z``); the OME-XML physical sizes, or ImageJ's resolution,
      ``spacing`` and ``unit``, give scale and units.
    - A Zarr v2/v3 array, or an OME-Zarr image group (its level 0 and axes,
      scale and units), with zarr-python.

    Raises:
        InvalidSettingsError: the path does not exist or is not one of these.
        ImportError: ``tifffile`` or ``zarr`` is needed and not installed.
    """
    p = Path(path)
    if not p.exists():
        raise InvalidSettingsError(f"source '{p}' does not exist")
    name = p.name.lower()
    if name.endswith(".npy") and p.is_file():
        try:
            array = np.load(p, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as e:
            raise InvalidSettingsError(f"source '{p}' is not a readable .npy file: {e}") from None
        return SourceInfo(array, description=f"{p} (.npy, memory-mapped)")
    if name.endswith((".tif", ".tiff", ".btf", ".tf8", ".tf2")) and p.is_file():
        return _open_tiff(p, series)
    if _is_zarr_path(p):
        return _open_zarr(p)
    raise InvalidSettingsError(
        f"source '{p}' is not a .npy file, a TIFF file or a Zarr store"
    )


def _open_tiff(p: Path, series_index: int = 0) -> SourceInfo:
    try:
        import tifffile
    except ImportError:
        raise ImportError(
            "reading TIFF needs tifffile: pip install tifffile (or acquire-zarr[convert])"
        ) from None
    import zarr

    try:
        tif = tifffile.TiffFile(p)
    except Exception as e:  # tifffile raises its own TiffFileError and others
        raise InvalidSettingsError(f"source '{p}' is not a readable TIFF file: {e}") from None
    try:
        if not 0 <= series_index < len(tif.series):
            raise InvalidSettingsError(
                f"source '{p}' has {len(tif.series)} series; there is no series {series_index}"
            )
        series = tif.series[series_index]
        axes = series.axes.upper()
        store = series.aszarr(level=0)
        array = zarr.open(store, mode="r")
        names: List[str] = []
        kinds: List[DimensionType] = []
        for letter in axes:
            if letter == "T":
                names.append("t"), kinds.append(DimensionType.TIME)
            elif letter in "CS":
                names.append("c" if "c" not in names else letter.lower())
                kinds.append(DimensionType.CHANNEL)
            elif letter in "ZYX":
                names.append(letter.lower()), kinds.append(DimensionType.SPACE)
            elif letter in "QI" and "Z" not in axes and "z" not in names:
                names.append("z"), kinds.append(DimensionType.SPACE)
            else:
                names.append(letter.lower()), kinds.append(DimensionType.OTHER)
        scale, units = _tiff_scale(tif, axes)
    except Exception:
        tif.close()
        raise
    return SourceInfo(array, names, kinds, scale, units,
                      description=f"{p} (TIFF series {series_index}, axes {axes})",
                      _closer=tif.close)


_IMAGEJ_UNITS = {"micron": "micrometer", "microns": "micrometer", "um": "micrometer",
                 "µm": "micrometer", "\\u00B5m": "micrometer", "nm": "nanometer",
                 "nanometer": "nanometer", "mm": "millimeter", "millimeter": "millimeter",
                 "cm": "centimeter", "m": "meter", "meter": "meter"}


def _imagej_scale(tif: Any, axes: str) -> Tuple[Optional[List[float]], Optional[List[Optional[str]]]]:
    """Scale and units of an ImageJ TIFF: X/Y from the resolution tags, Z
    from ``spacing``, T from ``finterval``, the unit from ``unit``."""
    meta = tif.imagej_metadata or {}
    page = tif.pages[0]

    def per_pixel(tag: str) -> Optional[float]:
        t = page.tags.get(tag)
        try:
            num, den = t.value
            return den / num if num > 0 and den > 0 else None
        except (AttributeError, TypeError, ValueError, ZeroDivisionError):
            return None

    unit = _IMAGEJ_UNITS.get(str(meta.get("unit", "")).strip().lower())
    values = {"X": per_pixel("XResolution"), "Y": per_pixel("YResolution"),
              "Z": meta.get("spacing"), "T": meta.get("finterval")}
    scale: List[float] = []
    units: List[Optional[str]] = []
    found = False
    for letter in axes:
        v = values.get(letter)
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and math.isfinite(v)
        if ok and (letter == "T" or unit):
            found = True
            scale.append(float(v))  # type: ignore[arg-type]
            units.append("second" if letter == "T" else unit)
        else:
            scale.append(1.0)
            units.append(None)
    return (scale, units) if found else (None, None)


def _tiff_scale(tif: Any, axes: str) -> Tuple[Optional[List[float]], Optional[List[Optional[str]]]]:
    if getattr(tif, "is_imagej", False) and not getattr(tif, "is_ome", False):
        return _imagej_scale(tif, axes)
    xml = tif.ome_metadata if getattr(tif, "is_ome", False) else None
    if not xml:
        return None, None
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None, None
    pixels = next((e for e in root.iter() if e.tag.endswith("}Pixels") or e.tag == "Pixels"), None)
    if pixels is None:
        return None, None
    scale: List[float] = []
    units: List[Optional[str]] = []
    found = False
    for letter in axes:
        key = {"X": "PhysicalSizeX", "Y": "PhysicalSizeY", "Z": "PhysicalSizeZ",
               "T": "TimeIncrement"}.get(letter)
        value = pixels.get(key) if key else None
        try:
            v = float(value) if value is not None else None
        except ValueError:
            v = None
        if v is not None and v > 0 and math.isfinite(v):
            found = True
            scale.append(v)
            default_unit = "s" if letter == "T" else "µm"
            unit = pixels.get(key + "Unit" if letter != "T" else "TimeIncrementUnit", default_unit)
            units.append(_OME_UNITS.get(unit, None))
        else:
            scale.append(1.0)
            units.append(None)
    return (scale, units) if found else (None, None)


def _open_zarr(p: Path) -> SourceInfo:
    import zarr

    try:
        node = zarr.open(str(p), mode="r")
    except Exception as e:
        raise InvalidSettingsError(f"source '{p}' is not a readable Zarr store: {e}") from None
    if isinstance(node, zarr.Array):
        # Zarr v3 dimension_names, else xarray's v2 convention
        names = getattr(node.metadata, "dimension_names", None) or node.attrs.get(
            "_ARRAY_DIMENSIONS")
        names = (list(names) if isinstance(names, (list, tuple)) and len(names) == node.ndim
                 and all(isinstance(n, str) and n for n in names) else None)
        return SourceInfo(node, names, description=f"{p} (Zarr v{node.metadata.zarr_format} array)")
    attrs = dict(node.attrs)
    multiscales = (attrs.get("ome") or {}).get("multiscales") or attrs.get("multiscales")
    if not multiscales:
        arrays = sorted(name for name, _ in node.arrays())
        if len(arrays) == 1:
            return _open_zarr(p / arrays[0])
        listing = ", ".join(arrays) if arrays else "none"
        raise InvalidSettingsError(
            f"source '{p}' is a Zarr group without OME-NGFF multiscales (arrays: {listing}); "
            f"give the path of one array"
        )
    ms = multiscales[0]
    level0 = ms["datasets"][0]
    array = node[level0["path"]]
    axes = ms.get("axes") or []
    names = [a["name"] if isinstance(a, dict) else str(a) for a in axes] or None
    kinds = None
    units = None
    if axes and all(isinstance(a, dict) for a in axes):
        kinds = [dimension_kind(a.get("type") or "other") if a.get("type") in
                 (None, "space", "time", "channel") else DimensionType.OTHER for a in axes]
        units = [a.get("unit") for a in axes]
    scale = None
    for t in level0.get("coordinateTransformations") or []:
        if t.get("type") == "scale" and isinstance(t.get("scale"), list):
            scale = [float(s) for s in t["scale"]]
    return SourceInfo(array, names, kinds, scale, units,
                      description=f"{p} (OME-Zarr image, level {level0['path']})")


# ---------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------


def _describe(obj: Any) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}".replace("builtins.", "")


def _source_dtype(source: Any) -> np.dtype:
    return check_dtype(source.dtype)


def _check_source(source: Any) -> Tuple[Tuple[int, ...], np.dtype]:
    if not all(hasattr(source, a) for a in ("shape", "dtype", "__getitem__")):
        hint = " (numpy.asarray(...) makes one)" if isinstance(source, (list, tuple)) else ""
        raise InvalidSettingsError(
            f"source {_describe(source)} is not an array: it needs shape, dtype and slicing "
            f"(numpy, dask, zarr, TensorStore, ...){hint}"
        )
    try:
        shape = tuple(int(n) for n in source.shape)
    except (TypeError, ValueError):
        raise InvalidSettingsError(f"source shape {source.shape!r} is not a tuple of sizes") from None
    if not 2 <= len(shape) <= 5:
        raise InvalidSettingsError(
            f"source shape {shape} has {len(shape)} dimensions; an OME-Zarr image has 2 to 5 "
            f"((t)(c)(z)yx)"
        )
    for i, n in enumerate(shape):
        if n < 1:
            raise InvalidSettingsError(f"source shape {shape}: axis {i} is empty")
        if n > 2**32 - 1:
            raise InvalidSettingsError(f"source shape {shape}: axis {i} is larger than 2^32 - 1")
    return shape, _source_dtype(source)


def _source_names(source: Any, ndim: int) -> Optional[List[str]]:
    """Axis names the array object carries (xarray dims, Zarr v3
    dimension_names, TensorStore labels), if all are set."""
    for candidate in (
        getattr(source, "dims", None),
        getattr(getattr(source, "metadata", None), "dimension_names", None),
        getattr(getattr(source, "domain", None), "labels", None),
    ):
        if candidate is None:
            continue
        try:
            names = list(candidate)
        except TypeError:
            continue
        if (len(names) == ndim and all(isinstance(n, str) and n for n in names)
                and len(set(names)) == ndim):
            return names
    return None


def _per_axis(name: str, value: Any, names: Sequence[str], kinds: Sequence[DimensionType],
              default: Any, scalar_types: tuple) -> List[Any]:
    """A per-axis list from None, a scalar (for the SPACE axes), a sequence or
    a mapping by axis name."""
    n = len(names)
    if value is None:
        return [default] * n
    if isinstance(value, scalar_types) and not isinstance(value, bool):
        return [value if k == DimensionType.SPACE else default for k in kinds]
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise InvalidSettingsError(
                f"{name} names axis {unknown[0]!r}, which is not one of {list(names)}"
            )
        return [value.get(a, default) for a in names]
    try:
        items = list(value)
    except TypeError:
        raise InvalidSettingsError(f"{name}={value!r} is not a sequence, a mapping or a scalar") from None
    if len(items) != n:
        raise InvalidSettingsError(
            f"{name}={items!r} has {len(items)} entries, but the array has {n} axes"
        )
    return items


def _axes(ndim: int, names: Optional[Sequence[str]], kinds: Optional[Sequence[Any]]
          ) -> Tuple[List[str], List[DimensionType]]:
    if names is not None:
        names = [n for n in names]
        if len(names) != ndim:
            raise InvalidSettingsError(
                f"dimension_names {names!r} has {len(names)} entries, but the array has {ndim} axes"
            )
        for n in names:
            if not isinstance(n, str) or not n:
                raise InvalidSettingsError(f"dimension_names {names!r}: {n!r} is not a non-empty str")
        if len(set(names)) != ndim:
            dup = next(n for n in names if names.count(n) > 1)
            raise InvalidSettingsError(f"dimension_names {names!r} names {dup!r} twice")
    if kinds is not None:
        kinds = list(kinds)
        if len(kinds) != ndim:
            raise InvalidSettingsError(
                f"dimension_kinds {kinds!r} has {len(kinds)} entries, but the array has {ndim} axes"
            )
        kinds = [dimension_kind(k, f"dimension_kinds[{i}]") for i, k in enumerate(kinds)]
    if names is None and kinds is None:
        names = ["t", "c", "z", "y", "x"][5 - ndim:]
        kinds = [_NAME_KINDS[n] for n in names]
    elif kinds is None:
        kinds = [
            _NAME_KINDS.get(n.lower(), DimensionType.SPACE if i >= ndim - 2 else DimensionType.OTHER)
            for i, n in enumerate(names)  # type: ignore[union-attr]
        ]
    elif names is None:
        spatial = iter(["x", "y", "z", "w"])
        names = [""] * ndim
        for i in reversed(range(ndim)):
            k = kinds[i]
            names[i] = (next(spatial) if k == DimensionType.SPACE else
                        {DimensionType.TIME: "t", DimensionType.CHANNEL: "c"}.get(k, "o"))
        for i, n in enumerate(names):  # make repeated guesses unique: c, c1, ...
            if names[:i].count(n):
                names[i] = f"{n}{names[:i].count(n)}"
    assert names is not None and kinds is not None
    counts = {r: sum(1 for k in kinds if _RANK[k] == r) for r in (0, 1, 2)}
    described = ", ".join(f"{n} ({k.name.lower()})" for n, k in zip(names, kinds))
    if not 2 <= counts[2] <= 3:
        raise InvalidSettingsError(
            f"axes {described}: an OME-Zarr image has 2 or 3 space axes, not {counts[2]}"
        )
    if counts[0] > 1 or counts[1] > 1:
        raise InvalidSettingsError(
            f"axes {described}: an OME-Zarr image has at most one time axis and one channel "
            f"(or other) axis"
        )
    return list(names), list(kinds)


def _compression(value: Any) -> Optional[CompressionSettings]:
    if value is None:
        return None
    if isinstance(value, CompressionSettings):
        return value
    if isinstance(value, str) and value.lower() in _CODECS:
        spec = _CODECS[value.lower()]
        if spec is None:
            return None
        compressor, codec, shuffle = spec
        return CompressionSettings(compressor=compressor, codec=codec, level=1, shuffle=shuffle)
    raise InvalidSettingsError(
        f"compression={value!r} is not a CompressionSettings, None or one of "
        f"{', '.join(repr(k) for k in _CODECS)}"
    )


def _method(value: Any) -> Optional[DownsamplingMethod]:
    if value is None or isinstance(value, DownsamplingMethod):
        return value
    if isinstance(value, str):
        key = value.strip().upper()
        if key == "NONE":
            return None
        if key in DownsamplingMethod.__members__:
            return DownsamplingMethod.__members__[key]
    raise InvalidSettingsError(
        f"downsampling_method={value!r} is not None or one of 'mean', 'min', 'max', 'decimate'"
    )


def _version(value: Any) -> ZarrVersion:
    if isinstance(value, ZarrVersion):
        return value
    key = str(value).strip().lower().lstrip("v")
    if key in ("2", "3"):
        return ZarrVersion.V2 if key == "2" else ZarrVersion.V3
    raise InvalidSettingsError(f"version={value!r} is not ZarrVersion.V2/V3 (or 2, 3)")


def _source_root(source: Any) -> Optional[Path]:
    """The file or directory a source array reads from, when known."""
    filename = getattr(source, "filename", None)  # numpy.memmap
    if isinstance(filename, (str, os.PathLike)):
        return Path(filename)
    root = getattr(getattr(source, "store", None), "root", None)  # zarr LocalStore
    if isinstance(root, (str, os.PathLike)):
        return Path(root)
    return None


def _overlaps(a: Path, b: Path) -> bool:
    a, b = a.resolve(), b.resolve()
    return a == b or a in b.parents or b in a.parents


# ---------------------------------------------------------------------------
# Slabs
# ---------------------------------------------------------------------------


def _source_chunks(source: Any, ndim: int) -> Optional[Tuple[int, ...]]:
    """The source's read unit along each axis, when it has one."""
    candidates = [getattr(source, "chunksize", None)]  # dask
    if not isinstance(source, np.ndarray):
        candidates.append(getattr(source, "chunks", None))  # zarr
    layout = getattr(source, "chunk_layout", None)  # TensorStore
    if layout is not None:
        with contextlib.suppress(Exception):
            candidates.append(tuple(layout.read_chunk.shape))
    for c in candidates:
        if c is None:
            continue
        try:
            items = tuple(int(n) for n in c)
        except (TypeError, ValueError):
            continue
        if len(items) == ndim and all(n > 0 for n in items):
            return items
    return None


@dataclass(frozen=True)
class _SlabPlan:
    depth: int  # the axis the slabs cut (stored order); full extent after it
    rows: int  # indices of that axis per slab
    count: int  # how many slabs

    @staticmethod
    def make(shape: Sequence[int], itemsize: int, chunks: Sequence[int],
             source_chunks: Optional[Sequence[int]], cap: int) -> "_SlabPlan":
        ndim = len(shape)
        depth = 0
        while depth < ndim - 2:
            row = math.prod(shape[depth + 1:]) * itemsize
            if row <= cap:
                break
            # Slabs of one index along `depth` would read each source chunk
            # that spans several indices once per index: keep them whole.
            if source_chunks and source_chunks[depth] > 1 and \
                    source_chunks[depth] * row <= _MAX_SLAB_BYTES:
                break
            depth += 1
        row = math.prod(shape[depth + 1:]) * itemsize
        unit = chunks[depth]
        src = source_chunks[depth] if source_chunks else 0
        if src:
            unit = src if src >= unit else -(-unit // src) * src
        fit = max(1, cap // row)
        if src and src > fit and src * row <= _MAX_SLAB_BYTES:
            fit = src  # a partial read would decode the same source chunks again
        rows = min(unit, fit, shape[depth])
        if src and rows > src:
            rows -= rows % src
        outer = math.prod(shape[:depth])
        return _SlabPlan(depth, rows, outer * -(-shape[depth] // rows))

    def slabs(self, shape: Sequence[int]) -> Iterator[Tuple[slice, ...]]:
        d = self.depth
        tail = tuple(slice(0, n) for n in shape[d + 1:])
        for outer in np.ndindex(*shape[:d]):
            head = tuple(slice(i, i + 1) for i in outer)
            for r in range(0, shape[d], self.rows):
                yield head + (slice(r, min(r + self.rows, shape[d])),) + tail


class _MappedPrefix:
    """Lets go of the pages of a memory-mapped source (a ``.npy`` path, or a
    read-only ``numpy.memmap``) once they have been appended: they stay in the
    page cache, but the process no longer holds them, so its RSS stays at
    the engine's memory and a slab instead of growing to the whole file.
    Only for sources read front to back (C order, axes not reordered)."""

    def __init__(self, source: Any, perm: Optional[Sequence[int]]):
        self.mm = None
        base = getattr(source, "base", None)
        if (perm is None and isinstance(source, np.memmap) and isinstance(base, mmap.mmap)
                and getattr(source, "mode", None) == "r" and source.flags.c_contiguous
                and hasattr(mmap, "MADV_DONTNEED")):
            self.mm = base
            # numpy maps from the allocation granule below the array's offset
            self.start = int(source.offset) % mmap.ALLOCATIONGRANULARITY
            self.released = 0

    def release(self, consumed: int) -> None:
        """The first `consumed` bytes of the array have been appended."""
        if self.mm is None:
            return
        end = (self.start + consumed) // mmap.PAGESIZE * mmap.PAGESIZE
        if end > self.released:
            with contextlib.suppress(OSError, ValueError):
                self.mm.madvise(mmap.MADV_DONTNEED, self.released, end - self.released)
            self.released = end


def _read(source: Any, index: Tuple[slice, ...], perm: Sequence[int], dtype: np.dtype,
          in_memory: bool) -> np.ndarray:
    """One slab in stored axis order (a view when the source is numpy)."""
    if perm is not None:
        source_index = [slice(None)] * len(index)
        for j, s in enumerate(index):
            source_index[perm[j]] = s
        piece = source[tuple(source_index)]
    else:
        piece = source[index]
    array = np.asarray(piece)
    want = tuple(s.stop - s.start for s in index)
    if perm is not None:
        array = np.transpose(array, perm)
    if array.shape != want:
        raise InvalidSettingsError(
            f"source[{index}] returned shape {array.shape}, expected {want}: the source does "
            f"not slice like an array"
        )
    if array.dtype != dtype:
        array = array.astype(dtype)
    return array


# ---------------------------------------------------------------------------
# Metadata touch-ups
# ---------------------------------------------------------------------------


def _write_json_atomically(path: Path, document: dict) -> None:
    tmp = path.with_name(path.name + ".aqz-tmp")
    with open(tmp, "w") as f:
        json.dump(document, f, indent=4)
    os.replace(tmp, path)


def _multiscale(store: Path, version: ZarrVersion) -> Tuple[Path, dict, dict]:
    """(metadata file, its document, multiscales[0]) of the image at store."""
    if version == ZarrVersion.V3:
        path = store / "zarr.json"
        doc = json.loads(path.read_text())
        return path, doc, doc["attributes"]["ome"]["multiscales"][0]
    path = store / ".zattrs"
    doc = json.loads(path.read_text())
    return path, doc, doc["multiscales"][0]


def _level_count(store: Path, version: ZarrVersion) -> int:
    with contextlib.suppress(Exception):
        return len(_multiscale(store, version)[2]["datasets"])
    return 0


def _set_name(store: Path, version: ZarrVersion, name: str) -> None:
    path, doc, ms = _multiscale(store, version)
    ms["name"] = name
    _write_json_atomically(path, doc)


def _claim_prefix(store: Path, version: ZarrVersion, rows: int, total: int) -> None:
    """After a stop: let every level claim only rows that a complete
    conversion would hold too (level 0: the ``rows`` appended whole; a level
    that halved the first axis h times: rows // 2**h)."""
    if rows >= total:
        return
    _, _, ms = _multiscale(store, version)
    datasets = ms["datasets"]

    def first_scale(d: dict) -> float:
        for t in d.get("coordinateTransformations", []):
            if t.get("type") == "scale":
                return float(t["scale"][0])
        return 1.0

    base = first_scale(datasets[0])
    for d in datasets:
        halvings = max(0, round(math.log2(first_scale(d) / base)))
        want = rows >> halvings
        meta = store / d["path"] / ("zarr.json" if version == ZarrVersion.V3 else ".zarray")
        doc = json.loads(meta.read_text())
        if doc["shape"][0] > want:
            doc["shape"][0] = want
            _write_json_atomically(meta, doc)


def _planned_levels(shape: Sequence[int], chunks: Sequence[int], kinds: Sequence[DimensionType],
                    method: Optional[DownsamplingMethod], max_levels: int) -> int:
    """How many levels the engine's pyramid has (the README's rule): a level
    halves Y and X while both exceed the larger of their chunks, and Z (the
    third-last axis, SPACE, more than one chunk) while it exceeds its chunk."""
    if method is None:
        return 1
    y, x = len(shape) - 2, len(shape) - 1
    z = len(shape) - 3 if len(shape) >= 3 and kinds[-3] == DimensionType.SPACE \
        and shape[-3] > chunks[-3] else None
    size = list(shape)
    levels = 1
    while not max_levels or levels - 1 < max_levels:
        halve_yx = min(size[y], size[x]) > max(chunks[y], chunks[x])
        halve_z = z is not None and size[z] > chunks[z]
        if not (halve_yx or halve_z):
            break
        for axis, halve in ((y, halve_yx), (x, halve_yx), (z, halve_z)):
            if halve and axis is not None:
                size[axis] = -(-size[axis] // 2)
        levels += 1
    return levels


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Ctrl-C waits while the store is being closed (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: None)
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def tqdm_progress(description: str = "converting", **kwargs: Any) -> Tuple[ProgressCallback, Callable[[], None]]:
    """A ``progress`` callback drawing a ``tqdm`` bar (bytes, MB/s, ETA and
    slabs), and the function that closes the bar. Needs ``tqdm``."""
    try:
        from tqdm import tqdm
    except ImportError:
        raise ImportError("a progress bar needs tqdm: pip install tqdm") from None
    state: Dict[str, Any] = {}

    def update(slabs: int, slabs_total: int, done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1000,
                                      desc=description, dynamic_ncols=True, **kwargs)
        bar.set_postfix_str(f"slab {slabs}/{slabs_total}", refresh=False)
        bar.update(done - bar.n)

    def close() -> None:
        bar = state.pop("bar", None)
        if bar is not None:
            bar.close()

    return update, close


# ---------------------------------------------------------------------------
# The conversion
# ---------------------------------------------------------------------------


def to_ome_zarr(
    source: Any,
    store_path: Union[str, os.PathLike],
    *,
    dimension_names: Optional[Sequence[str]] = None,
    dimension_kinds: Optional[Sequence[Union[DimensionType, str]]] = None,
    scale: Union[None, float, Sequence[float], Mapping[str, float]] = None,
    units: Union[None, str, Sequence[Optional[str]], Mapping[str, Optional[str]]] = None,
    chunks: Union[str, int, Sequence[int], None] = "auto",
    shards: Union[str, int, Sequence[int], None] = "auto",
    compression: Union[str, CompressionSettings, None] = DEFAULT_COMPRESSION,
    downsampling_method: Union[DownsamplingMethod, str, None] = None,
    max_levels: int = 0,
    version: Union[ZarrVersion, int, str] = ZarrVersion.V3,
    name: Optional[str] = None,
    attributes: Optional[Mapping[str, Any]] = None,
    overwrite: bool = False,
    max_threads: int = 0,
    progress: Union[None, bool, ProgressCallback] = None,
    max_slab_bytes: int = DEFAULT_SLAB_BYTES,
    dry_run: bool = False,
) -> ConversionResult:
    """Write an array to ``store_path`` as an OME-Zarr image.

    The source is read one slab at a time and appended to a
    :class:`~acquire_zarr.ZarrStream`. A slab is one chunk layer along the
    first stored axis, or fewer rows when that is more than
    ``max_slab_bytes`` (down to rows of one image when even one index of the
    first axis is too large), rounded to whole source chunks when the source
    is chunked (zarr, dask, TensorStore: reading part of a chunk would decode
    it again; at most 1 GiB). A source that is not a numpy array is read one
    slab ahead on a thread, in slabs of half the bound. Memory stays within
    the engine's bound (``StreamSettings.get_maximum_memory_usage()``) plus
    ``max_slab_bytes`` (or two slabs of whole source chunks, when those are
    larger); numpy sources are appended as views, never copied. An image
    larger than ``ZARR_BANDED_FRAME_BYTES`` (64 MiB) whose layout makes each
    image its own chunk layer (2-D, or chunk 1 on every axis before Y) is
    written by the engine in bands of one chunk of rows, so that bound does
    not grow with the image.

    Args:
        source: numpy (also memory-mapped), dask, zarr-python or TensorStore
            array, or anything with ``shape``, ``dtype`` and slicing that
            returns arrays; 2 to 5 dimensions of uint8 ... int64, float32 or
            float64 (any byte order). Or a path: ``.npy``, TIFF/OME-TIFF,
            Zarr array or OME-Zarr image, opened with :func:`open_source`
            (whose axes, scale and units are used unless given here).
        store_path: The local directory to create (the image group).
        dimension_names: One name per source axis. Default: the names the
            source carries (xarray ``dims``, Zarr ``dimension_names``,
            TensorStore labels), else ``(t)(c)(z)yx`` by the number of axes.
        dimension_kinds: One :class:`~acquire_zarr.DimensionType` (or
            ``"space"``, ``"time"``, ``"channel"``, ``"other"``) per source
            axis. Default: from the names (``t`` time, ``c`` channel, ``z``,
            ``y``, ``x`` space; others: space in the last two places, else
            other). An image has 2 or 3 space axes, at most one time and one
            channel-or-other axis. Axes are stored in OME-NGFF order (time,
            channel, space), reordering the source's when needed.
        scale: Physical pixel size per axis: a sequence (source order), a
            mapping by axis name, or one number for every SPACE axis.
            Default 1.0.
        units: UDUNITS unit per axis (e.g. ``"micrometer"``, ``"second"``):
            a sequence, a mapping, or one str for every SPACE axis.
        chunks: ``"auto"``, a target element count, or a tuple (source order;
            0 = span the axis): see :func:`~acquire_zarr.layout.auto_layout`.
        shards: ``"auto"``, a target element count, a tuple, or None (no
            sharding). Zarr v2 has no shards: there ``"auto"`` means None.
        compression: A :class:`~acquire_zarr.CompressionSettings`, None (not
            compressed), or ``"blosc-zstd"`` (default: level 1, byte
            shuffle), ``"blosc-lz4"`` (``"lz4"``), ``"zstd"`` (level 1),
            ``"none"``.
        downsampling_method: None (level 0 only), or ``"mean"``, ``"min"``,
            ``"max"``, ``"decimate"`` (a :class:`~acquire_zarr.DownsamplingMethod`)
            for a pyramid written while streaming (see the README's pyramid
            rules: levels until every axis fits one chunk).
        max_levels: Cap on the downsampled levels (0 = no cap).
        version: ``ZarrVersion.V3`` (OME-NGFF 0.5, default) or ``V2`` (0.4).
        name: The multiscales ``name``, or None for none.
        attributes: Extra attributes (JSON-compatible) for the image group;
            ``ome`` (and ``multiscales`` in v2) are the engine's.
        overwrite: Replace what is at ``store_path``; without it an existing
            path is refused.
        max_threads: The engine's worker threads (0 = all).
        progress: None, True (a ``tqdm`` bar on stderr), or a callable
            ``progress(slabs_done, slabs_total, bytes_done, bytes_total)``
            called after each slab.
        max_slab_bytes: Bound on the slabs held at once (default 64 MiB).
        dry_run: Check everything and plan (layout, levels, slabs, the
            engine's memory bound), but write nothing and read no data.

    Returns:
        A :class:`ConversionResult`.

    Raises:
        InvalidSettingsError: a bad argument, an unsupported dtype or number
            of dimensions, a source that is not an array, an existing
            ``store_path`` without ``overwrite``: before anything is written.
        AcquireZarrError: the engine failed while writing.

    If reading the source or writing fails, or on ``KeyboardInterrupt``, the
    stream is closed first, so that the store is readable and truthful: each
    level claims only rows (along the first stored axis) that hold their
    final values, then the exception propagates.
    """
    started = time.perf_counter()
    if isinstance(source, (str, os.PathLike)):
        if _overlaps(Path(source), Path(os.fspath(store_path))):
            raise InvalidSettingsError(
                f"store_path '{os.fspath(store_path)}' overlaps the source '{os.fspath(source)}': "
                f"write somewhere else"
            )
        info = open_source(source)
        try:
            return to_ome_zarr(
                info.array, store_path,
                dimension_names=dimension_names if dimension_names is not None else info.dimension_names,
                dimension_kinds=dimension_kinds if dimension_kinds is not None else (
                    info.dimension_kinds if dimension_names is None else None),
                scale=scale if scale is not None else info.scale,
                units=units if units is not None else info.units,
                chunks=chunks, shards=shards, compression=compression,
                downsampling_method=downsampling_method, max_levels=max_levels, version=version,
                name=name, attributes=attributes, overwrite=overwrite, max_threads=max_threads,
                progress=progress, max_slab_bytes=max_slab_bytes, dry_run=dry_run,
            )
        finally:
            info.close()

    # ---- check everything before anything is written ----------------------
    shape, dtype = _check_source(source)
    ndim = len(shape)
    if dimension_names is None and dimension_kinds is None:
        dimension_names = _source_names(source, ndim)
    names, kinds = _axes(ndim, dimension_names, dimension_kinds)
    scales = _per_axis("scale", scale, names, kinds, 1.0, (numbers.Real,))
    for i, s in enumerate(scales):
        if (not isinstance(s, numbers.Real) or isinstance(s, bool) or not math.isfinite(s)
                or s <= 0):
            raise InvalidSettingsError(f"scale of axis {names[i]!r} is {s!r}, not a positive number")
    unit_list = _per_axis("units", units, names, kinds, None, (str,))
    for i, u in enumerate(unit_list):
        if u is not None and (not isinstance(u, str) or not u):
            raise InvalidSettingsError(f"unit of axis {names[i]!r} is {u!r}, not a non-empty str or None")
    zarr_version = _version(version)
    if zarr_version == ZarrVersion.V2 and shards is not None and shards != "auto":
        raise InvalidSettingsError(
            f"shards={shards!r}: Zarr v2 has no shards (pass shards=None, or version=3)"
        )
    layout = auto_layout(shape, kinds, dtype, chunks,
                         None if zarr_version == ZarrVersion.V2 else shards)
    compression_settings = _compression(compression)
    method = _method(downsampling_method)
    if not isinstance(max_levels, numbers.Integral) or isinstance(max_levels, bool) or max_levels < 0:
        raise InvalidSettingsError(f"max_levels={max_levels!r} is not a non-negative integer")
    if name is not None and (not isinstance(name, str) or not name):
        raise InvalidSettingsError(f"name={name!r} is not a non-empty str")
    custom = None
    if attributes is not None:
        if not isinstance(attributes, Mapping):
            raise InvalidSettingsError(f"attributes={attributes!r} is not a mapping")
        reserved = {"ome"} | ({"multiscales"} if zarr_version == ZarrVersion.V2 else set())
        taken = sorted(reserved & set(attributes))
        if taken:
            raise InvalidSettingsError(
                f"attributes may not set {taken[0]!r}: the engine writes it (OME-NGFF metadata)"
            )
        try:
            custom = json.dumps(dict(attributes), allow_nan=False)
        except (TypeError, ValueError) as e:
            raise InvalidSettingsError(f"attributes are not JSON-compatible: {e}") from None
    if not isinstance(max_slab_bytes, numbers.Integral) or max_slab_bytes < 1:
        raise InvalidSettingsError(f"max_slab_bytes={max_slab_bytes!r} is not a positive integer")
    store = Path(os.fspath(store_path))
    if not str(store):
        raise InvalidSettingsError("store_path is empty")
    root = _source_root(source)
    if root is not None and _overlaps(root, store):
        raise InvalidSettingsError(
            f"store_path '{store}' overlaps the source '{root}': write somewhere else"
        )
    if os.path.lexists(store) and not overwrite:
        raise InvalidSettingsError(
            f"store_path '{store}' exists; pass overwrite=True to replace it"
        )
    if progress is not None and not isinstance(progress, bool) and not callable(progress):
        raise InvalidSettingsError(f"progress={progress!r} is not None, a bool or a callable")

    # Stored axis order: OME-NGFF's (time, channel/other, space), stable.
    order = sorted(range(ndim), key=lambda i: _RANK[kinds[i]])
    perm: Optional[List[int]] = order if order != list(range(ndim)) else None

    def stored(values: Sequence[Any]) -> List[Any]:
        return [values[i] for i in order]

    s_shape = stored(shape)
    s_chunks = stored(layout.chunks)
    # A shard never holds more chunks than the array has along an axis (the
    # engine cuts it so too): the result reports what is written.
    s_shard_chunks = [min(h, -(-n // c)) for h, n, c in
                      zip(stored(layout.shard_size_chunks), s_shape, s_chunks)]
    s_layout = Layout(tuple(s_chunks),
                      None if layout.shards is None else
                      tuple(h * c for h, c in zip(s_shard_chunks, s_chunks)),
                      dtype.itemsize)
    dims = [
        Dimension(name=n, kind=k, array_size_px=s, chunk_size_px=c, shard_size_chunks=h,
                  unit=u, scale=float(sc))
        for n, k, s, c, h, u, sc in zip(stored(names), stored(kinds), s_shape, s_chunks,
                                        s_shard_chunks, stored(unit_list), stored(scales))
    ]
    settings = StreamSettings(
        store_path=str(store),
        version=zarr_version,
        overwrite=bool(overwrite),
        max_threads=max_threads,
        arrays=[ArraySettings(
            output_key="", data_type=dtype, dimensions=dims, compression=compression_settings,
            downsampling_method=method, max_levels=int(max_levels), is_ngff=True,
        )],
        custom_metadata=custom,
    )
    engine_memory = settings.get_maximum_memory_usage()

    in_memory = isinstance(source, np.ndarray)
    src_chunks = _source_chunks(source, ndim)
    prefetch = not in_memory
    cap = int(max_slab_bytes) // (2 if prefetch else 1)
    plan = _SlabPlan.make(s_shape, dtype.itemsize, s_chunks,
                          stored(src_chunks) if src_chunks else None, max(cap, 1))
    total_bytes = math.prod(shape) * dtype.itemsize
    row_bytes = math.prod(s_shape[1:]) * dtype.itemsize

    if dry_run:
        return ConversionResult(
            store_path=str(store), shape=tuple(s_shape), dtype=dtype,
            dimension_names=tuple(stored(names)), layout=s_layout,
            levels=_planned_levels(s_shape, s_chunks, stored(kinds), method, int(max_levels)),
            bytes=0, seconds=time.perf_counter() - started, engine_memory_bytes=engine_memory,
            slabs=plan.count, written=False,
        )

    close_bar = None
    if progress is True:
        progress, close_bar = tqdm_progress()
    elif progress is False:
        progress = None

    # ---- write ---------------------------------------------------------------
    stream = ZarrStream(settings)
    appended = 0
    executor = ThreadPoolExecutor(1, thread_name_prefix="aqz-read") if prefetch else None
    try:
        slabs = plan.slabs(s_shape)

        def read(index: Tuple[slice, ...]) -> np.ndarray:
            return _read(source, index, perm, dtype, in_memory)

        mapped = _MappedPrefix(source, perm)
        pending = None
        nxt = next(slabs, None)
        if executor is not None and nxt is not None:
            pending = executor.submit(read, nxt)
        done = 0
        while nxt is not None:
            if executor is not None:
                piece = pending.result()  # type: ignore[union-attr]
                nxt = next(slabs, None)
                pending = executor.submit(read, nxt) if nxt is not None else None
            else:
                piece = read(nxt)
                nxt = next(slabs, None)
            stream.append(piece)
            appended += piece.nbytes
            done += 1
            del piece
            mapped.release(appended)
            if progress is not None:
                progress(done, plan.count, appended, total_bytes)  # type: ignore[operator]
        stream.close()  # raises if a write failed
    except BaseException:
        with _sigint_deferred():
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
                executor = None
            with contextlib.suppress(Exception):
                stream.close()
            with contextlib.suppress(Exception):
                _claim_prefix(store, zarr_version, appended // row_bytes, s_shape[0])
            if name is not None:
                with contextlib.suppress(Exception):
                    _set_name(store, zarr_version, name)
            if close_bar is not None:
                close_bar()
        raise
    finally:
        if executor is not None:
            executor.shutdown(wait=True)
    if close_bar is not None:
        close_bar()
    if name is not None:
        _set_name(store, zarr_version, name)
    return ConversionResult(
        store_path=str(store),
        shape=tuple(s_shape),
        dtype=dtype,
        dimension_names=tuple(stored(names)),
        layout=s_layout,
        levels=_level_count(store, zarr_version),
        bytes=appended,
        seconds=time.perf_counter() - started,
        engine_memory_bytes=engine_memory,
        slabs=plan.count,
    )

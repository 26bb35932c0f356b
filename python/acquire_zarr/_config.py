"""StreamSettings <-> settings documents (YAML or JSON) and their dicts.

Documents are read and written by the C library's loader and dumper
(``ZarrStreamSettings_load_from_string`` / ``ZarrStreamSettings_dump_to_string``,
bound in the extension), so Python reads and writes exactly the documents
C does, which are those of the published library: schema version 2 (version-1
documents are migrated), keys named like the C fields, enums as lower-case
strings. A dict is a document too: ``from_dict`` goes through JSON, and
``to_dict`` is the parsed JSON dump.

What a document does not hold: ``custom_metadata`` (the C settings have no
such field; write it again after loading, or use
``ZarrStream.write_custom_metadata``). The single-array shorthand is written
as the first entry of ``arrays``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, List, Optional

import numpy as np

from . import _acquire_zarr as _ext
from ._acquire_zarr import (
    CompressionCodec,
    Compressor,
    DataType,
    DimensionType,
    DownsamplingMethod,
    ZarrVersion,
)
from ._errors import InvalidSettingsError
from ._settings import (
    Acquisition,
    ArraySettings,
    CompressionSettings,
    Dimension,
    FieldOfView,
    Plate,
    S3Settings,
    StreamSettings,
    Well,
)

SCHEMA_VERSION = 2

# ---------------------------------------------------------------------------
# Writing: settings -> plain data -> C structs -> the C dumper
# ---------------------------------------------------------------------------


def _lowered_for_document(s: StreamSettings) -> Dict[str, Any]:
    lowered = s._lower()
    # The requested is_ngff, not the one a downsampling method forces, so
    # that loading the document gives equal settings (the engine applies the
    # method's rule either way).
    arrays = s._all_arrays()
    for low, a in zip(lowered["arrays"], arrays):
        low["is_ngff"] = a._is_ngff
    for low_plate, plate in zip(lowered["plates"], s.plates):
        for low_well, well in zip(low_plate["wells"], plate.wells):
            for low_image, image in zip(low_well["images"], well.images):
                low_image["array_settings"]["is_ngff"] = image.array_settings._is_ngff
    lowered["custom_metadata"] = None  # not part of a document
    return lowered


def _dump(s: StreamSettings, as_json: bool) -> bytes:
    return _ext._dump_settings_document(_lowered_for_document(s), as_json)


def stream_to_json(s: StreamSettings) -> str:
    return _dump(s, True).decode("utf-8", "replace")


def stream_to_yaml(s: StreamSettings) -> str:
    return _dump(s, False).decode("utf-8", "replace")


def stream_to_dict(s: StreamSettings) -> Dict[str, Any]:
    return json.loads(stream_to_json(s))


def _is_json_path(path: "str | os.PathLike[str]") -> bool:
    return os.fsdecode(path).lower().endswith(".json")


def stream_to_file(s: StreamSettings, path: "str | os.PathLike[str]") -> None:
    # As ZarrStreamSettings_dump_to_file writes it.
    text = _dump(s, True) + b"\n" if _is_json_path(path) else _dump(s, False)
    with open(path, "wb") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# Reading: the C loader -> plain data -> settings
# ---------------------------------------------------------------------------


class _ConfigError(Exception):
    """Internal: a value the settings classes refused, at a document path."""


def _set(obj: Any, attr: str, value: Any, path: str) -> None:
    """Assign through the typed field, reporting errors with the path."""
    try:
        setattr(obj, attr, value)
    except (TypeError, ValueError) as e:
        raise _ConfigError(f"{path}: {e}") from None


def _fill(obj: Any, values: Dict[str, Any], path: str) -> Any:
    for key, value in values.items():
        _set(obj, key, value, f"{path}.{key}" if path else key)
    return obj


def _dimension_from(d: Dict[str, Any], path: str) -> Dimension:
    return _fill(
        Dimension(),
        {
            "name": d["name"],
            "kind": DimensionType(d["type"]),
            "array_size_px": d["array_size_px"],
            "chunk_size_px": d["chunk_size_px"],
            "shard_size_chunks": d["shard_size_chunks"],
            "unit": d["unit"],
            "scale": d["scale"],
        },
        path,
    )


def _array_from(d: Dict[str, Any], path: str) -> ArraySettings:
    a = ArraySettings()
    dimensions = [
        _dimension_from(x, f"{path}.dimensions[{i}]") for i, x in enumerate(d["dimensions"])
    ]
    compression = None
    c = d["compression"]
    if c is not None:
        compression = _fill(
            CompressionSettings(),
            {
                "compressor": Compressor(c["compressor"]),
                "codec": CompressionCodec(c["codec"]),
                "level": c["level"],
                "shuffle": c["shuffle"],
            },
            f"{path}.compression",
        )
    method = d["downsampling_method"]
    order = d["storage_dimension_order"]
    values: Dict[str, Any] = {
        "output_key": d["output_key"] or "",
        "data_type": DataType(d["data_type"]),
        "dimensions": dimensions,
        "compression": compression,
        "downsampling_method": None if method == 0 else DownsamplingMethod(method),
        "max_levels": d["max_levels"],
        "is_ngff": d["is_ngff"],
    }
    if order is not None:
        # The loader has checked the indices; the Python field takes names.
        values["storage_dimension_order"] = [dimensions[i].name for i in order]
    return _fill(a, values, path)


def _plate_from(d: Dict[str, Any], path: str) -> Plate:
    wells = []
    for i, w in enumerate(d["wells"]):
        wpath = f"{path}.wells[{i}]"
        images = []
        for k, f in enumerate(w["images"]):
            fpath = f"{wpath}.images[{k}]"
            fov = _fill(FieldOfView(), {"path": f["path"], "acquisition_id": f["acquisition_id"]}, fpath)
            if f["array_settings"] is not None:
                _set(fov, "array_settings", _array_from(f["array_settings"], f"{fpath}.array"), fpath)
            images.append(fov)
        wells.append(
            _fill(
                Well(),
                {"row_name": w["row_name"], "column_name": w["column_name"], "images": images},
                wpath,
            )
        )
    acquisitions = [
        _fill(Acquisition(), dict(a), f"{path}.acquisitions[{i}]")
        for i, a in enumerate(d["acquisitions"])
    ]
    values = {
        "path": d["path"],
        "row_names": d["row_names"],
        "column_names": d["column_names"],
        "wells": wells,
        "acquisitions": acquisitions,
    }
    if d["name"] is not None:
        values["name"] = d["name"]
    return _fill(Plate(), values, path)


def _stream_from_plain(d: Dict[str, Any]) -> StreamSettings:
    s = StreamSettings()
    s3 = None
    if d["s3"] is not None:
        s3 = _fill(S3Settings(), d["s3"], "s3")
    return _fill(
        s,
        {
            "store_path": d["store_path"],
            "s3": s3,
            "version": ZarrVersion(d["version"]),
            "max_threads": d["max_threads"],
            "overwrite": d["overwrite"],
            "arrays": [_array_from(a, f"arrays[{i}]") for i, a in enumerate(d["arrays"])],
            "plates": [_plate_from(p, f"plates[{i}]") for i, p in enumerate(d["plates"])],
        },
        "",
    )


def _load(document: bytes, source: str = "") -> StreamSettings:
    if b"\0" in document:
        raise InvalidSettingsError(f"{source}the document contains a NUL character", "InvalidSettings")
    plain = _ext._load_settings_document(document, source)
    try:
        return _stream_from_plain(plain)
    except _ConfigError as e:
        raise InvalidSettingsError(f"{source}{e}", "InvalidSettings") from None


_WHERE = re.compile(r" \(line \d+, column \d+\)")


def _json_default(value: Any) -> Any:
    """What a dict given to from_dict may hold besides JSON values."""
    if isinstance(value, ZarrVersion):
        return int(value)
    members = getattr(type(value), "__members__", None)
    if isinstance(members, dict) and hasattr(value, "name"):
        # pybind11 enums: BLOSC_LZ4 -> "blosc-lz4", as documents spell them.
        return value.name.lower().replace("_", "-")
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (np.dtype, type)):
        try:
            return np.dtype(value).name
        except TypeError:
            pass
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} {value!r} has no place in a settings document")


def stream_from_dict(data: Any) -> StreamSettings:
    try:
        text = json.dumps(data, default=_json_default, ensure_ascii=False, indent=1)
    except (TypeError, ValueError) as e:
        raise InvalidSettingsError(f"invalid stream settings: {e}", "InvalidSettings") from None
    try:
        return _load(text.encode("utf-8", "surrogateescape"))
    except InvalidSettingsError as e:
        # The lines of a JSON text made here mean nothing to the caller.
        raise InvalidSettingsError(_WHERE.sub("", str(e)), e.status) from None


def stream_from_string(text: str) -> StreamSettings:
    if not isinstance(text, str):
        raise TypeError(f"from_string() needs a str, not {type(text).__name__}")
    try:
        document = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        raise InvalidSettingsError(f"the document is not valid text: {e}", "InvalidSettings") from None
    return _load(document)


def stream_from_file(path: "str | os.PathLike[str]") -> StreamSettings:
    # Read here, so that a missing file raises FileNotFoundError (an
    # OSError); refusals name the file as ZarrStreamSettings_load_from_file
    # does ("path: field: ...").
    with open(path, "rb") as f:
        document = f.read()
    return _load(document, f"{os.fsdecode(path)}: ")

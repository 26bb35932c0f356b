"""StreamSettings <-> config dict / JSON / YAML.

The schema is the published package's (keys named like the attributes, enum
values as lower-case strings, ``"version"`` = schema version 2), extended
with what this implementation adds: ``zarr_version`` (2 or 3),
``custom_metadata`` and the single-array shorthand keys at the top level.
Reading accepts the published files (e.g. ``storage_dimension_order`` as
indices) and refuses unknown keys, so a misspelt setting is an error rather
than silently ignored. ``from_dict(s.to_dict()) == s`` for any settings.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional

from ._acquire_zarr import (
    CompressionCodec,
    Compressor,
    DimensionType,
    DownsamplingMethod,
    ZarrVersion,
)
from ._errors import InvalidSettingsError
from ._settings import (
    _SHORTHAND_FIELDS,
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
_SUPPORTED_SCHEMA_VERSIONS = (1, 2)

_YAML_MISSING = (
    "YAML support needs PyYAML: install it with `pip install pyyaml` "
    "(or `pip install acquire-zarr[yaml]`), or use JSON instead"
)

# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def _enum_str(value: Any) -> str:
    # The published files spell members in lower case with dashes:
    # BLOSC_LZ4 -> "blosc-lz4".
    return value.name.lower().replace("_", "-")


def _dimension_to_dict(d: Dimension) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "name": d.name,
        "type": _enum_str(d.kind),
        "array_size_px": d.array_size_px,
        "chunk_size_px": d.chunk_size_px,
        "shard_size_chunks": d.shard_size_chunks,
    }
    if d.unit is not None:
        out["unit"] = d.unit
    out["scale"] = d.scale
    return out


def _compression_to_dict(c: CompressionSettings) -> Dict[str, Any]:
    return {
        "compressor": _enum_str(c.compressor),
        "codec": _enum_str(c.codec),
        "level": c.level,
        "shuffle": c.shuffle,
    }


def _array_fields_to_dict(a: ArraySettings, names) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for name in names:
        if name == "output_key":
            out["output_key"] = a.output_key
        elif name == "data_type":
            out["data_type"] = a.data_type.name.lower()
        elif name == "dimensions":
            out["dimensions"] = [_dimension_to_dict(d) for d in a.dimensions]
        elif name == "compression":
            if a.compression is not None:
                out["compression"] = _compression_to_dict(a.compression)
        elif name == "downsampling_method":
            m = a.downsampling_method
            out["downsampling_method"] = "none" if m is None else _enum_str(m)
        elif name == "max_levels":
            out["max_levels"] = a.max_levels
        elif name == "is_ngff":
            # The requested value, not the one coerced by a downsampling
            # method, so that a round trip keeps it.
            out["is_ngff"] = a._is_ngff
        elif name == "storage_dimension_order":
            if a.storage_dimension_order:
                out["storage_dimension_order"] = list(a.storage_dimension_order)
    return out


_ARRAY_KEYS = (
    "output_key",
    "data_type",
    "dimensions",
    "compression",
    "downsampling_method",
    "max_levels",
    "is_ngff",
    "storage_dimension_order",
)


def _array_to_dict(a: ArraySettings) -> Dict[str, Any]:
    return _array_fields_to_dict(a, _ARRAY_KEYS)


def _plate_to_dict(p: Plate) -> Dict[str, Any]:
    wells = []
    for w in p.wells:
        images = []
        for f in w.images:
            image: Dict[str, Any] = {"path": f.path}
            if f.acquisition_id is not None:
                image["acquisition_id"] = f.acquisition_id
            image["array"] = _array_to_dict(f.array_settings)
            images.append(image)
        wells.append(
            {"row_name": w.row_name, "column_name": w.column_name, "images": images}
        )
    acquisitions = []
    for a in p.acquisitions:
        acq: Dict[str, Any] = {"id": a.id}
        for key in ("name", "description", "start_time", "end_time"):
            if getattr(a, key) is not None:
                acq[key] = getattr(a, key)
        acquisitions.append(acq)
    return {
        "path": p.path,
        "name": p.name,
        "row_names": list(p.row_names),
        "column_names": list(p.column_names),
        "wells": wells,
        "acquisitions": acquisitions,
    }


def stream_to_dict(s: StreamSettings) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "version": SCHEMA_VERSION,
        "zarr_version": int(s.version),
        "store_path": s.store_path,
    }
    if s.s3 is not None:
        s3: Dict[str, Any] = {"endpoint": s.s3.endpoint, "bucket_name": s.s3.bucket_name}
        if s.s3.region is not None:
            s3["region"] = s.s3.region
        out["s3"] = s3
    out["max_threads"] = s.max_threads
    out["overwrite"] = s.overwrite
    if s.custom_metadata is not None:
        out["custom_metadata"] = s.custom_metadata
    if s._uses_shorthand():
        out.update(_array_fields_to_dict(s._values["_implicit"], _SHORTHAND_FIELDS))
    if s.arrays:
        out["arrays"] = [_array_to_dict(a) for a in s.arrays]
    if s.plates:
        out["plates"] = [_plate_to_dict(p) for p in s.plates]
    return out


def stream_to_json(s: StreamSettings) -> str:
    return json.dumps(stream_to_dict(s), indent=2)


def _import_yaml():
    try:
        import yaml
    except ImportError as e:
        raise ImportError(_YAML_MISSING) from e
    return yaml


def stream_to_yaml(s: StreamSettings) -> str:
    yaml = _import_yaml()
    return yaml.safe_dump(stream_to_dict(s), sort_keys=False, default_flow_style=False)


def _is_json_path(path: "str | os.PathLike[str]") -> bool:
    return os.fspath(path).lower().endswith(".json")


def stream_to_file(s: StreamSettings, path: "str | os.PathLike[str]") -> None:
    text = stream_to_json(s) + "\n" if _is_json_path(path) else stream_to_yaml(s)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


class _ConfigError(Exception):
    """Internal: a problem at a config path; becomes InvalidSettingsError."""


def _fail(path: str, message: str) -> "None":
    raise _ConfigError(f"{path}: {message}" if path else message)


def _mapping(data: Any, path: str, allowed) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        _fail(path, f"expected a mapping, got {type(data).__name__}")
    unknown = [k for k in data if k not in allowed]
    if unknown:
        _fail(
            path,
            "unknown key(s) "
            + ", ".join(repr(k) for k in unknown)
            + f" (allowed: {', '.join(allowed)})",
        )
    return data


def _list(data: Any, path: str) -> List[Any]:
    if not isinstance(data, (list, tuple)):
        _fail(path, f"expected a list, got {type(data).__name__}")
    return list(data)


def _set(obj: Any, attr: str, value: Any, path: str) -> None:
    """Assign through the typed field, reporting errors with the path."""
    try:
        setattr(obj, attr, value)
    except (TypeError, ValueError) as e:
        _fail(path, str(e))


def _enum_from(enum_type: type, value: Any, path: str) -> Any:
    if isinstance(value, enum_type):
        return value
    members: Dict[str, Any] = getattr(enum_type, "__members__")
    if isinstance(value, str):
        wanted = value.strip().lower().replace("-", "_")
        for name, member in members.items():
            if name.lower() == wanted:
                return member
    elif isinstance(value, int) and not isinstance(value, bool):
        for member in members.values():
            if int(member) == value:
                return member
    choices = ", ".join(repr(_enum_str(m)) for m in members.values())
    _fail(path, f"invalid {enum_type.__name__} {value!r} (expected one of {choices})")


def _dimension_from(data: Any, path: str) -> Dimension:
    keys = (
        "name",
        "type",
        "kind",
        "array_size_px",
        "chunk_size_px",
        "shard_size_chunks",
        "unit",
        "scale",
    )
    data = _mapping(data, path, keys)
    if "type" in data and "kind" in data:
        _fail(path, "give either 'type' or 'kind', not both")
    d = Dimension()
    for key, value in data.items():
        if key in ("type", "kind"):
            d.kind = _enum_from(DimensionType, value, f"{path}.{key}")
        else:
            _set(d, key, value, f"{path}.{key}")
    return d


def _compression_from(data: Any, path: str) -> Optional[CompressionSettings]:
    if data is None:
        return None
    data = _mapping(data, path, ("compressor", "codec", "level", "shuffle"))
    c = CompressionSettings()
    for key, value in data.items():
        if key == "compressor":
            c.compressor = _enum_from(Compressor, value, f"{path}.{key}")
        elif key == "codec":
            c.codec = _enum_from(CompressionCodec, value, f"{path}.{key}")
        else:
            _set(c, key, value, f"{path}.{key}")
    return c


def _downsampling_from(value: Any, path: str) -> Optional[DownsamplingMethod]:
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    return _enum_from(DownsamplingMethod, value, path)


def _fill_array(a: ArraySettings, data: Mapping[str, Any], path: str) -> None:
    # Dimensions first: storage_dimension_order may refer to them by index.
    if "dimensions" in data:
        p = f"{path}.dimensions" if path else "dimensions"
        a.dimensions = [
            _dimension_from(d, f"{p}[{i}]") for i, d in enumerate(_list(data["dimensions"], p))
        ]
    for key, value in data.items():
        p = f"{path}.{key}" if path else key
        if key == "dimensions":
            continue
        if key == "compression":
            a.compression = _compression_from(value, p)
        elif key == "downsampling_method":
            a.downsampling_method = _downsampling_from(value, p)
        elif key == "storage_dimension_order":
            a.storage_dimension_order = _storage_order_from(a, value, p)
        elif key == "output_key" and value is None:
            a.output_key = ""
        else:
            _set(a, key, value, p)


def _storage_order_from(a: ArraySettings, value: Any, path: str) -> List[str]:
    names = [d.name for d in a.dimensions]
    order = []
    for i, item in enumerate(_list(value, path)):
        # The published files store indices into `dimensions`.
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(names):
                _fail(f"{path}[{i}]", f"index {item} out of range for dimensions {names}")
            order.append(names[item])
        elif isinstance(item, str):
            order.append(item)
        else:
            _fail(f"{path}[{i}]", f"expected a dimension name, got {item!r}")
    return order


def _array_from(data: Any, path: str) -> ArraySettings:
    a = ArraySettings()
    _fill_array(a, _mapping(data, path, _ARRAY_KEYS), path)
    return a


def _field_of_view_from(data: Any, path: str) -> FieldOfView:
    data = _mapping(data, path, ("path", "acquisition_id", "array", "array_settings"))
    if "array" in data and "array_settings" in data:
        _fail(path, "give either 'array' or 'array_settings', not both")
    f = FieldOfView()
    for key, value in data.items():
        p = f"{path}.{key}"
        if key in ("array", "array_settings"):
            f.array_settings = _array_from(value, p)
        else:
            _set(f, key, value, p)
    return f


def _well_from(data: Any, path: str) -> Well:
    data = _mapping(data, path, ("row_name", "column_name", "images"))
    w = Well()
    for key, value in data.items():
        p = f"{path}.{key}"
        if key == "images":
            w.images = [_field_of_view_from(v, f"{p}[{i}]") for i, v in enumerate(_list(value, p))]
        else:
            _set(w, key, value, p)
    return w


def _acquisition_from(data: Any, path: str) -> Acquisition:
    data = _mapping(data, path, ("id", "name", "description", "start_time", "end_time"))
    a = Acquisition()
    for key, value in data.items():
        _set(a, key, value, f"{path}.{key}")
    return a


def _plate_from(data: Any, path: str) -> Plate:
    keys = ("path", "name", "row_names", "column_names", "wells", "acquisitions")
    data = _mapping(data, path, keys)
    p = Plate()
    for key, value in data.items():
        kp = f"{path}.{key}"
        if key == "wells":
            p.wells = [_well_from(v, f"{kp}[{i}]") for i, v in enumerate(_list(value, kp))]
        elif key == "acquisitions":
            p.acquisitions = [
                _acquisition_from(v, f"{kp}[{i}]") for i, v in enumerate(_list(value, kp))
            ]
        else:
            _set(p, key, value, kp)
    return p


def _zarr_version_from(value: Any, path: str) -> ZarrVersion:
    if isinstance(value, str) and value.strip().lower() in ("2", "v2", "3", "v3"):
        value = int(value.strip().lower().lstrip("v"))
    return _enum_from(ZarrVersion, value, path)


_STREAM_KEYS = (
    "version",
    "zarr_version",
    "store_path",
    "s3",
    "max_threads",
    "overwrite",
    "custom_metadata",
    "arrays",
    "plates",
    "hcs_plates",
) + _SHORTHAND_FIELDS


def _stream_from(data: Any) -> StreamSettings:
    data = _mapping(data, "", _STREAM_KEYS)
    if "plates" in data and "hcs_plates" in data:
        _fail("", "give either 'plates' or 'hcs_plates', not both")
    s = StreamSettings()
    shorthand = {k: v for k, v in data.items() if k in _SHORTHAND_FIELDS}
    if shorthand:
        _fill_array(s._values["_implicit"], shorthand, "")
    for key, value in data.items():
        if key in _SHORTHAND_FIELDS:
            continue
        if key == "version":
            if isinstance(value, bool) or value not in _SUPPORTED_SCHEMA_VERSIONS:
                _fail(
                    key,
                    f"unsupported config schema version {value!r} (supported: "
                    f"{', '.join(map(str, _SUPPORTED_SCHEMA_VERSIONS))}); the Zarr "
                    f"format version goes under 'zarr_version'",
                )
        elif key == "zarr_version":
            s.version = _zarr_version_from(value, key)
        elif key == "s3":
            if value is None:
                s.s3 = None
            else:
                s3 = S3Settings()
                for k, v in _mapping(value, key, ("endpoint", "bucket_name", "region")).items():
                    _set(s3, k, v, f"{key}.{k}")
                s.s3 = s3
        elif key == "arrays":
            s.arrays = [_array_from(v, f"{key}[{i}]") for i, v in enumerate(_list(value, key))]
        elif key in ("plates", "hcs_plates"):
            s.plates = [_plate_from(v, f"{key}[{i}]") for i, v in enumerate(_list(value, key))]
        else:
            _set(s, key, value, key)
    return s


def stream_from_dict(data: Any) -> StreamSettings:
    try:
        return _stream_from(data)
    except _ConfigError as e:
        raise InvalidSettingsError(f"invalid stream settings config: {e}") from None


def _parse_text(text: str, source: str, json_only: bool = False) -> Any:
    try:
        return json.loads(text)
    except ValueError as json_error:
        if json_only:
            raise InvalidSettingsError(f"{source} is not valid JSON: {json_error}") from None
        try:
            import yaml
        except ImportError:
            raise ImportError(
                f"{source} is not valid JSON ({json_error}). {_YAML_MISSING}"
            ) from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise InvalidSettingsError(f"{source} is neither valid JSON nor valid YAML: {e}") from None


def stream_from_string(text: str) -> StreamSettings:
    if not isinstance(text, str):
        raise TypeError(f"from_string() needs a str, not {type(text).__name__}")
    return stream_from_dict(_parse_text(text, "the config string"))


def stream_from_file(path: "str | os.PathLike[str]") -> StreamSettings:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    source = f"config file {os.fspath(path)!r}"
    return stream_from_dict(_parse_text(text, source, json_only=_is_json_path(path)))

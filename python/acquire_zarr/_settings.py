"""The settings classes of acquire_zarr.

They are plain Python objects: each attribute is a typed field that checks
what is assigned to it (wrong type -> TypeError, a value the C struct cannot
hold -> InvalidSettingsError, a ValueError). Everything else is validated by
the engine when a stream is created, so the error names the field the same
way for C and Python users.

Assignment has value semantics, as in the published package: assigning a
settings object (or a list of them) stores a copy, so reusing and mutating
the original afterwards does not change what was assigned. Reading an
attribute returns the stored object itself, so in-place edits such as
``settings.arrays[0].dimensions[1].chunk_size_px = 64`` or
``array.dimensions.append(...)`` do take effect.
"""

from __future__ import annotations

import copy
import math
import numbers
import operator
import os
from typing import Any, Callable, Dict, Iterable, List, Optional

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

__all__ = [
    "Acquisition",
    "ArraySettings",
    "CompressionSettings",
    "Dimension",
    "FieldOfView",
    "Plate",
    "S3Settings",
    "StreamSettings",
    "Well",
]

_UINT8_MAX = 2**8 - 1
_UINT32_MAX = 2**32 - 1
_UINT64_MAX = 2**64 - 1

# ---------------------------------------------------------------------------
# Field converters: (where, value) -> value to store. `where` names the field
# ("Dimension.chunk_size_px") for error messages.
# ---------------------------------------------------------------------------

Converter = Callable[[str, Any], Any]


def _type_name(value: Any) -> str:
    return type(value).__name__


def _uint(maximum: int) -> Converter:
    def convert(where: str, value: Any) -> int:
        # bool is an int subclass, but `chunk_size_px=True` is surely a bug.
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, numbers.Integral
        ):
            raise TypeError(f"{where} must be an int, not {_type_name(value)}")
        value = operator.index(value)
        if not 0 <= value <= maximum:
            raise InvalidSettingsError(
                f"{where} must be between 0 and {maximum}, got {value}"
            )
        return value

    return convert


def _optional(convert: Converter) -> Converter:
    def convert_optional(where: str, value: Any) -> Any:
        return None if value is None else convert(where, value)

    return convert_optional


def _str(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a str, not {_type_name(value)}")
    return value


def _optional_str(where: str, value: Any) -> Optional[str]:
    # The C API spells "not given" as NULL; an empty string means the same.
    if value is None:
        return None
    return _str(where, value) or None


def _path_str(where: str, value: Any) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(
            f"{where} must be a str or os.PathLike, not {_type_name(value)}"
        )
    return value


def _output_key(where: str, value: Any) -> str:
    # None is accepted because a FieldOfView's array must have its
    # output_key "unset"; it is stored as "" (the C API's "root").
    return "" if value is None else _str(where, value)


def _bool(where: str, value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{where} must be a bool, not {_type_name(value)}")


def _scale(where: str, value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where} must be a float, not {_type_name(value)}")
    value = float(value)
    # The C struct reads a scale of 0 as "default 1.0", so 0 must be caught
    # here; any other invalid scale would be refused by the engine anyway.
    if not (math.isfinite(value) and value > 0):
        raise InvalidSettingsError(f"{where} must be a finite number > 0, got {value}")
    return value


def _enum(enum_type: type) -> Converter:
    def convert(where: str, value: Any) -> Any:
        if not isinstance(value, enum_type):
            raise TypeError(
                f"{where} must be a {enum_type.__name__}, not {_type_name(value)}"
            )
        return value

    return convert


def _json_object_str(where: str, value: Any) -> Optional[str]:
    import json

    if value is None:
        return None
    if isinstance(value, dict):
        try:
            return json.dumps(value)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{where}: the dict is not JSON-serializable: {e}") from e
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a JSON str or a dict, not {_type_name(value)}")
    try:
        parsed = json.loads(value)
    except ValueError as e:
        raise InvalidSettingsError(f"{where} is not valid JSON: {e}") from e
    if not isinstance(parsed, dict):
        raise InvalidSettingsError(f"{where} must be a JSON object, got {value!r}")
    return value


_DTYPE_TO_DATA_TYPE = {
    np.dtype(name): member
    for name, member in [
        ("uint8", DataType.UINT8),
        ("uint16", DataType.UINT16),
        ("uint32", DataType.UINT32),
        ("uint64", DataType.UINT64),
        ("int8", DataType.INT8),
        ("int16", DataType.INT16),
        ("int32", DataType.INT32),
        ("int64", DataType.INT64),
        ("float32", DataType.FLOAT32),
        ("float64", DataType.FLOAT64),
    ]
}


def _data_type(where: str, value: Any) -> DataType:
    """A DataType, or anything numpy.dtype() maps to one of the ten types."""
    if isinstance(value, DataType):
        return value
    if value is None:  # np.dtype(None) would silently mean float64
        raise TypeError(f"{where} must be a DataType or a numpy dtype, not NoneType")
    if isinstance(value, str) and value.upper() in DataType.__members__:
        return DataType.__members__[value.upper()]
    try:
        dtype = np.dtype(value)
    except TypeError as e:
        raise TypeError(
            f"{where} must be a DataType or a numpy dtype, not {value!r}"
        ) from e
    try:
        return _DTYPE_TO_DATA_TYPE[dtype]
    except KeyError:
        supported = ", ".join(str(d) for d in _DTYPE_TO_DATA_TYPE)
        name = str(dtype) if dtype.isnative else f"{dtype.str} (non-native byte order)"
        raise InvalidSettingsError(
            f"{where}: unsupported dtype {name}; supported (in native byte "
            f"order): {supported}"
        ) from None


def _instance(cls: type) -> Converter:
    """A settings object, stored as a copy (value semantics)."""

    def convert(where: str, value: Any) -> Any:
        if not isinstance(value, cls):
            raise TypeError(f"{where} must be a {cls.__name__}, not {_type_name(value)}")
        return copy.deepcopy(value)

    return convert


class _TypedList(list):
    """A list that checks (and copies) every item put into it.

    The published package's list attributes are bound C++ vectors with value
    semantics; this keeps that behaviour while being an ordinary list for
    reading, printing and comparing.
    """

    __slots__ = ("_convert", "_where")

    def __init__(self, convert: Converter, where: str, items: Iterable = ()) -> None:
        super().__init__()
        self._convert = convert
        self._where = where
        self.extend(items)

    def _item(self, value: Any) -> Any:
        return self._convert(f"{self._where} item", value)

    def append(self, value: Any) -> None:
        super().append(self._item(value))

    def insert(self, index: Any, value: Any) -> None:
        super().insert(index, self._item(value))

    def extend(self, values: Iterable) -> None:
        if isinstance(values, (str, bytes)):
            raise TypeError(f"{self._where} must be a list, not {_type_name(values)}")
        super().extend([self._item(v) for v in values])

    def __iadd__(self, values: Iterable):  # type: ignore[override,misc]
        self.extend(values)
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            super().__setitem__(index, [self._item(v) for v in value])
        else:
            super().__setitem__(index, self._item(value))

    def copy(self) -> list:  # type: ignore[override]
        return list(self)

    def __deepcopy__(self, memo: dict) -> "_TypedList":
        new = _TypedList(self._convert, self._where)
        list.extend(new, (copy.deepcopy(v, memo) for v in self))
        return new

    def __reduce__(self):
        # Pickle as a plain list; the owning field re-checks it on load.
        return (list, (list(self),))


def _list_of(item: Converter) -> Converter:
    def convert(where: str, value: Any) -> _TypedList:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
            raise TypeError(f"{where} must be a list, not {_type_name(value)}")
        return _TypedList(item, where, value)

    return convert


# ---------------------------------------------------------------------------
# Fields and the common base class
# ---------------------------------------------------------------------------


class _Field:
    """A typed attribute of a settings class."""

    def __init__(
        self,
        convert: Converter,
        default: Any = None,
        *,
        optional: bool = False,
        doc: str = "",
    ) -> None:
        self.convert = convert
        self.default = default  # a value, or a zero-argument callable
        self.optional = optional  # None is a real value, not "use default"
        self.__doc__ = doc
        self.name = ""
        self.where = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.where = f"{owner.__name__}.{name}"

    def make_default(self) -> Any:
        value = self.default() if callable(self.default) else self.default
        # Lists must be typed lists even when they start empty.
        return self.convert(self.where, value) if isinstance(value, list) else value

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        return obj._values[self.name]

    def __set__(self, obj: Any, value: Any) -> None:
        obj._values[self.name] = self.convert(self.where, value)


class _Alias:
    """Another name for a field (e.g. ``Dimension.type`` for ``kind``)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.__doc__ = f"Alias of ``{target}``."

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        return getattr(obj, self.target)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.target, value)


def _format(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (str, type(None), bool, int, _Settings)):
        return repr(value)
    return str(value)  # pybind11 enums: "DataType.UINT16"


class _Settings:
    """Keyword-constructed record of typed fields."""

    __slots__ = ("_values",)
    _fields: Dict[str, _Field] = {}
    _aliases: Dict[str, str] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: Dict[str, _Field] = {}
        aliases: Dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, _Field):
                    fields[name] = attr
                elif isinstance(attr, _Alias):
                    aliases[name] = attr.target
        cls._fields = fields
        cls._aliases = aliases

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._check_no_positional(args)
        self._values = {name: f.make_default() for name, f in self._fields.items()}
        self._set_kwargs(kwargs)

    def _check_no_positional(self, args: tuple) -> None:
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only "
                f"({len(args)} positional given)"
            )

    def _kwarg_names(self) -> List[str]:
        return list(self._fields) + list(self._aliases)

    def _set_kwargs(self, kwargs: Dict[str, Any]) -> None:
        cls = type(self).__name__
        accepted = self._kwarg_names()
        unknown = [k for k in kwargs if k not in accepted]
        if unknown:
            raise TypeError(
                f"{cls}() got unexpected keyword argument(s): "
                + ", ".join(repr(k) for k in unknown)
                + f" (accepted: {', '.join(accepted)})"
            )
        given: Dict[str, str] = {}
        for key in kwargs:
            target = self._aliases.get(key, key)
            if target in given:
                raise TypeError(
                    f"{cls}() got both {given[target]!r} and {key!r}, which "
                    f"set the same field"
                )
            given[target] = key
        for key, value in kwargs.items():
            # As in the published package, passing None for a field that
            # cannot be None means "use the default".
            if value is None and not self._is_optional(self._aliases.get(key, key)):
                continue
            setattr(self, key, value)

    def _is_optional(self, name: str) -> bool:
        field = self._fields.get(name)
        return field is not None and field.optional

    def _repr_items(self) -> List[str]:
        return [f"{name}={_format(self._values[name])}" for name in self._fields]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self._repr_items())})"

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __deepcopy__(self, memo: dict) -> Any:
        new = object.__new__(type(self))
        object.__setattr__(
            new, "_values", {k: copy.deepcopy(v, memo) for k, v in self._values.items()}
        )
        return new

    def __copy__(self) -> Any:
        # Value semantics: a "shallow" copy that shared nested lists with the
        # original would let edits leak between the two.
        return self.__deepcopy__({})

    def __reduce__(self):
        state = {
            k: list(v) if isinstance(v, list) else v for k, v in self._values.items()
        }
        return (_restore, (type(self), state))


def _restore(cls: "type[_Settings]", state: Dict[str, Any]) -> Any:
    obj = cls()
    for name, value in state.items():
        if name in cls._fields:
            setattr(obj, name, value)
        else:
            obj._values[name] = value
    return obj


# ---------------------------------------------------------------------------
# The settings classes
# ---------------------------------------------------------------------------


class Dimension(_Settings):
    """Properties of a dimension of the output array."""

    __slots__ = ()

    name = _Field(_str, "", doc="Name of the dimension, e.g. 't', 'c', 'z', 'y', 'x'.")
    kind = _Field(
        _enum(DimensionType), DimensionType.SPACE, doc="Kind of the dimension."
    )
    type = _Alias("kind")
    unit = _Field(
        _optional_str,
        None,
        optional=True,
        doc="Physical unit (UDUNITS name, e.g. 'micrometer'), or None.",
    )
    scale = _Field(_scale, 1.0, doc="Physical size of one pixel, in `unit`s.")
    array_size_px = _Field(
        _uint(_UINT32_MAX),
        0,
        doc="Size of the array along this dimension (0 = unbounded; first dimension only).",
    )
    chunk_size_px = _Field(_uint(_UINT32_MAX), 0, doc="Size of a chunk along this dimension.")
    shard_size_chunks = _Field(
        _uint(_UINT32_MAX), 0, doc="Chunks per shard along this dimension (Zarr v3)."
    )


class CompressionSettings(_Settings):
    """Settings for compressing during acquisition."""

    __slots__ = ()

    compressor = _Field(_enum(Compressor), Compressor.NONE, doc="Compressor to use.")
    codec = _Field(_enum(CompressionCodec), CompressionCodec.NONE, doc="Codec to use.")
    level = _Field(_uint(_UINT8_MAX), 1, doc="Compression level (Blosc 0-9, Zstd 1-22).")
    shuffle = _Field(
        _uint(_UINT8_MAX), 0, doc="Shuffle: 0 none, 1 byte, 2 bit (Blosc only)."
    )


class S3Settings(_Settings):
    """Settings for connecting to and storing data in S3."""

    __slots__ = ()

    endpoint = _Field(_str, "", doc="Endpoint URL, with scheme and optional port.")
    bucket_name = _Field(_str, "", doc="Name of the bucket.")
    region = _Field(_optional_str, None, optional=True, doc="Region, or None.")


class ArraySettings(_Settings):
    """Settings for a single array in the Zarr stream."""

    __slots__ = ()

    output_key = _Field(_output_key, "", doc="Path of the array within the store.")
    dimensions = _Field(
        _list_of(_instance(Dimension)), list, doc="Dimensions, slowest to fastest."
    )
    data_type = _Field(_data_type, DataType.UINT8, doc="Pixel data type.")
    compression = _Field(
        _optional(_instance(CompressionSettings)),
        None,
        optional=True,
        doc="Chunk compression, or None for none.",
    )
    downsampling_method = _Field(
        _optional(_enum(DownsamplingMethod)),
        None,
        optional=True,
        doc="Pyramid downsampling method, or None for no pyramid.",
    )
    max_levels = _Field(
        _uint(_UINT8_MAX), 0, doc="Cap on downsampled pyramid levels (0 = no cap)."
    )
    storage_dimension_order = _Field(
        _list_of(_str), list, doc="Dimension names in storage order ([] = acquisition order)."
    )
    # Stored as requested; the property below applies the coercion.
    _is_ngff = _Field(_bool, False)

    @property
    def is_ngff(self) -> bool:
        """Wrap the array in an OME-NGFF multiscales group.

        Reads True while a downsampling method is set, whatever was
        requested; clearing the method restores the requested value.
        """
        return self._is_ngff or self.downsampling_method is not None

    @is_ngff.setter
    def is_ngff(self, value: Any) -> None:
        self._values["_is_ngff"] = _bool("ArraySettings.is_ngff", value)

    def _kwarg_names(self) -> List[str]:
        return [n.lstrip("_") for n in self._fields]

    def _repr_items(self) -> List[str]:
        items = []
        for name in self._fields:
            public = name.lstrip("_")
            items.append(f"{public}={_format(getattr(self, public))}")
        return items


class FieldOfView(_Settings):
    """Field of view of an HCS well."""

    __slots__ = ()

    path = _Field(_str, "", doc="Path of the field of view within the well.")
    acquisition_id = _Field(
        _optional(_uint(_UINT32_MAX)),
        None,
        optional=True,
        doc="ID of the acquisition this field belongs to, or None.",
    )
    array_settings = _Field(
        _instance(ArraySettings),
        ArraySettings,
        doc="The field's array (its output_key must be unset).",
    )


class Well(_Settings):
    """Well of an HCS plate."""

    __slots__ = ()

    row_name = _Field(_str, "", doc="Row of the well, e.g. 'A'.")
    column_name = _Field(_str, "", doc="Column of the well, e.g. '1'.")
    images = _Field(
        _list_of(_instance(FieldOfView)), list, doc="Fields of view in the well."
    )


class Acquisition(_Settings):
    """Acquisition metadata of an HCS plate."""

    __slots__ = ()

    id = _Field(_uint(_UINT32_MAX), 0, doc="Identifier of the acquisition.")
    name = _Field(_optional_str, None, optional=True, doc="Name, or None.")
    description = _Field(_optional_str, None, optional=True, doc="Description, or None.")
    start_time = _Field(
        _optional(_uint(_UINT64_MAX)), None, optional=True, doc="Start (epoch), or None."
    )
    end_time = _Field(
        _optional(_uint(_UINT64_MAX)), None, optional=True, doc="End (epoch), or None."
    )


class Plate(_Settings):
    """High-content-screening plate."""

    __slots__ = ()

    path = _Field(_str, "", doc="Path of the plate within the store.")
    name = _Field(_str, "", doc="Name of the plate.")
    row_names = _Field(_list_of(_str), list, doc="Row names, e.g. ['A', 'B'].")
    column_names = _Field(_list_of(_str), list, doc="Column names, e.g. ['1', '2'].")
    wells = _Field(_list_of(_instance(Well)), list, doc="Wells of the plate.")
    acquisitions = _Field(
        _list_of(_instance(Acquisition)), list, doc="Acquisitions of the plate."
    )


class _Shorthand:
    """A StreamSettings attribute that edits the implicit single array.

    The README's older form puts one array's settings (data_type,
    dimensions, ...) directly on the stream settings.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.__doc__ = (
            f"Single-array shorthand: ``{name}`` of the array described "
            f"directly on the stream settings."
        )

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        return getattr(obj._values["_implicit"], self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj._values["_implicit"], self.name, value)


_SHORTHAND_FIELDS = (
    "output_key",
    "dimensions",
    "data_type",
    "compression",
    "downsampling_method",
)


class StreamSettings(_Settings):
    """Settings for configuring a Zarr stream."""

    __slots__ = ()

    store_path = _Field(_path_str, "", doc="Path of the store (or S3 key prefix).")
    s3 = _Field(
        _optional(_instance(S3Settings)),
        None,
        optional=True,
        doc="S3 settings, or None to write to the filesystem.",
    )
    version = _Field(_enum(ZarrVersion), ZarrVersion.V3, doc="Zarr format version.")
    max_threads = _Field(
        _uint(_UINT32_MAX), 0, doc="Worker threads (0 = $ZARR_MAX_THREADS or all cores)."
    )
    overwrite = _Field(_bool, False, doc="Remove whatever is at store_path first.")
    arrays = _Field(_list_of(_instance(ArraySettings)), list, doc="The arrays.")
    plates = _Field(_list_of(_instance(Plate)), list, doc="HCS plates.")
    hcs_plates = _Alias("plates")
    custom_metadata = _Field(
        _json_object_str,
        None,
        optional=True,
        doc="JSON object merged into the attributes of the only array after creation.",
    )

    output_key = _Shorthand("output_key")
    dimensions = _Shorthand("dimensions")
    data_type = _Shorthand("data_type")
    compression = _Shorthand("compression")
    downsampling_method = _Shorthand("downsampling_method")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._check_no_positional(args)
        self._values = {name: f.make_default() for name, f in self._fields.items()}
        self._values["_implicit"] = ArraySettings()
        self._set_kwargs(kwargs)

    def _kwarg_names(self) -> List[str]:
        return super()._kwarg_names() + list(_SHORTHAND_FIELDS)

    def _is_optional(self, name: str) -> bool:
        if name in _SHORTHAND_FIELDS:
            return ArraySettings._fields[name].optional
        return super()._is_optional(name)

    def _uses_shorthand(self) -> bool:
        """True when the single-array shorthand describes an array."""
        return self._values["_implicit"] != ArraySettings()

    def _repr_items(self) -> List[str]:
        items = super()._repr_items()
        if self._uses_shorthand():
            implicit = self._values["_implicit"]
            items += [f"{n}={_format(getattr(implicit, n))}" for n in _SHORTHAND_FIELDS]
        return items

    def _all_arrays(self) -> List[ArraySettings]:
        """The implicit shorthand array (if used) followed by `arrays`."""
        implicit = [self._values["_implicit"]] if self._uses_shorthand() else []
        return implicit + list(self.arrays)

    def _lower(self) -> Dict[str, Any]:
        """Plain-data form read by the extension to build the C structs."""
        return _lower_stream(self)

    def get_maximum_memory_usage(self) -> int:
        """Get the maximum memory usage of the stream in bytes."""
        return _ext._estimate_max_memory_usage(self._lower())

    def get_array_keys(self) -> List[str]:
        """Get the list of array keys configured in this stream."""
        return _ext._get_array_keys(self._lower())

    # Serialization lives in _config; these are thin forwarders.
    @staticmethod
    def from_dict(data: dict) -> "StreamSettings":
        """Build stream settings from a config dict (same schema as files)."""
        from . import _config

        return _config.stream_from_dict(data)

    @staticmethod
    def from_string(text: str) -> "StreamSettings":
        """Load stream settings from a YAML or JSON config string."""
        from . import _config

        return _config.stream_from_string(text)

    @staticmethod
    def from_file(path: "str | os.PathLike[str]") -> "StreamSettings":
        """Load stream settings from a YAML or JSON config file."""
        from . import _config

        return _config.stream_from_file(path)

    def to_dict(self) -> dict:
        """Serialize stream settings to a config dict."""
        from . import _config

        return _config.stream_to_dict(self)

    def to_json(self) -> str:
        """Serialize stream settings to a JSON string."""
        from . import _config

        return _config.stream_to_json(self)

    def to_yaml(self) -> str:
        """Serialize stream settings to a YAML string (needs PyYAML)."""
        from . import _config

        return _config.stream_to_yaml(self)

    def to_file(self, path: "str | os.PathLike[str]") -> None:
        """Dump settings to a config file (``.json`` -> JSON, else YAML)."""
        from . import _config

        _config.stream_to_file(self, path)


# ---------------------------------------------------------------------------
# Lowering to plain data for the extension
# ---------------------------------------------------------------------------


def _lower_dimension(d: Dimension) -> Dict[str, Any]:
    return {
        "name": d.name,
        "type": int(d.kind),
        "array_size_px": d.array_size_px,
        "chunk_size_px": d.chunk_size_px,
        "shard_size_chunks": d.shard_size_chunks,
        "unit": d.unit,
        "scale": d.scale,
    }


def _storage_order_indices(a: ArraySettings, where: str) -> Optional[List[int]]:
    order = list(a.storage_dimension_order)
    if not order:
        return None
    names = [d.name for d in a.dimensions]
    # The C struct has no length for this list: it must be exactly one index
    # per dimension, so the length is checked here, not in the engine.
    if len(order) != len(names):
        raise InvalidSettingsError(
            f"{where}.storage_dimension_order must list each of the {len(names)} "
            f"dimensions {names} once, got {order}"
        )
    if len(set(names)) != len(names):
        raise InvalidSettingsError(
            f"{where}.storage_dimension_order needs unique dimension names, got {names}"
        )
    indices = []
    for name in order:
        if order.count(name) > 1:
            raise InvalidSettingsError(
                f"{where}.storage_dimension_order names {name!r} "
                f"{order.count(name)} times; each dimension must appear once, got {order}"
            )
        if name not in names:
            raise InvalidSettingsError(
                f"{where}.storage_dimension_order: {name!r} is not one of the "
                f"dimension names {names}"
            )
        indices.append(names.index(name))
    return indices


def _lower_array(a: ArraySettings, where: str) -> Dict[str, Any]:
    c = a.compression
    return {
        "output_key": a.output_key,
        "dimensions": [_lower_dimension(d) for d in a.dimensions],
        "data_type": int(a.data_type),
        "compression": None
        if c is None
        else {
            "compressor": int(c.compressor),
            "codec": int(c.codec),
            "level": c.level,
            "shuffle": c.shuffle,
        },
        # C spells "no pyramid" as ZarrDownsamplingMethod_None = 0.
        "downsampling_method": 0
        if a.downsampling_method is None
        else int(a.downsampling_method),
        "max_levels": a.max_levels,
        "is_ngff": a.is_ngff,
        "storage_dimension_order": _storage_order_indices(a, where),
    }


def _lower_plate(p: Plate, where: str) -> Dict[str, Any]:
    return {
        "path": p.path,
        "name": p.name,
        "row_names": list(p.row_names),
        "column_names": list(p.column_names),
        "wells": [
            {
                "row_name": w.row_name,
                "column_name": w.column_name,
                "images": [
                    {
                        "path": f.path,
                        "acquisition_id": f.acquisition_id,
                        "array_settings": _lower_array(
                            f.array_settings,
                            f"{where}.wells[{i}].images[{j}].array_settings",
                        ),
                    }
                    for j, f in enumerate(w.images)
                ],
            }
            for i, w in enumerate(p.wells)
        ],
        "acquisitions": [
            {
                "id": a.id,
                "name": a.name,
                "description": a.description,
                "start_time": a.start_time,
                "end_time": a.end_time,
            }
            for a in p.acquisitions
        ],
    }


def _lower_stream(s: StreamSettings) -> Dict[str, Any]:
    arrays = []
    if s._uses_shorthand():
        arrays.append(_lower_array(s._values["_implicit"], "StreamSettings"))
    arrays += [_lower_array(a, f"arrays[{i}]") for i, a in enumerate(s.arrays)]
    return {
        "store_path": s.store_path,
        "s3": None
        if s.s3 is None
        else {
            "endpoint": s.s3.endpoint,
            "bucket_name": s.s3.bucket_name,
            "region": s.s3.region,
        },
        "version": int(s.version),
        "max_threads": s.max_threads,
        "overwrite": s.overwrite,
        "arrays": arrays,
        "plates": [_lower_plate(p, f"plates[{i}]") for i, p in enumerate(s.plates)],
        "custom_metadata": s.custom_metadata,
    }

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

# No `from __future__ import annotations`: help() shows the annotations as
# written only when they are objects ("-> int", not "-> 'int'").

import copy
import inspect
import math
import numbers
import operator
import os
import re
import textwrap
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

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


def _no_nul(where: str, value: str) -> None:
    # The C API takes NUL-terminated strings: a NUL would silently cut the
    # value short ("a\0b" would name "a").
    nul = value.find("\x00")
    if nul >= 0:
        raise InvalidSettingsError(
            f"{where} contains a NUL character (at index {nul}): {value!r}"
        )


def _c_text(where: str, value: str) -> str:
    """A str the C API can take: NUL-terminated UTF-8 (a lone surrogate
    cannot be encoded)."""
    _no_nul(where, value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidSettingsError(
            f"{where} cannot be encoded as UTF-8 ({e.reason} at index {e.start}): "
            f"{value!r}"
        ) from None
    return value


def _str(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a str, not {_type_name(value)}")
    return _c_text(where, value)


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
    _no_nul(where, value)
    try:
        # A path is bytes to the OS: a name that is not UTF-8 arrives as
        # surrogate escapes (os.fsdecode) and goes back as its bytes.
        os.fsencode(value)
    except UnicodeEncodeError as e:
        raise InvalidSettingsError(
            f"{where} cannot be encoded for the filesystem ({e.reason} at index "
            f"{e.start}): {value!r}"
        ) from None
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
        except RecursionError:
            raise InvalidSettingsError(f"{where}: the dict is nested too deeply") from None
    if not isinstance(value, str):
        raise TypeError(f"{where} must be a JSON str or a dict, not {_type_name(value)}")
    try:
        parsed = json.loads(value)
    except ValueError as e:
        raise InvalidSettingsError(f"{where} is not valid JSON: {e}") from e
    except RecursionError:
        raise InvalidSettingsError(f"{where} is nested too deeply") from None
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


def _format(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (str, type(None), bool, int, _Settings)):
        return repr(value)
    return str(value)  # pybind11 enums: "DataType.UINT16"


def _annotation_text(annotation: Any) -> str:
    """A type as the documentation spells it: ``List[Dimension]``."""
    text = inspect.formatannotation(annotation)
    return re.sub(r"\b(?:typing|acquire_zarr(?:\._settings)?)\.", "", text)


class _DefaultRepr:
    """A signature default shown as the expression that makes it.

    A FieldOfView's default ``array_settings`` is a new ``ArraySettings()``;
    showing the whole record in ``help()`` would bury the signature.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class _Field:
    """A typed attribute of a settings class."""

    def __init__(
        self,
        convert: Converter,
        default: Any = None,
        *,
        type: Any,
        accepts: Any = None,
        optional: bool = False,
        doc: str = "",
    ) -> None:
        self.convert = convert
        self.default = default  # a value, or a zero-argument callable
        self.type = type  # of the attribute, for the documentation
        self.accepts = type if accepts is None else accepts  # by the constructor
        self.optional = optional  # None is a real value, not "use default"
        self.doc = doc
        self.name = ""
        self.where = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.where = f"{owner.__name__}.{name}"
        self.__doc__ = (
            f"{textwrap.fill(self.doc, 72)}\n\n{_annotation_text(self.type)}, "
            f"default {self.default_text()}."
        )

    def make_default(self) -> Any:
        value = self.default() if callable(self.default) else self.default
        # Lists must be typed lists even when they start empty.
        return self.convert(self.where, value) if isinstance(value, list) else value

    def default_text(self) -> str:
        if self.default is list:
            return "[]"
        if callable(self.default):
            return f"{self.default.__name__}()"
        return _format(self.default)

    def signature_default(self) -> Any:
        if self.default is list:
            return []
        if callable(self.default):
            return _DefaultRepr(self.default_text())
        return self.default

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


def _wrap_entry(head: str, text: str) -> List[str]:
    """``head: text`` as a docstring list entry wrapped at 79 columns."""
    return textwrap.wrap(
        f"{head}: {text}",
        width=75,
        initial_indent="    ",
        subsequent_indent="        ",
        break_on_hyphens=False,
    )


class _SettingsType(type):
    """Metaclass of the settings classes.

    It collects each class's fields, gives the class a keyword-only
    ``__init__`` whose signature lists them with their types and defaults,
    and completes the class docstring with the list of fields. (A metaclass
    rather than ``__init_subclass__`` keeps this machinery out of ``help()``.)
    """

    def __init__(cls, name: str, bases: tuple, namespace: dict, **kwargs: Any) -> None:
        super().__init__(name, bases, namespace, **kwargs)
        fields: Dict[str, _Field] = {}
        aliases: Dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            for attr_name, attr in vars(klass).items():
                if isinstance(attr, _Field):
                    fields[attr_name] = attr
                elif isinstance(attr, _Alias):
                    aliases[attr_name] = attr.target
        # Not `_fields`: pydoc would take the class for a namedtuple and show
        # every private helper.
        cls._field_table = fields
        cls._alias_table = aliases
        if not bases:
            return  # _Settings itself
        parameters = cls._parameters()
        cls._keywords = [p.name for p in parameters]
        if "__init__" not in namespace:
            cls.__init__ = _make_init(cls, parameters)
        if cls.__doc__:
            cls.__doc__ = cls._complete_doc(inspect.cleandoc(cls.__doc__))


def _make_init(cls: type, parameters: List[inspect.Parameter]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        self._initialize(args, kwargs)

    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [self_parameter] + parameters, return_annotation=None
    )
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    __init__.__module__ = cls.__module__
    __init__.__doc__ = textwrap.fill(
        f"Make a {cls.__name__}: each keyword argument sets the field of the "
        f"same name; the others keep their defaults (see help({cls.__name__})). "
        f"Passing None for a field that cannot be None means its default.",
        72,
    )
    return __init__


class _Settings(metaclass=_SettingsType):
    """Keyword-constructed record of typed fields."""

    __slots__ = ("_values",)
    # Set by _SettingsType. Not annotated: class annotations would show up
    # in help() as `__annotations__ = {}` on every subclass.
    _field_table = {}  # type: Dict[str, _Field]
    _alias_table = {}  # type: Dict[str, str]
    _keywords = []  # type: List[str]

    # -- construction ------------------------------------------------------

    @classmethod
    def _parameters(cls) -> List[inspect.Parameter]:
        """The constructor's keyword parameters: each field, then its aliases."""
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = []
        for name, field in cls._field_table.items():
            parameters.append(
                inspect.Parameter(
                    name,
                    keyword,
                    default=field.signature_default(),
                    annotation=field.accepts,
                )
            )
            for alias, target in cls._alias_table.items():
                if target == name:
                    # Default None: "not given"; the field keeps its default.
                    parameters.append(
                        inspect.Parameter(
                            alias,
                            keyword,
                            default=None,
                            annotation=Optional[field.accepts],
                        )
                    )
        return parameters

    def _initial_values(self) -> Dict[str, Any]:
        return {name: f.make_default() for name, f in self._field_table.items()}

    def _initialize(self, args: tuple, kwargs: Dict[str, Any]) -> None:
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only "
                f"({len(args)} positional given)"
            )
        self._values = self._initial_values()
        self._set_kwargs(kwargs)

    def _set_kwargs(self, kwargs: Dict[str, Any]) -> None:
        cls = type(self).__name__
        accepted = self._keywords
        unknown = [k for k in kwargs if k not in accepted]
        if unknown:
            raise TypeError(
                f"{cls}() got unexpected keyword argument(s): "
                + ", ".join(repr(k) for k in unknown)
                + f" (accepted: {', '.join(accepted)})"
            )
        given: Dict[str, str] = {}
        for key in kwargs:
            target = self._alias_table.get(key, key)
            if target in given:
                raise TypeError(
                    f"{cls}() got both {given[target]!r} and {key!r}, which "
                    f"set the same field"
                )
            given[target] = key
        for key, value in kwargs.items():
            # As in the published package, passing None for a field that
            # cannot be None means "use the default".
            if value is None and not self._is_optional(self._alias_table.get(key, key)):
                continue
            setattr(self, key, value)

    def _is_optional(self, name: str) -> bool:
        field = self._field_table.get(name)
        return field is not None and field.optional

    # -- documentation -----------------------------------------------------

    @classmethod
    def _field_doc_lines(cls) -> List[str]:
        lines = []
        for name, field in cls._field_table.items():
            head = f"{name} ({_annotation_text(field.type)}, default {field.default_text()})"
            lines += _wrap_entry(head, field.doc)
            for alias, target in cls._alias_table.items():
                if target == name:
                    lines += _wrap_entry(
                        f"{alias} ({_annotation_text(field.type)})",
                        f"Alias of ``{name}``.",
                    )
        return lines

    @classmethod
    def _complete_doc(cls, doc: str) -> str:
        """Put the list of fields where the docstring says ``{fields}``."""
        block = "\n".join(["Attributes:"] + cls._field_doc_lines())
        if "{fields}" in doc:
            return doc.replace("{fields}", block)
        return f"{doc}\n\n{block}"

    # -- behaviour ---------------------------------------------------------

    def _repr_items(self) -> List[str]:
        return [f"{name}={_format(getattr(self, name))}" for name in self._field_table]

    def __repr__(self) -> str:
        """The class name and every field, e.g. ``Dimension(name='x', ...)``."""
        return f"{type(self).__name__}({', '.join(self._repr_items())})"

    def __eq__(self, other: Any) -> bool:
        """Equal to a settings object of the same class with equal fields."""
        if type(other) is not type(self):
            return NotImplemented
        return self._values == other._values

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __deepcopy__(self, memo: dict) -> Any:
        """A copy sharing nothing with the original."""
        new = object.__new__(type(self))
        object.__setattr__(
            new, "_values", {k: copy.deepcopy(v, memo) for k, v in self._values.items()}
        )
        return new

    def __copy__(self) -> Any:
        """A copy sharing nothing with the original (value semantics)."""
        # A "shallow" copy that shared nested lists with the original would
        # let edits leak between the two.
        return self.__deepcopy__({})

    def __reduce__(self):
        """Pickle support: settings objects pickle by value."""
        state = {
            k: list(v) if isinstance(v, list) else v for k, v in self._values.items()
        }
        return (_restore, (type(self), state))


def _restore(cls: "type[_Settings]", state: Dict[str, Any]) -> Any:
    obj = cls()
    for name, value in state.items():
        if name in cls._field_table:
            setattr(obj, name, value)
        else:
            obj._values[name] = value
    return obj


# ---------------------------------------------------------------------------
# The settings classes
# ---------------------------------------------------------------------------


class Dimension(_Settings):
    """Properties of a dimension of the output array.

    {fields}
    """

    __slots__ = ()

    name = _Field(
        _str, "", type=str, doc='Name of the dimension, e.g. "t", "c", "z", "y", "x".'
    )
    kind = _Field(
        _enum(DimensionType),
        DimensionType.SPACE,
        type=DimensionType,
        doc="Type of the dimension (``type`` is an alias).",
    )
    type = _Alias("kind")
    unit = _Field(
        _optional_str,
        None,
        type=Optional[str],
        optional=True,
        doc='Physical unit as a UDUNITS name (e.g. "micrometer", '
        '"millisecond"), or None.',
    )
    scale = _Field(
        _scale,
        1.0,
        type=float,
        doc="Physical size of one pixel along this dimension, in ``unit``s (> 0).",
    )
    array_size_px = _Field(
        _uint(_UINT32_MAX),
        0,
        type=int,
        doc="Size of the array along this dimension. 0 on the first dimension "
        "only means unbounded (the append dimension).",
    )
    chunk_size_px = _Field(
        _uint(_UINT32_MAX),
        0,
        type=int,
        doc="Size of a chunk along this dimension (> 0).",
    )
    shard_size_chunks = _Field(
        _uint(_UINT32_MAX),
        0,
        type=int,
        doc="Chunks per shard along this dimension (> 0 for Zarr v3; ignored "
        "for v2).",
    )


class CompressionSettings(_Settings):
    """Settings for compressing chunks during acquisition.

    {fields}
    """

    __slots__ = ()

    compressor = _Field(
        _enum(Compressor), Compressor.NONE, type=Compressor, doc="Compressor to use."
    )
    codec = _Field(
        _enum(CompressionCodec),
        CompressionCodec.NONE,
        type=CompressionCodec,
        doc="Codec to use; BLOSC1 takes BLOSC_LZ4 or BLOSC_ZSTD, ZSTD takes ZSTD.",
    )
    level = _Field(
        _uint(_UINT8_MAX), 1, type=int, doc="Compression level (Blosc 0-9, Zstd 1-22)."
    )
    shuffle = _Field(
        _uint(_UINT8_MAX),
        0,
        type=int,
        doc="0 no shuffle, 1 byte shuffle, 2 bit shuffle (Blosc only).",
    )


class S3Settings(_Settings):
    """Settings for connecting to and storing data in S3.

    Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    AWS_SESSION_TOKEN, else the shared credentials file
    (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).

    {fields}
    """

    __slots__ = ()

    endpoint = _Field(
        _str, "", type=str, doc="Endpoint URL, with scheme and optional port."
    )
    bucket_name = _Field(_str, "", type=str, doc="Name of the bucket.")
    region = _Field(
        _optional_str, None, type=Optional[str], optional=True, doc="Region, or None."
    )


class _NgffFlag(_Field):
    """``ArraySettings.is_ngff``: reads True while a downsampling method is set.

    The requested value is what is stored, compared and serialized, so that
    clearing the method restores it.
    """

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        values = obj._values
        return values[self.name] or values["downsampling_method"] is not None


class ArraySettings(_Settings):
    """Settings for a single array in the Zarr stream.

    The resulting Zarr hierarchy depends on ``is_ngff`` and
    ``downsampling_method``:

    - **is_ngff=False, no downsampling_method**: a plain array node.
    - **is_ngff=True, no downsampling_method**: a single-level OME-NGFF
      multiscales group, without a pyramid.
    - **downsampling_method set**: an OME-NGFF multiscales group with the
      full-resolution array at level ``0`` plus downsampled levels (as many
      as the chunk and array sizes allow, capped by ``max_levels``);
      ``is_ngff`` reads True.

    The node is written at ``store_path/output_key`` (or at ``store_path``
    if ``output_key`` is empty); intermediate groups are created.

    {fields}
    """

    __slots__ = ()

    output_key = _Field(
        _output_key,
        "",
        type=str,
        accepts=Optional[str],
        doc="Path of the array (or multiscales group) within the store: "
        "``/``-separated node names of letters, digits, ``_``, ``.``, ``-``. "
        "Empty for the store root. Must be unset (empty or None) for the "
        "array of a FieldOfView.",
    )
    dimensions = _Field(
        _list_of(_instance(Dimension)),
        list,
        type=List[Dimension],
        doc="Dimensions, slowest to fastest changing (e.g. [t, c, y, x]); the "
        "last two must be SPACE. A frame is one image of the last two.",
    )
    data_type = _Field(
        _data_type,
        DataType.UINT8,
        type=DataType,
        accepts=Union[DataType, np.dtype, type, str],
        doc="The pixel data type: a DataType, or anything numpy.dtype() maps "
        "to one of the ten supported types (reads back as a DataType).",
    )
    compression = _Field(
        _optional(_instance(CompressionSettings)),
        None,
        type=Optional[CompressionSettings],
        optional=True,
        doc="Chunk compression, or None for none.",
    )
    downsampling_method = _Field(
        _optional(_enum(DownsamplingMethod)),
        None,
        type=Optional[DownsamplingMethod],
        optional=True,
        doc="Pyramid downsampling method, or None for no pyramid.",
    )
    max_levels = _Field(
        _uint(_UINT32_MAX),
        0,
        type=int,
        doc="Cap on the number of downsampled levels (0 = no cap).",
    )
    storage_dimension_order = _Field(
        _list_of(_str),
        list,
        type=List[str],
        doc="Dimension names in the order they are stored, if different from "
        "the acquisition order in ``dimensions`` (e.g. to store t, c, z, y, x "
        "as OME-NGFF wants). The first dimension must stay first; the last "
        "two may only swap with each other. Empty = acquisition order.",
    )
    is_ngff = _NgffFlag(
        _bool,
        False,
        type=bool,
        doc="Wrap the array in an OME-NGFF multiscales group. Reads True while "
        "a downsampling method is set, whatever was assigned; clearing the "
        "method restores the assigned value.",
    )

    @property
    def _is_ngff(self) -> bool:
        """The requested ``is_ngff``, before a downsampling method forces it."""
        return self._values["is_ngff"]


class FieldOfView(_Settings):
    """Field of view of an HCS well.

    {fields}
    """

    __slots__ = ()

    path = _Field(_str, "", type=str, doc="Path of the field of view within its well.")
    acquisition_id = _Field(
        _optional(_uint(_UINT32_MAX)),
        None,
        type=Optional[int],
        optional=True,
        doc="ID of the Acquisition this field belongs to, or None.",
    )
    array_settings = _Field(
        _instance(ArraySettings),
        ArraySettings,
        type=ArraySettings,
        doc="The field's array. Its ``output_key`` must be unset; it is always "
        "written as an OME-NGFF multiscales group.",
    )


class Well(_Settings):
    """Well of an HCS plate.

    {fields}
    """

    __slots__ = ()

    row_name = _Field(
        _str,
        "",
        type=str,
        doc='Row of the well (one of the plate\'s row_names), e.g. "A".',
    )
    column_name = _Field(
        _str,
        "",
        type=str,
        doc='Column of the well (one of the plate\'s column_names), e.g. "1".',
    )
    images = _Field(
        _list_of(_instance(FieldOfView)),
        list,
        type=List[FieldOfView],
        doc="Fields of view in the well.",
    )


class Acquisition(_Settings):
    """Acquisition metadata of an HCS plate.

    {fields}
    """

    __slots__ = ()

    id = _Field(_uint(_UINT32_MAX), 0, type=int, doc="Identifier of the acquisition.")
    name = _Field(
        _optional_str, None, type=Optional[str], optional=True, doc="Name, or None."
    )
    description = _Field(
        _optional_str,
        None,
        type=Optional[str],
        optional=True,
        doc="Description, or None.",
    )
    start_time = _Field(
        _optional(_uint(_UINT64_MAX)),
        None,
        type=Optional[int],
        optional=True,
        doc="Start time (epoch integer), or None.",
    )
    end_time = _Field(
        _optional(_uint(_UINT64_MAX)),
        None,
        type=Optional[int],
        optional=True,
        doc="End time (epoch integer), or None.",
    )


class Plate(_Settings):
    """High-content-screening (OME-NGFF) plate.

    {fields}
    """

    __slots__ = ()

    path = _Field(_str, "", type=str, doc="Path of the plate within the store.")
    name = _Field(_str, "", type=str, doc="Name of the plate.")
    row_names = _Field(
        _list_of(_str), list, type=List[str], doc='Row names, e.g. ["A", "B", "C"].'
    )
    column_names = _Field(
        _list_of(_str),
        list,
        type=List[str],
        doc='Column names, e.g. ["1", "2", "3"].',
    )
    wells = _Field(
        _list_of(_instance(Well)), list, type=List[Well], doc="Wells of the plate."
    )
    acquisitions = _Field(
        _list_of(_instance(Acquisition)),
        list,
        type=List[Acquisition],
        doc="Acquisitions of the plate.",
    )


class _Shorthand:
    """A StreamSettings attribute that edits the implicit single array.

    The README's older form puts one array's settings (data_type,
    dimensions, ...) directly on the stream settings.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        field = ArraySettings._field_table[name]
        self.field = field
        self.__doc__ = (
            f"Single-array shorthand: ``{name}`` of the array described\n"
            f"directly on the stream settings.\n\n{_annotation_text(field.type)}, "
            f"default {field.default_text()}."
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
    """Settings for configuring a Zarr stream.

    {fields}

    Note:
        For S3 with endpoint "https://s3.example.com", bucket "my-bucket" and
        store_path "my-dataset.zarr", the data goes to
        "https://s3.example.com/my-bucket/my-dataset.zarr".
    """

    __slots__ = ()

    store_path = _Field(
        _path_str,
        "",
        type=str,
        accepts=Union[str, os.PathLike],
        doc="Path of the store on the filesystem (a str or os.PathLike, read "
        "back as a str), or the key prefix in the bucket for S3.",
    )
    s3 = _Field(
        _optional(_instance(S3Settings)),
        None,
        type=Optional[S3Settings],
        optional=True,
        doc="S3 settings, or None to write to the local filesystem.",
    )
    version = _Field(
        _enum(ZarrVersion), ZarrVersion.V3, type=ZarrVersion, doc="Zarr format version."
    )
    max_threads = _Field(
        _uint(_UINT32_MAX),
        0,
        type=int,
        doc="Worker threads; 0 means the ZARR_MAX_THREADS environment variable "
        "if set, else all hardware threads.",
    )
    overwrite = _Field(
        _bool,
        False,
        type=bool,
        doc="If True, remove whatever is at store_path first; if False, add to "
        "an existing store (but never replace an existing array).",
    )
    arrays = _Field(
        _list_of(_instance(ArraySettings)),
        list,
        type=List[ArraySettings],
        doc="The arrays to write.",
    )
    plates = _Field(
        _list_of(_instance(Plate)),
        list,
        type=List[Plate],
        doc="HCS plates to write (``hcs_plates`` is an alias).",
    )
    hcs_plates = _Alias("plates")
    custom_metadata = _Field(
        _json_object_str,
        None,
        type=Optional[str],
        accepts=Optional[Union[str, Dict[str, Any]]],
        optional=True,
        doc="Optional JSON object (str or dict, stored as a JSON str) merged "
        "into the attributes of the stream's only array when the stream is "
        "created.",
    )

    output_key = _Shorthand("output_key")
    dimensions = _Shorthand("dimensions")
    data_type = _Shorthand("data_type")
    compression = _Shorthand("compression")
    downsampling_method = _Shorthand("downsampling_method")

    @classmethod
    def _parameters(cls) -> List[inspect.Parameter]:
        parameters = super()._parameters()
        for name in _SHORTHAND_FIELDS:
            field = ArraySettings._field_table[name]
            parameters.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=field.signature_default(),
                    annotation=field.accepts,
                )
            )
        return parameters

    @classmethod
    def _field_doc_lines(cls) -> List[str]:
        lines = super()._field_doc_lines()
        lines += [
            "",
            "Single-array shorthand (the README's older form): these fields of",
            "ArraySettings, set directly on the stream settings, describe one more",
            "array, written before those in ``arrays``:",
            "",
        ]
        for name in _SHORTHAND_FIELDS:
            field = ArraySettings._field_table[name]
            head = f"{name} ({_annotation_text(field.type)}, default {field.default_text()})"
            lines += _wrap_entry(head, f"ArraySettings.{name}.")
        return lines

    def _initial_values(self) -> Dict[str, Any]:
        values = super()._initial_values()
        values["_implicit"] = ArraySettings()
        return values

    def _is_optional(self, name: str) -> bool:
        if name in _SHORTHAND_FIELDS:
            return ArraySettings._field_table[name].optional
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

    def _check_before_create(self) -> None:
        """Refuse what the engine could only refuse once the store exists.

        ZarrStream() writes custom_metadata right after creating the stream;
        a refusal then would leave the new store behind (and an old store
        that overwrite replaced would already be gone).
        """
        import json

        if self.custom_metadata is None:
            return
        where = "StreamSettings.custom_metadata"
        fields = [f.array_settings for p in self.plates for w in p.wells for f in w.images]
        arrays = self._all_arrays() + fields
        if len(arrays) != 1:
            raise InvalidSettingsError(
                f"{where} goes to the stream's only array, but these settings "
                f"describe {len(arrays)} arrays; write it with "
                f"ZarrStream.write_custom_metadata(..., array_key=...) instead"
            )
        try:
            value = json.loads(self.custom_metadata)
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError) as e:
            raise InvalidSettingsError(f"{where} is not valid JSON text: {e}") from None
        # The attributes the engine writes itself: OME-NGFF 0.5 nests its
        # metadata under "ome", 0.4 (Zarr v2) puts "multiscales" at the top.
        reserved = {"ome"}
        if (fields or arrays[0].is_ngff) and self.version == ZarrVersion.V2:
            reserved.add("multiscales")
        taken = sorted(reserved & set(value))
        if taken:
            raise InvalidSettingsError(
                f"{where} may not set {taken[0]!r}: the stream writes that "
                f"attribute (OME-NGFF metadata)"
            )

    def get_maximum_memory_usage(self) -> int:
        """Get the maximum memory usage of the stream in bytes."""
        return _ext._estimate_max_memory_usage(self._lower())

    def get_array_keys(self) -> List[str]:
        """Get the list of array keys configured in this stream."""
        return _ext._get_array_keys(self._lower())

    # Serialization lives in _config; these are thin forwarders.
    @staticmethod
    def from_dict(data: Dict[str, Any]) -> "StreamSettings":
        """Build stream settings from a config dict (same schema as files).

        The dict is read as its JSON text by the C loader. Raises
        InvalidSettingsError (a ValueError) naming the path of an unknown
        key or a bad value.
        """
        from . import _config

        return _config.stream_from_dict(data)

    @staticmethod
    def from_string(text: str) -> "StreamSettings":
        """Load stream settings from a JSON or YAML config string.

        Read by the C loader (``ZarrStreamSettings_load_from_string``);
        version-1 documents are migrated. Raises InvalidSettingsError (a
        ValueError) naming the field, the value and the line.
        """
        from . import _config

        return _config.stream_from_string(text)

    @staticmethod
    def from_file(path: Union[str, "os.PathLike[str]"]) -> "StreamSettings":
        """Load stream settings from a YAML or JSON config file.

        Read by the C loader, whatever the file's extension (JSON is YAML).
        Raises OSError if the file cannot be read, InvalidSettingsError (a
        ValueError) naming the file, the field, the value and the line.
        """
        from . import _config

        return _config.stream_from_file(path)

    def to_dict(self) -> Dict[str, Any]:
        """Serialize stream settings to a config dict (the parsed JSON).

        ``StreamSettings.from_dict(s.to_dict()) == s``, except that a
        document holds no ``custom_metadata`` and writes the single-array
        shorthand as the first of ``arrays``.
        """
        from . import _config

        return _config.stream_to_dict(self)

    def to_json(self) -> str:
        """Serialize stream settings to a JSON string."""
        from . import _config

        return _config.stream_to_json(self)

    def to_yaml(self) -> str:
        """Serialize stream settings to a YAML string."""
        from . import _config

        return _config.stream_to_yaml(self)

    def to_file(self, path: Union[str, "os.PathLike[str]"]) -> None:
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
        # Bytes, so that a path of surrogate escapes reaches the OS as it came.
        "store_path": os.fsencode(s.store_path),
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

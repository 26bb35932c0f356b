"""Stream camera frames into Zarr v2/v3 stores.

Describe the store with :class:`StreamSettings`, open a :class:`ZarrStream`
and ``append`` frames to it. Engine log lines go to the ``logging`` logger
``"acquire_zarr"`` (not to stderr), which has only a ``NullHandler``:
nothing is printed unless the application configures logging.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Dict, List, Optional, Union

import numpy
import numpy.typing

__version__: str

__all__ = [
    "AcquireZarrError",
    "Acquisition",
    "ArraySettings",
    "CompressionCodec",
    "CompressionSettings",
    "Compressor",
    "DataType",
    "Dimension",
    "DimensionType",
    "DownsamplingMethod",
    "FieldOfView",
    "InvalidSettingsError",
    "LogLevel",
    "Plate",
    "S3Settings",
    "StreamSettings",
    "Well",
    "ZarrStream",
    "ZarrVersion",
    "__version__",
    "get_log_level",
    "set_log_level",
]

# Anything numpy.dtype() maps to one of the ten supported types, e.g.
# numpy.uint16, "uint16", numpy.dtype("<f4").
_DTypeLike = Union["DataType", numpy.typing.DTypeLike]

# Objects exposing the buffer protocol (bytes, bytearray, memoryview, ...).
_Buffer = Union[bytes, bytearray, memoryview]

# ---------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------

class AcquireZarrError(RuntimeError):
    """An operation of the acquire-zarr engine failed.

    Attributes:
        status: Name of the C status code (e.g. ``"WriteOutOfBounds"``,
            ``"IOError"``), or None when the failure has no status code.
    """

    status: Optional[str]

    def __init__(self, message: str, status: Optional[str] = None) -> None: ...

class InvalidSettingsError(AcquireZarrError, ValueError):
    """A setting or argument has an invalid value.

    Raised when stream settings fail validation (the message names the field
    and the value) and for invalid arguments such as an unknown array key or
    malformed JSON metadata. It is both a ``RuntimeError`` and a
    ``ValueError``.
    """

# ---------------------------------------------------------------------------
# Enums (pybind11 enums: .name, .value, int(), hashable, comparable)
# ---------------------------------------------------------------------------

class _Enum:
    __members__: ClassVar[Dict[str, Any]]
    def __init__(self, value: int) -> None: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    def __lt__(self, other: object) -> bool: ...
    def __le__(self, other: object) -> bool: ...
    def __gt__(self, other: object) -> bool: ...
    def __ge__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...
    # Arithmetic pybind11 enums also combine bitwise, as ints.
    def __and__(self, other: object) -> int: ...
    def __rand__(self, other: object) -> int: ...
    def __or__(self, other: object) -> int: ...
    def __ror__(self, other: object) -> int: ...
    def __xor__(self, other: object) -> int: ...
    def __rxor__(self, other: object) -> int: ...
    def __invert__(self) -> int: ...
    def __getstate__(self) -> int: ...
    def __setstate__(self, state: int) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class ZarrVersion(_Enum):
    """Zarr format version.

    Attributes:
      V2: Zarr format version 2 (deprecated, but fully supported).
      V3: Zarr format version 3 (the default).
    """

    V2: ClassVar[ZarrVersion]  # value = <ZarrVersion.V2: 2>
    V3: ClassVar[ZarrVersion]  # value = <ZarrVersion.V3: 3>
    __members__: ClassVar[Dict[str, ZarrVersion]]

class DataType(_Enum):
    """Data type used in the stream.

    Attributes:
      UINT8: Unsigned 8-bit integer.
      UINT16: Unsigned 16-bit integer.
      UINT32: Unsigned 32-bit integer.
      UINT64: Unsigned 64-bit integer.
      INT8: Signed 8-bit integer.
      INT16: Signed 16-bit integer.
      INT32: Signed 32-bit integer.
      INT64: Signed 64-bit integer.
      FLOAT32: Single precision floating point.
      FLOAT64: Double precision floating point.
    """

    UINT8: ClassVar[DataType]  # value = <DataType.UINT8: 0>
    UINT16: ClassVar[DataType]  # value = <DataType.UINT16: 1>
    UINT32: ClassVar[DataType]  # value = <DataType.UINT32: 2>
    UINT64: ClassVar[DataType]  # value = <DataType.UINT64: 3>
    INT8: ClassVar[DataType]  # value = <DataType.INT8: 4>
    INT16: ClassVar[DataType]  # value = <DataType.INT16: 5>
    INT32: ClassVar[DataType]  # value = <DataType.INT32: 6>
    INT64: ClassVar[DataType]  # value = <DataType.INT64: 7>
    FLOAT32: ClassVar[DataType]  # value = <DataType.FLOAT32: 8>
    FLOAT64: ClassVar[DataType]  # value = <DataType.FLOAT64: 9>
    __members__: ClassVar[Dict[str, DataType]]

class LogLevel(_Enum):
    """Severity level to filter logs by.

    Attributes:
      DEBUG: Detailed information for debugging purposes.
      INFO: Informational messages.
      WARNING: Warnings.
      ERROR: Errors.
      NONE: Disable logging.
    """

    DEBUG: ClassVar[LogLevel]  # value = <LogLevel.DEBUG: 0>
    INFO: ClassVar[LogLevel]  # value = <LogLevel.INFO: 1>
    WARNING: ClassVar[LogLevel]  # value = <LogLevel.WARNING: 2>
    ERROR: ClassVar[LogLevel]  # value = <LogLevel.ERROR: 3>
    NONE: ClassVar[LogLevel]  # value = <LogLevel.NONE: 4>
    __members__: ClassVar[Dict[str, LogLevel]]

class Compressor(_Enum):
    """Compressor to use, if any.

    Attributes:
      NONE: No compression.
      BLOSC1: Blosc compressor (codec BLOSC_LZ4 or BLOSC_ZSTD).
      ZSTD: Zstandard compressor (codec ZSTD).
    """

    NONE: ClassVar[Compressor]  # value = <Compressor.NONE: 0>
    BLOSC1: ClassVar[Compressor]  # value = <Compressor.BLOSC1: 1>
    ZSTD: ClassVar[Compressor]  # value = <Compressor.ZSTD: 2>
    __members__: ClassVar[Dict[str, Compressor]]

class CompressionCodec(_Enum):
    """Codec to use for compression, if any.

    Attributes:
      NONE: No compression.
      BLOSC_LZ4: LZ4 compression using Blosc.
      BLOSC_ZSTD: Zstd compression using Blosc.
      ZSTD: Zstandard compression (with Compressor.ZSTD).
    """

    NONE: ClassVar[CompressionCodec]  # value = <CompressionCodec.NONE: 0>
    BLOSC_LZ4: ClassVar[CompressionCodec]  # value = <CompressionCodec.BLOSC_LZ4: 1>
    BLOSC_ZSTD: ClassVar[CompressionCodec]  # value = <CompressionCodec.BLOSC_ZSTD: 2>
    ZSTD: ClassVar[CompressionCodec]  # value = <CompressionCodec.ZSTD: 3>
    __members__: ClassVar[Dict[str, CompressionCodec]]

class DimensionType(_Enum):
    """Type of dimension.

    Attributes:
      SPACE: Spatial dimension.
      CHANNEL: Channel dimension.
      TIME: Time dimension.
      OTHER: Other dimension.
    """

    SPACE: ClassVar[DimensionType]  # value = <DimensionType.SPACE: 0>
    CHANNEL: ClassVar[DimensionType]  # value = <DimensionType.CHANNEL: 1>
    TIME: ClassVar[DimensionType]  # value = <DimensionType.TIME: 2>
    OTHER: ClassVar[DimensionType]  # value = <DimensionType.OTHER: 3>
    __members__: ClassVar[Dict[str, DimensionType]]

class DownsamplingMethod(_Enum):
    """Method used to downsample frames into pyramid levels.

    There is deliberately no ``NONE`` member: "no downsampling" is spelled
    ``None`` (``ArraySettings.downsampling_method`` is optional).

    Attributes:
      DECIMATE: Take the top-left pixel of each 2x2 (or 2x2x2) block.
      MEAN: Take the mean of each block.
      MIN: Take the minimum of each block.
      MAX: Take the maximum of each block.
    """

    DECIMATE: ClassVar[DownsamplingMethod]  # value = <DownsamplingMethod.DECIMATE: 1>
    MEAN: ClassVar[DownsamplingMethod]  # value = <DownsamplingMethod.MEAN: 2>
    MIN: ClassVar[DownsamplingMethod]  # value = <DownsamplingMethod.MIN: 3>
    MAX: ClassVar[DownsamplingMethod]  # value = <DownsamplingMethod.MAX: 4>
    __members__: ClassVar[Dict[str, DownsamplingMethod]]

# ---------------------------------------------------------------------------
# Settings
#
# All settings classes take keyword arguments only (an unknown keyword raises
# TypeError naming it; None for a non-optional field means its default), have
# typed attributes (a wrong type raises TypeError, a value the C API cannot
# hold raises InvalidSettingsError), compare by value, and copy on assignment:
# assigning a settings object or list stores a copy.
# ---------------------------------------------------------------------------

class Dimension:
    """Properties of a dimension of the output array.

    Attributes:
        name (str, default ''): Name of the dimension, e.g. "t", "c", "z", "y",
            "x".
        kind (DimensionType, default DimensionType.SPACE): Type of the
            dimension (``type`` is an alias).
        type (DimensionType): Alias of ``kind``.
        unit (Optional[str], default None): Physical unit as a UDUNITS name
            (e.g. "micrometer", "millisecond"), or None.
        scale (float, default 1.0): Physical size of one pixel along this
            dimension, in ``unit``s (> 0).
        array_size_px (int, default 0): Size of the array along this dimension.
            0 on the first dimension only means unbounded (the append
            dimension).
        chunk_size_px (int, default 0): Size of a chunk along this dimension (>
            0).
        shard_size_chunks (int, default 0): Chunks per shard along this
            dimension (> 0 for Zarr v3; ignored for v2).
    """

    name: str
    kind: DimensionType
    type: DimensionType
    unit: Optional[str]
    scale: float
    array_size_px: int
    chunk_size_px: int
    shard_size_chunks: int

    def __init__(
        self,
        *,
        name: Optional[str] = ...,
        kind: Optional[DimensionType] = ...,
        type: Optional[DimensionType] = ...,
        unit: Optional[str] = ...,
        scale: Optional[float] = ...,
        array_size_px: Optional[int] = ...,
        chunk_size_px: Optional[int] = ...,
        shard_size_chunks: Optional[int] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class CompressionSettings:
    """Settings for compressing chunks during acquisition.

    Attributes:
        compressor (Compressor, default Compressor.NONE): Compressor to use.
        codec (CompressionCodec, default CompressionCodec.NONE): Codec to use;
            BLOSC1 takes BLOSC_LZ4 or BLOSC_ZSTD, ZSTD takes ZSTD.
        level (int, default 1): Compression level (Blosc 0-9, Zstd 1-22).
        shuffle (int, default 0): 0 no shuffle, 1 byte shuffle, 2 bit shuffle
            (Blosc only).
    """

    compressor: Compressor
    codec: CompressionCodec
    level: int
    shuffle: int

    def __init__(
        self,
        *,
        compressor: Optional[Compressor] = ...,
        codec: Optional[CompressionCodec] = ...,
        level: Optional[int] = ...,
        shuffle: Optional[int] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class S3Settings:
    """Settings for connecting to and storing data in S3.

    Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    AWS_SESSION_TOKEN, else the shared credentials file
    (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE).

    Attributes:
        endpoint (str, default ''): Endpoint URL, with scheme and optional
            port.
        bucket_name (str, default ''): Name of the bucket.
        region (Optional[str], default None): Region, or None.
    """

    endpoint: str
    bucket_name: str
    region: Optional[str]

    def __init__(
        self,
        *,
        endpoint: Optional[str] = ...,
        bucket_name: Optional[str] = ...,
        region: Optional[str] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class ArraySettings:
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

    Attributes:
        output_key (str, default ''): Path of the array (or multiscales group)
            within the store: ``/``-separated node names of letters, digits,
            ``_``, ``.``, ``-``. Empty for the store root. Must be unset (empty
            or None) for the array of a FieldOfView.
        dimensions (List[Dimension], default []): Dimensions, slowest to
            fastest changing (e.g. [t, c, y, x]); the last two must be SPACE. A
            frame is one image of the last two.
        data_type (DataType, default DataType.UINT8): The pixel data type: a
            DataType, or anything numpy.dtype() maps to one of the ten
            supported types (reads back as a DataType).
        compression (Optional[CompressionSettings], default None): Chunk
            compression, or None for none.
        downsampling_method (Optional[DownsamplingMethod], default None):
            Pyramid downsampling method, or None for no pyramid.
        max_levels (int, default 0): Cap on the number of downsampled levels (0
            = no cap).
        storage_dimension_order (List[str], default []): Dimension names in the
            order they are stored, if different from the acquisition order in
            ``dimensions`` (e.g. to store t, c, z, y, x as OME-NGFF wants). The
            first dimension must stay first; the last two may only swap with
            each other. Empty = acquisition order.
        is_ngff (bool, default False): Wrap the array in an OME-NGFF
            multiscales group. Reads True while a downsampling method is set,
            whatever was assigned; clearing the method restores the assigned
            value.
    """

    output_key: str
    dimensions: List[Dimension]
    data_type: DataType
    compression: Optional[CompressionSettings]
    downsampling_method: Optional[DownsamplingMethod]
    max_levels: int
    storage_dimension_order: List[str]
    is_ngff: bool

    def __init__(
        self,
        *,
        output_key: Optional[str] = ...,
        dimensions: Optional[List[Dimension]] = ...,
        data_type: Optional[_DTypeLike] = ...,
        compression: Optional[CompressionSettings] = ...,
        downsampling_method: Optional[DownsamplingMethod] = ...,
        max_levels: Optional[int] = ...,
        storage_dimension_order: Optional[List[str]] = ...,
        is_ngff: Optional[bool] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class FieldOfView:
    """Field of view of an HCS well.

    Attributes:
        path (str, default ''): Path of the field of view within its well.
        acquisition_id (Optional[int], default None): ID of the Acquisition
            this field belongs to, or None.
        array_settings (ArraySettings, default ArraySettings()): The field's
            array. Its ``output_key`` must be unset; it is always written as an
            OME-NGFF multiscales group.
    """

    path: str
    acquisition_id: Optional[int]
    array_settings: ArraySettings

    def __init__(
        self,
        *,
        path: Optional[str] = ...,
        acquisition_id: Optional[int] = ...,
        array_settings: Optional[ArraySettings] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class Well:
    """Well of an HCS plate.

    Attributes:
        row_name (str, default ''): Row of the well (one of the plate's
            row_names), e.g. "A".
        column_name (str, default ''): Column of the well (one of the plate's
            column_names), e.g. "1".
        images (List[FieldOfView], default []): Fields of view in the well.
    """

    row_name: str
    column_name: str
    images: List[FieldOfView]

    def __init__(
        self,
        *,
        row_name: Optional[str] = ...,
        column_name: Optional[str] = ...,
        images: Optional[List[FieldOfView]] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class Acquisition:
    """Acquisition metadata of an HCS plate.

    Attributes:
        id (int, default 0): Identifier of the acquisition.
        name (Optional[str], default None): Name, or None.
        description (Optional[str], default None): Description, or None.
        start_time (Optional[int], default None): Start time (epoch integer),
            or None.
        end_time (Optional[int], default None): End time (epoch integer), or
            None.
    """

    id: int
    name: Optional[str]
    description: Optional[str]
    start_time: Optional[int]
    end_time: Optional[int]

    def __init__(
        self,
        *,
        id: Optional[int] = ...,
        name: Optional[str] = ...,
        description: Optional[str] = ...,
        start_time: Optional[int] = ...,
        end_time: Optional[int] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class Plate:
    """High-content-screening (OME-NGFF) plate.

    Attributes:
        path (str, default ''): Path of the plate within the store.
        name (str, default ''): Name of the plate.
        row_names (List[str], default []): Row names, e.g. ["A", "B", "C"].
        column_names (List[str], default []): Column names, e.g. ["1", "2",
            "3"].
        wells (List[Well], default []): Wells of the plate.
        acquisitions (List[Acquisition], default []): Acquisitions of the
            plate.
    """

    path: str
    name: str
    row_names: List[str]
    column_names: List[str]
    wells: List[Well]
    acquisitions: List[Acquisition]

    def __init__(
        self,
        *,
        path: Optional[str] = ...,
        name: Optional[str] = ...,
        row_names: Optional[List[str]] = ...,
        column_names: Optional[List[str]] = ...,
        wells: Optional[List[Well]] = ...,
        acquisitions: Optional[List[Acquisition]] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class StreamSettings:
    """Settings for configuring a Zarr stream.

    Attributes:
        store_path (str, default ''): Path of the store on the filesystem (a
            str or os.PathLike, read back as a str), or the key prefix in the
            bucket for S3.
        s3 (Optional[S3Settings], default None): S3 settings, or None to write
            to the local filesystem.
        version (ZarrVersion, default ZarrVersion.V3): Zarr format version.
        max_threads (int, default 0): Worker threads; 0 means the
            ZARR_MAX_THREADS environment variable if set, else all hardware
            threads.
        overwrite (bool, default False): If True, remove whatever is at
            store_path first; if False, add to an existing store (but never
            replace an existing array).
        arrays (List[ArraySettings], default []): The arrays to write.
        plates (List[Plate], default []): HCS plates to write (``hcs_plates``
            is an alias).
        hcs_plates (List[Plate]): Alias of ``plates``.
        custom_metadata (Optional[str], default None): Optional JSON object
            (str or dict, stored as a JSON str) merged into the attributes of
            the stream's only array when the stream is created.

    Single-array shorthand (the README's older form): these fields of
    ArraySettings, set directly on the stream settings, describe one more
    array, written before those in ``arrays``:

        output_key (str, default ''): ArraySettings.output_key.
        dimensions (List[Dimension], default []): ArraySettings.dimensions.
        data_type (DataType, default DataType.UINT8): ArraySettings.data_type.
        compression (Optional[CompressionSettings], default None):
            ArraySettings.compression.
        downsampling_method (Optional[DownsamplingMethod], default None):
            ArraySettings.downsampling_method.

    Note:
        For S3 with endpoint "https://s3.example.com", bucket "my-bucket" and
        store_path "my-dataset.zarr", the data goes to
        "https://s3.example.com/my-bucket/my-dataset.zarr".
    """

    store_path: str
    s3: Optional[S3Settings]
    version: ZarrVersion
    max_threads: int
    overwrite: bool
    arrays: List[ArraySettings]
    plates: List[Plate]
    hcs_plates: List[Plate]
    custom_metadata: Optional[str]
    # Single-array shorthand:
    output_key: str
    dimensions: List[Dimension]
    data_type: DataType
    compression: Optional[CompressionSettings]
    downsampling_method: Optional[DownsamplingMethod]

    def __init__(
        self,
        *,
        store_path: Optional[Union[str, os.PathLike[str]]] = ...,
        s3: Optional[S3Settings] = ...,
        version: Optional[ZarrVersion] = ...,
        max_threads: Optional[int] = ...,
        overwrite: Optional[bool] = ...,
        arrays: Optional[List[ArraySettings]] = ...,
        plates: Optional[List[Plate]] = ...,
        hcs_plates: Optional[List[Plate]] = ...,
        custom_metadata: Optional[Union[str, Dict[str, Any]]] = ...,
        output_key: Optional[str] = ...,
        dimensions: Optional[List[Dimension]] = ...,
        data_type: Optional[_DTypeLike] = ...,
        compression: Optional[CompressionSettings] = ...,
        downsampling_method: Optional[DownsamplingMethod] = ...,
    ) -> None: ...
    def __repr__(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def get_maximum_memory_usage(self) -> int:
        """Get the maximum memory usage of the stream in bytes."""
    def get_array_keys(self) -> List[str]:
        """Get the list of array keys configured in this stream."""
    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> StreamSettings:
        """Load stream settings from a YAML or JSON config file.

        Read by the C loader, whatever the file's extension (JSON is YAML).
        Raises OSError if the file cannot be read, InvalidSettingsError (a
        ValueError) naming the file, the field, the value and the line.
        """
    @staticmethod
    def from_string(text: str) -> StreamSettings:
        """Load stream settings from a JSON or YAML config string.

        Read by the C loader (``ZarrStreamSettings_load_from_string``);
        version-1 documents are migrated. Raises InvalidSettingsError (a
        ValueError) naming the field, the value and the line.
        """
    @staticmethod
    def from_dict(data: Dict[str, Any]) -> StreamSettings:
        """Build stream settings from a config dict (same schema as files).

        The dict is read as its JSON text by the C loader. Raises
        InvalidSettingsError (a ValueError) naming the path of an unknown
        key or a bad value.
        """
    def to_dict(self) -> Dict[str, Any]:
        """Serialize stream settings to a config dict (the parsed JSON).

        ``StreamSettings.from_dict(s.to_dict()) == s``, except that a
        document holds no ``custom_metadata`` and writes the single-array
        shorthand as the first of ``arrays``.
        """
    def to_file(self, path: Union[str, os.PathLike[str]]) -> None:
        """Dump settings to a config file (``.json`` -> JSON, else YAML)."""
    def to_yaml(self) -> str:
        """Serialize stream settings to a YAML string."""
    def to_json(self) -> str:
        """Serialize stream settings to a JSON string."""

# ---------------------------------------------------------------------------
# The stream
# ---------------------------------------------------------------------------

class ZarrStream:
    """An output stream to a Zarr store.

    Creating it validates the settings (raising InvalidSettingsError, which
    is a RuntimeError and a ValueError, naming the field at fault; nothing is
    written then) and creates the store. Close it with ``close()`` or use it
    as a context manager; a stream still open at interpreter exit is closed
    then.
    """

    def __init__(self, settings: StreamSettings) -> None:
        """Validate ``settings`` and open the stream, creating the store.

        Raises:
            TypeError: ``settings`` is not a StreamSettings.
            InvalidSettingsError: a setting is invalid; the message names the
                field and the value.
            AcquireZarrError: the store could not be created.
        """
    def append(
        self,
        data: Union[numpy.ndarray, numpy.generic, _Buffer],
        key: Optional[str] = None,
    ) -> None:
        """Append data to the array ``key`` (optional when there is one).

        Takes any number of bytes: part of a frame, one frame or many frames;
        pieces are joined across calls. A numpy array of any layout is written
        in its logical C order. A ``uint8`` array, like ``bytes``,
        ``bytearray`` and ``memoryview``, is taken as raw bytes whatever the
        array's data type (camera SDKs hand frames over as
        ``numpy.frombuffer(buffer, numpy.uint8)``); a numpy array of any other
        dtype must have the array's data type. The GIL is released while the
        engine works.

        Raises:
            TypeError: ``data`` is neither a numpy array nor a buffer, or is a
                numpy array whose dtype is neither uint8 nor the array's data
                type (``data.astype(...)`` converts the values,
                ``data.view(...)`` reinterprets the bytes).
            AcquireZarrError: the engine refused the data, e.g. with status
                ``"WriteOutOfBounds"`` past the end of a bounded array
                (everything before is kept), or the stream is closed.
        """
    def skip(self, n_bytes: int, key: Optional[str] = None) -> None:
        """Advance the array ``key`` as if ``n_bytes`` zero bytes were
        appended (e.g. for dropped frames).
        """
    def write_custom_metadata(
        self,
        metadata: Union[str, Dict[str, Any]],
        *,
        array_key: Optional[str] = None,
        metadata_key: Optional[str] = None,
    ) -> bool:
        """Merge a JSON object into the attributes of the node ``array_key``.

        ``metadata`` is a JSON string or a dict. With ``metadata_key`` it goes
        under ``attributes[metadata_key]``, else it is merged into the
        attributes directly. The key ``"ome"`` is reserved. Returns True;
        raises on failure.
        """
    def is_active(self) -> bool:
        """True until the stream is closed."""
    def get_array_keys(self) -> List[str]:
        """The keys of the stream's arrays, as ``append(key=...)`` takes them.

        Flat arrays first, then HCS fields of view as
        ``"plate/row/column/field"``.
        """
    def get_current_memory_usage(self) -> int:
        """Get the current memory usage of the stream in bytes."""
    def close(self) -> None:
        """Flush everything and finalise the store.

        Raises AcquireZarrError (a RuntimeError) if any write failed. A second
        call does nothing; after closing, ``append`` raises.
        """
    def __enter__(self) -> ZarrStream: ...
    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> bool: ...
    def __repr__(self) -> str: ...

def get_log_level() -> LogLevel:
    """Get the current log level for the Zarr API."""

def set_log_level(level: LogLevel) -> None:
    """Set the log level for the Zarr API.

    Engine log lines at or above it go to the ``logging`` logger
    ``"acquire_zarr"`` (which has only a NullHandler: configure logging,
    e.g. ``logging.basicConfig()``, to see them). ``LogLevel.NONE`` turns
    them off.
    """

# Whole arrays to OME-Zarr, pyramids and OME metadata for existing stores:
# typed inline in their modules.
from .convert import ConversionResult as ConversionResult
from .convert import SourceInfo as SourceInfo
from .convert import open_source as open_source
from .convert import to_ome_zarr as to_ome_zarr
from .layout import Layout as Layout
from .layout import auto_layout as auto_layout
from .ome_metadata import write_ome_metadata as write_ome_metadata
from .pyramid import add_pyramid as add_pyramid

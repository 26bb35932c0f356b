"""Stream camera frames into Zarr v2/v3 stores.

Describe the store with :class:`StreamSettings` (one or more
:class:`ArraySettings`, each with its :class:`Dimension` list), open a
:class:`ZarrStream` and ``append`` frames to it::

    import acquire_zarr as aqz
    import numpy as np

    settings = aqz.StreamSettings(
        store_path="out.zarr",
        arrays=[
            aqz.ArraySettings(
                data_type=np.uint16,
                dimensions=[
                    aqz.Dimension(name="t", kind=aqz.DimensionType.TIME,
                                  array_size_px=0, chunk_size_px=32, shard_size_chunks=1),
                    aqz.Dimension(name="y", kind=aqz.DimensionType.SPACE,
                                  array_size_px=512, chunk_size_px=256, shard_size_chunks=2),
                    aqz.Dimension(name="x", kind=aqz.DimensionType.SPACE,
                                  array_size_px=512, chunk_size_px=256, shard_size_chunks=2),
                ],
            )
        ],
    )
    with aqz.ZarrStream(settings) as stream:
        stream.append(np.zeros((10, 512, 512), np.uint16))

The engine's log lines go to the ``logging`` logger ``"acquire_zarr"``
(not to stderr). As a library should, the package gives that logger only a
``logging.NullHandler``: nothing is printed unless the application configures
logging (e.g. ``logging.basicConfig()``). Errors are raised as exceptions
carrying the message either way.
"""

from __future__ import annotations

import logging as _logging

from ._errors import AcquireZarrError, InvalidSettingsError
from ._acquire_zarr import (
    CompressionCodec,
    Compressor,
    DataType,
    DimensionType,
    DownsamplingMethod,
    LogLevel,
    ZarrStream,
    ZarrVersion,
    __version__,
    get_log_level,
    set_log_level,
)
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

# Whole arrays to OME-Zarr, and pyramids / OME metadata for existing stores
# (pure Python over the engine; see the README's "Converting whole arrays").
from .convert import ConversionResult, SourceInfo, open_source, to_ome_zarr
from .layout import Layout, auto_layout
from .ome_metadata import write_ome_metadata
from .pyramid import add_pyramid

__all__ = [
    "AcquireZarrError",
    "ConversionResult",
    "Layout",
    "SourceInfo",
    "add_pyramid",
    "auto_layout",
    "open_source",
    "to_ome_zarr",
    "write_ome_metadata",
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

# Public names report the package, not the private module that defines them
# (as in the published package; pickles then refer to acquire_zarr.X).
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj

# The engine hands its log lines to this logger instead of printing them to
# stderr (see LogBridge.cpp). Library practice: a NullHandler, so that
# nothing is printed (not even by logging's last-resort handler) unless the
# application configures logging; errors reach the user as exceptions.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())

// acquire_zarr._acquire_zarr: the enums, ZarrStream and the few C API calls
// the pure-Python settings classes need. Everything goes through the C API
// (acquire.zarr.h); the package's __init__.py re-exports the public names.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "CSettings.hpp"
#include "Documents.hpp"
#include "Gil.hpp"
#include "LogBridge.hpp"
#include "Stream.hpp"
#include "errors.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#ifndef AQZ_PYTHON_VERSION
#define AQZ_PYTHON_VERSION "0.0.0"
#endif

namespace py = pybind11;
using aqz_python::CSettings;
using aqz_python::Stream;

// Parameters taken as any Python object (the functions check them
// themselves, with messages of their own), but named in the signatures that
// pybind11 writes into the docstrings by what they accept.
namespace aqz_python {
inline int
accept_any(PyObject* /*object*/)
{
    return 1;
}
#define AQZ_ANY_OBJECT(Name)                                                   \
    class Name : public py::object                                             \
    {                                                                          \
      public:                                                                  \
        PYBIND11_OBJECT_DEFAULT(Name, object, accept_any)                      \
    };
AQZ_ANY_OBJECT(SettingsArg)
AQZ_ANY_OBJECT(DataArg)
AQZ_ANY_OBJECT(CountArg)
AQZ_ANY_OBJECT(MetadataArg)
AQZ_ANY_OBJECT(ExcTypeArg)
AQZ_ANY_OBJECT(ExcValueArg)
AQZ_ANY_OBJECT(TracebackArg)
#undef AQZ_ANY_OBJECT
} // namespace aqz_python

#define AQZ_TYPE_NAME(Name, text)                                              \
    template<>                                                                 \
    struct pybind11::detail::handle_type_name<aqz_python::Name>                \
    {                                                                          \
        static constexpr auto name = const_name(text);                         \
    };
AQZ_TYPE_NAME(SettingsArg, "acquire_zarr.StreamSettings")
AQZ_TYPE_NAME(DataArg, "numpy.ndarray | bytes | bytearray | memoryview")
AQZ_TYPE_NAME(CountArg, "int")
AQZ_TYPE_NAME(MetadataArg, "str | dict")
AQZ_TYPE_NAME(ExcTypeArg, "type[BaseException] | None")
AQZ_TYPE_NAME(ExcValueArg, "BaseException | None")
AQZ_TYPE_NAME(TracebackArg, "types.TracebackType | None")
#undef AQZ_TYPE_NAME

namespace {

void
set_log_level(ZarrLogLevel level)
{
    ZarrStatusCode status;
    std::string error;
    {
        aqz_python::GilRelease nogil; // the engine may log while holding locks
        status = Zarr_set_log_level(level);
        if (status != ZarrStatusCode_Success) {
            error = Zarr_get_last_error();
        }
    }
    if (status != ZarrStatusCode_Success) {
        aqz_python::raise_status(status, "set_log_level", error);
    }
}

ZarrLogLevel
get_log_level()
{
    aqz_python::GilRelease nogil;
    return Zarr_get_log_level();
}

size_t
estimate_max_memory_usage(const py::dict& lowered)
{
    CSettings settings(lowered);
    size_t usage = 0;
    ZarrStatusCode status;
    std::string error;
    {
        aqz_python::GilRelease nogil;
        status =
          ZarrStreamSettings_estimate_max_memory_usage(settings.get(), &usage);
        if (status != ZarrStatusCode_Success) {
            error = Zarr_get_last_error();
        }
    }
    if (status != ZarrStatusCode_Success) {
        aqz_python::raise_status(
          status, "StreamSettings.get_maximum_memory_usage", error);
    }
    return usage;
}

std::vector<std::string>
get_array_keys(const py::dict& lowered)
{
    CSettings settings(lowered);
    std::vector<std::string> keys;
    ZarrStatusCode status = ZarrStatusCode_Success;
    std::string error;
    {
        aqz_python::GilRelease nogil;
        const size_t count = ZarrStreamSettings_get_array_count(settings.get());
        for (size_t i = 0; i < count; ++i) {
            char* key = nullptr;
            status = ZarrStreamSettings_get_array_key(settings.get(), i, &key);
            if (status != ZarrStatusCode_Success) {
                error = Zarr_get_last_error();
                break;
            }
            keys.emplace_back(key ? key : "");
            std::free(key); // malloc'd by the engine
        }
    }
    if (status != ZarrStatusCode_Success) {
        aqz_python::raise_status(status, "StreamSettings.get_array_keys", error);
    }
    return keys;
}

// atexit hook. Runs before finalization begins, with the GIL.
void
shutdown()
{
    // Stop engine threads from taking the GIL first: closing streams joins
    // them, and none may wait for the GIL once the interpreter finalizes.
    // Their log lines still reach stderr.
    aqz_python::uninstall_log_bridge();
    // Let Python threads coming back from engine calls through, then park
    // any later ones (see Gil.hpp).
    aqz_python::begin_exit();
    // Flush streams that were never closed; data accepted is not dropped.
    Stream::close_all();
}

// pybind11 computes an enum's __doc__ (with the list of members) on access,
// through a static property that pydoc does not read, so help() showed no
// description. Store the text itself once all members are defined; the
// type's own setattr is used because pybind11's would call the property.
void
freeze_enum_doc(const py::handle& type)
{
    const py::str doc(type.attr("__doc__"));
    const py::str name("__doc__");
    if (PyType_Type.tp_setattro(type.ptr(), name.ptr(), doc.ptr()) != 0) {
        throw py::error_already_set();
    }
}

// Docstrings of ZarrStream; keep them equal to those in __init__.pyi
// (tests/python/test_docs.py compares them).
constexpr const char* stream_doc = R"doc(An output stream to a Zarr store.

Creating it validates the settings (raising InvalidSettingsError, which
is a RuntimeError and a ValueError, naming the field at fault; nothing is
written then) and creates the store. Close it with ``close()`` or use it
as a context manager; a stream still open at interpreter exit is closed
then.)doc";

constexpr const char* init_doc =
  R"doc(Validate ``settings`` and open the stream, creating the store.

Raises:
    TypeError: ``settings`` is not a StreamSettings.
    InvalidSettingsError: a setting is invalid; the message names the
        field and the value.
    AcquireZarrError: the store could not be created.)doc";

constexpr const char* append_doc =
  R"doc(Append data to the array ``key`` (optional when there is one).

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
        (everything before is kept), or the stream is closed.)doc";

constexpr const char* skip_doc =
  R"doc(Advance the array ``key`` as if ``n_bytes`` zero bytes were
appended (e.g. for dropped frames).)doc";

constexpr const char* write_custom_metadata_doc =
  R"doc(Merge a JSON object into the attributes of the node ``array_key``.

``metadata`` is a JSON string or a dict. With ``metadata_key`` it goes
under ``attributes[metadata_key]``, else it is merged into the
attributes directly. The key ``"ome"`` is reserved. Returns True;
raises on failure.)doc";

constexpr const char* get_array_keys_doc =
  R"doc(The keys of the stream's arrays, as ``append(key=...)`` takes them.

Flat arrays first, then HCS fields of view as
``"plate/row/column/field"``.)doc";

constexpr const char* close_doc = R"doc(Flush everything and finalise the store.

Raises AcquireZarrError (a RuntimeError) if any write failed. A second
call does nothing; after closing, ``append`` raises.)doc";

constexpr const char* exit_doc =
  R"doc(Close the stream. A failure to close while an exception is already
propagating is logged rather than raised; the exception is never
swallowed.)doc";

constexpr const char* set_log_level_doc =
  R"doc(Set the log level for the Zarr API.

Engine log lines at or above it go to the ``logging`` logger
``"acquire_zarr"`` (which has only a NullHandler: configure logging,
e.g. ``logging.basicConfig()``, to see them). ``LogLevel.NONE`` turns
them off.)doc";

} // namespace

PYBIND11_MODULE(_acquire_zarr, m)
{
    m.doc() = "Native core of acquire_zarr; import acquire_zarr instead.";
    m.attr("__version__") = AQZ_PYTHON_VERSION;

    // pybind11 names types and signatures after the defining module's
    // __name__; the public names live in `acquire_zarr`, so say that.
    const py::object module_name = m.attr("__name__");
    m.attr("__name__") = "acquire_zarr";

    py::enum_<ZarrVersion>(m, "ZarrVersion", py::arithmetic(), "Zarr format version.")
      .value("V2", ZarrVersion_2, "Zarr format version 2 (deprecated).")
      .value("V3", ZarrVersion_3, "Zarr format version 3.");

    py::enum_<ZarrDataType>(
      m, "DataType", py::arithmetic(), "Data type used in the stream.")
      .value("UINT8", ZarrDataType_uint8, "Unsigned 8-bit integer.")
      .value("UINT16", ZarrDataType_uint16, "Unsigned 16-bit integer.")
      .value("UINT32", ZarrDataType_uint32, "Unsigned 32-bit integer.")
      .value("UINT64", ZarrDataType_uint64, "Unsigned 64-bit integer.")
      .value("INT8", ZarrDataType_int8, "Signed 8-bit integer.")
      .value("INT16", ZarrDataType_int16, "Signed 16-bit integer.")
      .value("INT32", ZarrDataType_int32, "Signed 32-bit integer.")
      .value("INT64", ZarrDataType_int64, "Signed 64-bit integer.")
      .value("FLOAT32", ZarrDataType_float32, "Single precision floating point.")
      .value("FLOAT64", ZarrDataType_float64, "Double precision floating point.");

    py::enum_<ZarrLogLevel>(
      m, "LogLevel", py::arithmetic(), "Severity level to filter logs by.")
      .value("DEBUG", ZarrLogLevel_Debug, "Detailed information for debugging.")
      .value("INFO", ZarrLogLevel_Info, "Informational messages.")
      .value("WARNING", ZarrLogLevel_Warning, "Warnings.")
      .value("ERROR", ZarrLogLevel_Error, "Errors.")
      .value("NONE", ZarrLogLevel_None, "Disable logging.");

    py::enum_<ZarrCompressor>(
      m, "Compressor", py::arithmetic(), "Compressor to use, if any.")
      .value("NONE", ZarrCompressor_None, "No compression.")
      .value("BLOSC1", ZarrCompressor_Blosc1, "Blosc compressor.")
      .value("ZSTD", ZarrCompressor_Zstd, "Zstandard compressor.");

    py::enum_<ZarrCompressionCodec>(
      m, "CompressionCodec", py::arithmetic(), "Codec to use for compression, if any.")
      .value("NONE", ZarrCompressionCodec_None, "No compression.")
      .value("BLOSC_LZ4", ZarrCompressionCodec_BloscLZ4, "LZ4 compression using Blosc.")
      .value("BLOSC_ZSTD", ZarrCompressionCodec_BloscZstd, "Zstd compression using Blosc.")
      .value("ZSTD", ZarrCompressionCodec_Zstd, "Zstandard compression (Compressor.ZSTD).");

    py::enum_<ZarrDimensionType>(
      m, "DimensionType", py::arithmetic(), "Type of dimension.")
      .value("SPACE", ZarrDimensionType_Space, "Spatial dimension.")
      .value("CHANNEL", ZarrDimensionType_Channel, "Channel dimension.")
      .value("TIME", ZarrDimensionType_Time, "Time dimension.")
      .value("OTHER", ZarrDimensionType_Other, "Other dimension.");

    // No NONE member: "no pyramid" is spelled None in Python.
    py::enum_<ZarrDownsamplingMethod>(m,
                                      "DownsamplingMethod",
                                      py::arithmetic(),
                                      "Method used to downsample frames.")
      .value("DECIMATE",
             ZarrDownsamplingMethod_Decimate,
             "Take the top-left pixel of each 2x2(x2) block.")
      .value("MEAN", ZarrDownsamplingMethod_Mean, "Take the mean of each block.")
      .value("MIN", ZarrDownsamplingMethod_Min, "Take the minimum of each block.")
      .value("MAX", ZarrDownsamplingMethod_Max, "Take the maximum of each block.");

    for (const char* name : { "ZarrVersion",
                              "DataType",
                              "LogLevel",
                              "Compressor",
                              "CompressionCodec",
                              "DimensionType",
                              "DownsamplingMethod" }) {
        freeze_enum_doc(m.attr(name));
    }

    using namespace aqz_python;
    py::class_<Stream>(m, "ZarrStream", stream_doc)
      .def(py::init([](const SettingsArg& settings) {
               return std::make_unique<Stream>(settings);
           }),
           py::arg("settings"),
           init_doc)
      .def(
        "append",
        [](Stream& self, const DataArg& data, const std::optional<std::string>& key) {
            self.append(data, key);
        },
        py::arg("data"),
        py::arg("key") = py::none(),
        append_doc)
      .def(
        "skip",
        [](Stream& self, const CountArg& n_bytes, const std::optional<std::string>& key) {
            self.skip(n_bytes, key);
        },
        py::arg("n_bytes"),
        py::arg("key") = py::none(),
        skip_doc)
      .def(
        "write_custom_metadata",
        [](Stream& self,
           const MetadataArg& metadata,
           const std::optional<std::string>& array_key,
           const std::optional<std::string>& metadata_key) {
            return self.write_custom_metadata(metadata, array_key, metadata_key);
        },
        py::arg("metadata"),
        py::kw_only(),
        py::arg("array_key") = py::none(),
        py::arg("metadata_key") = py::none(),
        write_custom_metadata_doc)
      .def("is_active", &Stream::is_active, "True until the stream is closed.")
      .def("get_array_keys", &Stream::get_array_keys, get_array_keys_doc)
      .def("get_current_memory_usage",
           &Stream::get_current_memory_usage,
           "Get the current memory usage of the stream in bytes.")
      .def("close", &Stream::close, close_doc)
      .def(
        "__enter__",
        [](Stream& self) -> Stream& { return self; },
        py::return_value_policy::reference_internal,
        "Return the stream itself.")
      .def(
        "__exit__",
        [](Stream& self,
           const ExcTypeArg& exc_type,
           const ExcValueArg& exc_value,
           const TracebackArg& traceback) {
            return self.exit(exc_type, exc_value, traceback);
        },
        py::arg("exc_type"),
        py::arg("exc_value"),
        py::arg("traceback"),
        exit_doc)
      .def("__repr__", &Stream::repr, "The store path and whether the stream is open.");

    m.def("set_log_level", &set_log_level, py::arg("level"), set_log_level_doc);
    m.def("get_log_level", &get_log_level, "Get the current log level for the Zarr API.");
    m.def("_estimate_max_memory_usage", &estimate_max_memory_usage, py::arg("lowered"));
    m.def("_get_array_keys", &get_array_keys, py::arg("lowered"));
    m.def("_shutdown", &shutdown);
    aqz_python::bind_documents(m);
    m.attr("__name__") = module_name;

    aqz_python::install_log_bridge();
    py::module_::import("atexit").attr("register")(m.attr("_shutdown"));
}

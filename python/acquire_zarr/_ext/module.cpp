// acquire_zarr._acquire_zarr: the enums, ZarrStream and the few C API calls
// the pure-Python settings classes need. Everything goes through the C API
// (acquire.zarr.h); the package's __init__.py re-exports the public names.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "CSettings.hpp"
#include "Gil.hpp"
#include "LogBridge.hpp"
#include "Stream.hpp"
#include "errors.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#ifndef AQZ_PYTHON_VERSION
#define AQZ_PYTHON_VERSION "0.0.0"
#endif

namespace py = pybind11;
using aqz_python::CSettings;
using aqz_python::Stream;

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

    py::class_<Stream>(m, "ZarrStream", "An output stream to a Zarr store.")
      .def(py::init<const py::object&>(),
           py::arg("settings"),
           "Validate `settings` and open the stream (creating the store).")
      .def("append",
           &Stream::append,
           py::arg("data"),
           py::arg("key") = py::none(),
           "Append data (any number of bytes) to the array `key`.")
      .def("skip",
           &Stream::skip,
           py::arg("n_bytes"),
           py::arg("key") = py::none(),
           "Advance the array `key` by `n_bytes` zero bytes (dropped frames).")
      .def("write_custom_metadata",
           &Stream::write_custom_metadata,
           py::arg("metadata"),
           py::kw_only(),
           py::arg("array_key") = py::none(),
           py::arg("metadata_key") = py::none(),
           "Merge a JSON object (str or dict) into a node's attributes.")
      .def("is_active", &Stream::is_active, "True until the stream is closed.")
      .def("get_array_keys",
           &Stream::get_array_keys,
           "The keys of the stream's arrays (HCS fields of view as "
           "'plate/row/column/field'), as append(key=) takes them.")
      .def("get_current_memory_usage",
           &Stream::get_current_memory_usage,
           "Get the current memory usage of the stream in bytes.")
      .def("close",
           &Stream::close,
           "Flush and finalise the store. Raises if any write failed; a "
           "second call does nothing.")
      .def("__enter__", [](const py::object& self) { return self; })
      .def("__exit__",
           &Stream::exit,
           py::arg("exc_type"),
           py::arg("exc_value"),
           py::arg("traceback"))
      .def("__repr__", &Stream::repr);

    m.def("set_log_level",
          &set_log_level,
          py::arg("level"),
          "Set the log level for the Zarr API.");
    m.def("get_log_level", &get_log_level, "Get the current log level for the Zarr API.");
    m.def("_estimate_max_memory_usage", &estimate_max_memory_usage, py::arg("lowered"));
    m.def("_get_array_keys", &get_array_keys, py::arg("lowered"));
    m.def("_shutdown", &shutdown);
    m.attr("__name__") = module_name;

    aqz_python::install_log_bridge();
    py::module_::import("atexit").attr("register")(m.attr("_shutdown"));
}

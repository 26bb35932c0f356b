#include "errors.hpp"

namespace py = pybind11;

namespace aqz_python {

const char*
status_name(ZarrStatusCode status)
{
    switch (status) {
        case ZarrStatusCode_Success:
            return "Success";
        case ZarrStatusCode_InvalidArgument:
            return "InvalidArgument";
        case ZarrStatusCode_Overflow:
            return "Overflow";
        case ZarrStatusCode_InvalidIndex:
            return "InvalidIndex";
        case ZarrStatusCode_NotYetImplemented:
            return "NotYetImplemented";
        case ZarrStatusCode_InternalError:
            return "InternalError";
        case ZarrStatusCode_OutOfMemory:
            return "OutOfMemory";
        case ZarrStatusCode_IOError:
            return "IOError";
        case ZarrStatusCode_CompressionError:
            return "CompressionError";
        case ZarrStatusCode_InvalidSettings:
            return "InvalidSettings";
        case ZarrStatusCode_WillNotOverwrite:
            return "WillNotOverwrite";
        case ZarrStatusCode_PartialWrite:
            return "PartialWrite";
        case ZarrStatusCode_WriteOutOfBounds:
            return "WriteOutOfBounds";
        case ZarrStatusCode_KeyNotFound:
            return "KeyNotFound";
        default:
            return "Unknown";
    }
}

void
raise_error(ErrorKind kind, const std::string& message, const char* status)
{
    // Imported per raise (a sys.modules lookup): errors are rare and this
    // avoids holding Python objects in C++ statics past finalization.
    py::object errors = py::module_::import("acquire_zarr._errors");
    py::object cls = errors.attr(kind == ErrorKind::InvalidValue
                                   ? "InvalidSettingsError"
                                   : "AcquireZarrError");
    // Messages quote what the caller gave (paths, keys), which need not be
    // valid UTF-8: never fail to raise because of that.
    auto text = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
      message.data(), static_cast<Py_ssize_t>(message.size()), "backslashreplace"));
    if (!text) {
        throw py::error_already_set();
    }
    py::object exc = status ? cls(text, py::str(status)) : cls(text, py::none());
    PyErr_SetObject(cls.ptr(), exc.ptr());
    throw py::error_already_set();
}

void
raise_status(ZarrStatusCode status,
             const std::string& operation,
             const std::string& last_error)
{
    // A bad argument or setting is a ValueError too; everything else (I/O,
    // out-of-bounds writes, not-yet-implemented features) only a RuntimeError.
    ErrorKind kind = ErrorKind::Runtime;
    switch (status) {
        case ZarrStatusCode_InvalidArgument:
        case ZarrStatusCode_Overflow:
        case ZarrStatusCode_InvalidIndex:
        case ZarrStatusCode_InvalidSettings:
        case ZarrStatusCode_KeyNotFound:
            kind = ErrorKind::InvalidValue;
            break;
        default:
            break;
    }
    // The engine's messages already name the C function and the field or
    // value at fault; only a bare status needs saying what was attempted.
    const std::string message =
      last_error.empty() ? operation + ": " + Zarr_get_status_message(status)
                         : last_error;
    raise_error(kind, message, status_name(status));
}

} // namespace aqz_python

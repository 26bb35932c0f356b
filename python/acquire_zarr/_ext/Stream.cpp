#include "Stream.hpp"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "CSettings.hpp"
#include "Gil.hpp"
#include "errors.hpp"

#include <unordered_set>

namespace py = pybind11;

namespace aqz_python {
namespace {

// Streams not yet closed, for close_all() at exit. The set is leaked on
// purpose: it may be used while static destructors run.
std::mutex&
registry_mutex()
{
    static std::mutex mutex;
    return mutex;
}

std::unordered_set<Stream*>&
registry()
{
    static auto* streams = new std::unordered_set<Stream*>();
    return *streams;
}

std::string
type_name(const py::handle& obj)
{
    return py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>();
}

const char*
numpy_name(ZarrDataType type)
{
    switch (type) {
        case ZarrDataType_uint8:
            return "uint8";
        case ZarrDataType_uint16:
            return "uint16";
        case ZarrDataType_uint32:
            return "uint32";
        case ZarrDataType_uint64:
            return "uint64";
        case ZarrDataType_int8:
            return "int8";
        case ZarrDataType_int16:
            return "int16";
        case ZarrDataType_int32:
            return "int32";
        case ZarrDataType_int64:
            return "int64";
        case ZarrDataType_float32:
            return "float32";
        case ZarrDataType_float64:
            return "float64";
        default:
            return nullptr;
    }
}

/// The text as a C string; `what` names it when it holds a NUL, which the
/// C API would take as its end (a key "a\0b" would address array "a").
const char*
c_str_or_null(const std::optional<std::string>& text, const char* what)
{
    if (text && text->find('\0') != std::string::npos) {
        raise_error(ErrorKind::InvalidValue,
                    std::string(what) + " contains a NUL character",
                    nullptr);
    }
    return text ? text->c_str() : nullptr;
}

// PyBuffer_Release needs the GIL: keep this outside the GIL-free scope.
class BufferView
{
  public:
    explicit BufferView(const py::object& obj)
    {
        if (PyObject_GetBuffer(obj.ptr(), &view_, PyBUF_C_CONTIGUOUS) != 0) {
            throw py::error_already_set();
        }
    }
    ~BufferView() { PyBuffer_Release(&view_); }
    BufferView(const BufferView&) = delete;
    BufferView& operator=(const BufferView&) = delete;

    const void* data() const { return view_.buf; }
    size_t size() const { return static_cast<size_t>(view_.len); }

  private:
    Py_buffer view_{};
};

} // namespace

Stream::Stream(const py::object& settings)
{
    py::object settings_type =
      py::module_::import("acquire_zarr._settings").attr("StreamSettings");
    if (!py::isinstance(settings, settings_type)) {
        throw py::type_error("ZarrStream() needs a StreamSettings, not " +
                             type_name(settings));
    }
    // What the engine would only refuse once the store exists.
    settings.attr("_check_before_create")();
    CSettings c_settings(settings.attr("_lower")().cast<py::dict>());
    array_types_ = c_settings.array_types();
    array_keys_ = settings.attr("get_array_keys")().cast<std::vector<std::string>>();
    store_path_ = c_settings.get()->store_path;

    ZarrStream* stream = nullptr;
    std::string error;
    ZarrStatusCode status = ZarrStatusCode_Success;
    {
        GilRelease nogil;
        stream = ZarrStream_create(c_settings.get());
        if (stream == nullptr) {
            error = Zarr_get_last_error();
            status = Zarr_get_last_status();
        }
    }
    if (stream == nullptr) {
        raise_status(status == ZarrStatusCode_Success ? ZarrStatusCode_InternalError
                                                      : status,
                     "ZarrStream(): could not create the stream",
                     error);
    }

    const std::string& metadata = c_settings.custom_metadata();
    if (!metadata.empty()) {
        ZarrStatusCode status;
        {
            GilRelease nogil;
            status = ZarrStream_write_custom_metadata(
              stream, nullptr, nullptr, metadata.c_str());
            if (status != ZarrStatusCode_Success) {
                error = Zarr_get_last_error();
                ZarrStream_destroy(stream);
            }
        }
        if (status != ZarrStatusCode_Success) {
            raise_status(
              status, "ZarrStream(): could not write custom_metadata", error);
        }
    }

    stream_.store(stream);
    std::lock_guard lock(registry_mutex());
    registry().insert(this);
}

Stream::~Stream()
{
    unregister(this);
    if (stream_.load() == nullptr) {
        return;
    }
    // Closing flushes and joins engine threads, which may be waiting for the
    // GIL to log.
    if (PyGILState_Check()) {
        GilRelease nogil;
        destroy_quietly();
    } else {
        destroy_quietly();
    }
}

void
Stream::unregister(Stream* stream)
{
    std::lock_guard lock(registry_mutex());
    registry().erase(stream);
}

void
Stream::destroy_quietly()
{
    std::lock_guard lock(mutex_);
    if (ZarrStream* stream = stream_.exchange(nullptr)) {
        ZarrStream_destroy(stream);
    }
}

void
Stream::close_all()
{
    GilRelease nogil;
    // Held throughout, so a stream being deallocated on another thread waits
    // in unregister() rather than being freed under us.
    std::lock_guard lock(registry_mutex());
    for (Stream* stream : registry()) {
        stream->destroy_quietly();
    }
    registry().clear();
}

template<typename Call>
Stream::Outcome
Stream::locked_call(Call&& call)
{
    Outcome outcome;
    GilRelease nogil;
    std::lock_guard lock(mutex_);
    ZarrStream* stream = stream_.load();
    if (stream == nullptr) {
        outcome.closed = true;
        return outcome;
    }
    outcome.status = call(stream, outcome);
    if (outcome.status != ZarrStatusCode_Success) {
        // Thread-local in the engine: read it on the thread that failed.
        outcome.error = Zarr_get_last_error();
    }
    return outcome;
}

void
Stream::check(const Outcome& outcome, const char* operation) const
{
    if (outcome.closed) {
        raise_error(ErrorKind::Runtime,
                    std::string(operation) + ": the stream is closed",
                    nullptr);
    }
    if (outcome.status != ZarrStatusCode_Success) {
        raise_status(outcome.status, operation, outcome.error);
    }
}

std::optional<ZarrDataType>
Stream::data_type_of(const std::optional<std::string>& key) const
{
    if (!key) {
        if (array_types_.size() == 1) {
            return array_types_.front().second;
        }
        return std::nullopt;
    }
    const std::string wanted = normalize_key(*key);
    for (const auto& [name, type] : array_types_) {
        if (name == wanted) {
            return type;
        }
    }
    return std::nullopt; // unknown key: the engine reports it
}

py::object
Stream::contiguous_data(const py::object& data,
                        const std::optional<std::string>& key) const
{
    py::module_ numpy = py::module_::import("numpy");
    py::object candidate = data;
    if (py::isinstance(data, numpy.attr("generic"))) {
        candidate = numpy.attr("asarray")(data); // numpy scalar -> 0-d array
    }

    if (py::isinstance<py::array>(candidate)) {
        auto array = py::reinterpret_borrow<py::array>(candidate);
        // A uint8 array is raw bytes for any data type, as bytes and
        // memoryview are: camera SDKs hand frames over as
        // numpy.frombuffer(buffer, numpy.uint8).
        const bool raw_bytes = array.dtype().equal(py::dtype("uint8"));
        if (auto type = data_type_of(key); type && !raw_bytes) {
            const char* expected = numpy_name(*type);
            if (expected != nullptr && !array.dtype().equal(py::dtype(expected))) {
                const std::string where =
                  key ? "array '" + *key + "'" : std::string("the array");
                const std::string numpy_type = std::string("numpy.") + expected;
                throw py::type_error(
                  "ZarrStream.append: " + where + " has data type " + expected +
                  ", but the data has dtype " +
                  py::str(array.dtype()).cast<std::string>() +
                  ". To convert the values, use data.astype(" + numpy_type +
                  "); if the data's bytes already are " + expected +
                  " pixels, reinterpret them with data.view(" + numpy_type +
                  ") (or pass them as raw bytes: a uint8 array, bytes or a "
                  "memoryview)");
            }
        }
        // A transposed or strided view is written in its logical C order.
        if ((array.flags() & py::array::c_style) == 0) {
            return numpy.attr("ascontiguousarray")(array);
        }
        return array;
    }

    if (!PyObject_CheckBuffer(data.ptr())) {
        throw py::type_error("ZarrStream.append: data must be a numpy array or a "
                             "buffer (bytes, bytearray, memoryview), not " +
                             type_name(data));
    }
    auto view = py::reinterpret_steal<py::object>(PyMemoryView_FromObject(data.ptr()));
    if (!view) {
        throw py::error_already_set();
    }
    if (!PyBuffer_IsContiguous(PyMemoryView_GET_BUFFER(view.ptr()), 'C')) {
        return view.attr("tobytes")(); // copies in logical order
    }
    return view;
}

void
Stream::append(const py::object& data, const std::optional<std::string>& key)
{
    const BufferView buffer(contiguous_data(data, key));
    const char* c_key = c_str_or_null(key, "ZarrStream.append: key");
    const Outcome outcome = locked_call([&](ZarrStream* stream, Outcome& out) {
        return ZarrStream_append(
          stream, buffer.data(), buffer.size(), &out.bytes_out, c_key);
    });
    check(outcome, "ZarrStream.append");
    if (outcome.bytes_out != buffer.size()) {
        raise_error(ErrorKind::Runtime,
                    "ZarrStream.append: only " +
                      std::to_string(outcome.bytes_out) + " of " +
                      std::to_string(buffer.size()) + " bytes were accepted",
                    status_name(ZarrStatusCode_PartialWrite));
    }
}

void
Stream::skip(const py::object& n_bytes, const std::optional<std::string>& key)
{
    if (PyBool_Check(n_bytes.ptr()) || !PyIndex_Check(n_bytes.ptr())) {
        throw py::type_error("ZarrStream.skip: n_bytes must be an int, not " +
                             type_name(n_bytes));
    }
    auto count = py::reinterpret_steal<py::object>(PyNumber_Index(n_bytes.ptr()));
    if (!count) {
        throw py::error_already_set();
    }
    if (count < py::int_(0)) {
        raise_error(ErrorKind::InvalidValue,
                    "ZarrStream.skip: n_bytes must be >= 0, got " +
                      py::str(count).cast<std::string>(),
                    nullptr);
    }
    const size_t size = PyLong_AsSize_t(count.ptr());
    if (size == static_cast<size_t>(-1) && PyErr_Occurred()) {
        throw py::error_already_set();
    }
    const char* c_key = c_str_or_null(key, "ZarrStream.skip: key");
    const Outcome outcome = locked_call([&](ZarrStream* stream, Outcome& out) {
        // NULL data: the engine appends zeros.
        return ZarrStream_append(stream, nullptr, size, &out.bytes_out, c_key);
    });
    check(outcome, "ZarrStream.skip");
    if (outcome.bytes_out != size) {
        raise_error(ErrorKind::Runtime,
                    "ZarrStream.skip: only " + std::to_string(outcome.bytes_out) +
                      " of " + std::to_string(size) + " bytes were skipped",
                    status_name(ZarrStatusCode_PartialWrite));
    }
}

bool
Stream::write_custom_metadata(const py::object& metadata,
                              const std::optional<std::string>& array_key,
                              const std::optional<std::string>& metadata_key)
{
    std::string json;
    if (py::isinstance<py::str>(metadata)) {
        json = metadata.cast<std::string>();
    } else if (py::isinstance<py::dict>(metadata)) {
        json = py::module_::import("json").attr("dumps")(metadata).cast<std::string>();
    } else {
        throw py::type_error("ZarrStream.write_custom_metadata: metadata must be "
                             "a str (JSON) or a dict, not " +
                             type_name(metadata));
    }
    c_str_or_null(json, "ZarrStream.write_custom_metadata: metadata");
    const char* c_array_key =
      c_str_or_null(array_key, "ZarrStream.write_custom_metadata: array_key");
    const char* c_metadata_key =
      c_str_or_null(metadata_key, "ZarrStream.write_custom_metadata: metadata_key");
    const Outcome outcome = locked_call([&](ZarrStream* stream, Outcome&) {
        return ZarrStream_write_custom_metadata(
          stream, c_array_key, c_metadata_key, json.c_str());
    });
    check(outcome, "ZarrStream.write_custom_metadata");
    return true;
}

size_t
Stream::get_current_memory_usage()
{
    size_t usage = 0;
    const Outcome outcome = locked_call([&](ZarrStream* stream, Outcome&) {
        return ZarrStream_get_current_memory_usage(stream, &usage);
    });
    check(outcome, "ZarrStream.get_current_memory_usage");
    return usage;
}

void
Stream::close()
{
    bool was_open = false;
    Outcome outcome;
    {
        GilRelease nogil;
        std::lock_guard lock(mutex_);
        if (ZarrStream* stream = stream_.exchange(nullptr)) {
            was_open = true;
            outcome.status = ZarrStream_close(stream); // frees it either way
            if (outcome.status != ZarrStatusCode_Success) {
                outcome.error = Zarr_get_last_error();
            }
        }
    }
    if (!was_open) {
        return; // a second close does nothing
    }
    unregister(this); // after releasing mutex_: close_all() nests the other way
    if (outcome.status != ZarrStatusCode_Success) {
        raise_status(outcome.status, "ZarrStream.close", outcome.error);
    }
}

bool
Stream::exit(const py::object& exc_type,
             const py::object& /*exc_value*/,
             const py::object& /*traceback*/)
{
    if (exc_type.is_none()) {
        close();
        return false;
    }
    try {
        close();
    } catch (py::error_already_set& e) {
        py::module_::import("logging")
          .attr("getLogger")("acquire_zarr")
          .attr("error")("closing the stream after an exception failed: %s",
                         e.value());
    }
    return false; // never swallow the exception in flight
}

std::string
Stream::repr() const
{
    // The path is the OS's bytes: decoded as Python decodes file names.
    auto path = py::reinterpret_steal<py::object>(PyUnicode_DecodeFSDefaultAndSize(
      store_path_.data(), static_cast<Py_ssize_t>(store_path_.size())));
    if (!path) {
        throw py::error_already_set();
    }
    return "ZarrStream(store_path=" + py::repr(path).cast<std::string>() +
           (is_active() ? ", active)" : ", closed)");
}

} // namespace aqz_python

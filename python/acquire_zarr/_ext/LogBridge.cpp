#include "LogBridge.hpp"

#include <pybind11/pybind11.h>

#include "Gil.hpp"
#include "acquire.zarr.h"

#include <atomic>
#include <cstring>

namespace py = pybind11;

namespace aqz_python {
namespace {

std::atomic<bool> bridge_enabled{ false };
// Callbacks between "bridge enabled" and done with the GIL; the exit hook
// waits for them, so none takes the GIL once finalization may have begun.
std::atomic<int> callbacks_in_flight{ 0 };

int
python_level(ZarrLogLevel level)
{
    // The numeric values of logging.DEBUG ... logging.ERROR.
    switch (level) {
        case ZarrLogLevel_Debug:
            return 10;
        case ZarrLogLevel_Info:
            return 20;
        case ZarrLogLevel_Warning:
            return 30;
        default:
            return 40;
    }
}

void
log_to_python(ZarrLogLevel level, const char* message)
{
    py::gil_scoped_acquire gil;
    try {
        size_t length = std::strlen(message);
        while (length > 0 &&
               (message[length - 1] == '\n' || message[length - 1] == '\r')) {
            --length;
        }
        // Paths in messages need not be valid UTF-8; never fail on them.
        auto text = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
          message, static_cast<Py_ssize_t>(length), "replace"));
        if (!text) {
            throw py::error_already_set();
        }
        py::object logger =
          py::module_::import("logging").attr("getLogger")("acquire_zarr");
        logger.attr("log")(python_level(level), "%s", text);
    } catch (py::error_already_set&) {
        // Nowhere to report it: the caller is C. The error is dropped with
        // the exception object.
    } catch (...) {
    }
}

// Called by the engine, from any of its threads.
void
forward_log_line(ZarrLogLevel level, const char* message, void* /*user_data*/)
{
    if (message == nullptr) {
        return;
    }
    callbacks_in_flight.fetch_add(1);
    if (bridge_enabled.load() && Py_IsInitialized() && !interpreter_finalizing() &&
        !must_park()) {
        log_to_python(level, message);
    }
    callbacks_in_flight.fetch_sub(1);
}

} // namespace

void
install_log_bridge()
{
    bridge_enabled.store(true);
    Zarr_set_log_callback(&forward_log_line, nullptr);
}

void
uninstall_log_bridge()
{
    bridge_enabled.store(false);
    Zarr_set_log_callback(nullptr, nullptr);
    // Let callbacks already waiting for the GIL finish (they may hold engine
    // locks that closing the streams needs).
    wait_without_gil([] { return callbacks_in_flight.load() == 0; }, 10000);
}

} // namespace aqz_python

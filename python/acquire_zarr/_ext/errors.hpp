// Raising the package's exception classes (acquire_zarr._errors) from C++.
#pragma once

#include <pybind11/pybind11.h>

#include "acquire.zarr.h"

#include <string>

namespace aqz_python {

enum class ErrorKind
{
    Runtime,      // AcquireZarrError (a RuntimeError)
    InvalidValue, // InvalidSettingsError (also a ValueError)
};

// Raise `kind` with `message`; `status` (a ZarrStatusCode name) may be null.
[[noreturn]] void
raise_error(ErrorKind kind, const std::string& message, const char* status);

// Raise for a failed C call: the engine's last error, or, if that is empty,
// `operation` and the status's generic sentence.
[[noreturn]] void
raise_status(ZarrStatusCode status,
             const std::string& operation,
             const std::string& last_error);

const char*
status_name(ZarrStatusCode status);

} // namespace aqz_python

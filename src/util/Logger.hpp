#pragma once

#include "acquire.zarr.h"
#include "util/ZarrError.hpp"

#include <string>

namespace zarr {

/// Process-wide logging of the lines at or above the log level. Without a
/// callback they go to stderr with a timestamp and level; while a callback is
/// set (Zarr_set_log_callback; the Python module routes lines to `logging`),
/// they go to the callback instead, and nothing is printed to stderr.
class Logger
{
  public:
    static void set_level(ZarrLogLevel level);
    static ZarrLogLevel level();
    static void set_callback(ZarrLogCallback callback, void* user_data);
    static bool enabled(ZarrLogLevel level);
    static void write(ZarrLogLevel level, const std::string& message);
};

template<typename... Parts>
void
log(ZarrLogLevel level, const Parts&... parts)
{
    if (Logger::enabled(level)) {
        Logger::write(level, concat(parts...));
    }
}

template<typename... Parts>
void
log_debug(const Parts&... parts)
{
    log(ZarrLogLevel_Debug, parts...);
}

template<typename... Parts>
void
log_info(const Parts&... parts)
{
    log(ZarrLogLevel_Info, parts...);
}

template<typename... Parts>
void
log_warning(const Parts&... parts)
{
    log(ZarrLogLevel_Warning, parts...);
}

template<typename... Parts>
void
log_error(const Parts&... parts)
{
    log(ZarrLogLevel_Error, parts...);
}

} // namespace zarr

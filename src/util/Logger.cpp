#include "util/Logger.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace zarr {
namespace {

std::atomic<ZarrLogLevel> g_level{ ZarrLogLevel_Info };
std::mutex g_mutex; // serialises lines and guards the callback
ZarrLogCallback g_callback = nullptr;
void* g_callback_data = nullptr;

const char*
level_name(ZarrLogLevel level)
{
    switch (level) {
        case ZarrLogLevel_Debug:
            return "DEBUG";
        case ZarrLogLevel_Info:
            return "INFO";
        case ZarrLogLevel_Warning:
            return "WARNING";
        case ZarrLogLevel_Error:
            return "ERROR";
        default:
            return "NONE";
    }
}

std::string
timestamp()
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()) % 1000;
    const std::time_t seconds = system_clock::to_time_t(now);
    std::tm local{};
    localtime_r(&seconds, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
    char with_ms[40];
    std::snprintf(with_ms, sizeof with_ms, "%s.%03d", text, int(ms.count()));
    return with_ms;
}

} // namespace

void
Logger::set_level(ZarrLogLevel level)
{
    g_level = level;
}

ZarrLogLevel
Logger::level()
{
    return g_level;
}

void
Logger::set_callback(ZarrLogCallback callback, void* user_data)
{
    std::lock_guard lock(g_mutex);
    g_callback = callback;
    g_callback_data = user_data;
}

bool
Logger::enabled(ZarrLogLevel level)
{
    const ZarrLogLevel threshold = g_level;
    return threshold != ZarrLogLevel_None && level >= threshold &&
           level < ZarrLogLevel_None;
}

void
Logger::write(ZarrLogLevel level, const std::string& message)
{
    ZarrLogCallback callback;
    void* callback_data;
    {
        std::lock_guard lock(g_mutex);
        callback = g_callback;
        callback_data = g_callback_data;
        // The callback replaces stderr: an application that takes the lines
        // (the Python module hands them to `logging`) decides where they go,
        // and would otherwise see every one twice.
        if (callback == nullptr) {
            std::fprintf(stderr,
                         "%s [%s] acquire-zarr: %s\n",
                         timestamp().c_str(),
                         level_name(level),
                         message.c_str());
        }
    }
    // Called without the lock: the Python callback takes the GIL, and a
    // thread holding the GIL may be waiting to log too.
    if (callback) {
        callback(level, message.c_str(), callback_data);
    }
}

} // namespace zarr

#pragma once

#include "zarr.types.h"

#include <sstream>
#include <stdexcept>
#include <string>

namespace zarr {

/// The one way failures travel inside the engine: an exception carrying the
/// C status code. It is caught at the C boundary (src/api) and on worker
/// threads (recorded on the stream), so no exception ever crosses the C API.
class ZarrError : public std::runtime_error
{
  public:
    ZarrError(ZarrStatusCode code, const std::string& message)
      : std::runtime_error(message)
      , code_(code)
    {
    }

    ZarrStatusCode code() const noexcept { return code_; }

  private:
    ZarrStatusCode code_;
};

/// Concatenates any streamable values into a string.
template<typename... Parts>
std::string
concat(const Parts&... parts)
{
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

template<typename... Parts>
[[noreturn]] void
fail(ZarrStatusCode code, const Parts&... parts)
{
    throw ZarrError(code, concat(parts...));
}

} // namespace zarr

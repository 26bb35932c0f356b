#pragma once

#include "stream/Stream.hpp"

#include <memory>

/// The C API's opaque ZarrStream: a handle around the engine's Stream.
struct ZarrStream_s
{
    std::unique_ptr<zarr::Stream> stream;
};

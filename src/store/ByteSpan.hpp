#pragma once

#include <cstddef>
#include <cstdint>

namespace zarr {

/// A view of bytes owned elsewhere, one piece of a gathered write.
struct ByteSpan
{
    const uint8_t* data = nullptr;
    std::size_t size = 0;
};

} // namespace zarr

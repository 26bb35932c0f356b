#pragma once

#include <cstddef>
#include <cstdint>

namespace zarr {

/// CRC32C (Castagnoli, RFC 3720) as the Zarr `crc32c` codec defines it.
uint32_t crc32c(const uint8_t* data, std::size_t size);

} // namespace zarr

#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace zarr {

/// Whether `bytes` are all zero: a chunk of them is the fill value and is
/// not stored. Stops at the first nonzero byte, so a chunk of real data
/// costs a few loads; only a chunk of zeros is read whole (and then needs no
/// compression and no write).
inline bool
is_all_zero(const uint8_t* bytes, std::size_t size)
{
    constexpr std::size_t kBlock = 256;
    uint8_t zeros[kBlock] = {};
    std::size_t done = 0;
    for (; done + kBlock <= size; done += kBlock) {
        if (std::memcmp(bytes + done, zeros, kBlock) != 0) {
            return false;
        }
    }
    return std::memcmp(bytes + done, zeros, size - done) == 0;
}

} // namespace zarr

#include "codec/Crc32c.hpp"

#include <climits>
#include <isa-l/crc.h>

namespace zarr {

uint32_t
crc32c(const uint8_t* data, std::size_t size)
{
    // ISA-L's crc32_iscsi leaves the pre- and post-inversion of the
    // standard CRC32C to the caller; it also takes an int length.
    uint32_t crc = 0xFFFFFFFFu;
    while (size > 0) {
        const int piece = size > std::size_t(INT_MAX) ? INT_MAX : int(size);
        crc = crc32_iscsi(const_cast<uint8_t*>(data), piece, crc);
        data += piece;
        size -= std::size_t(piece);
    }
    return crc ^ 0xFFFFFFFFu;
}

} // namespace zarr

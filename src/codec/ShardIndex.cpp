#include "codec/ShardIndex.hpp"

#include "codec/Crc32c.hpp"

#include <algorithm>

namespace zarr {
namespace {

void
store_le64(uint8_t* out, uint64_t value)
{
    for (int i = 0; i < 8; ++i) {
        out[i] = uint8_t(value >> (8 * i));
    }
}

} // namespace

ShardIndex::ShardIndex(std::size_t chunk_count)
  : entries_(2 * chunk_count, kMissing)
{
}

void
ShardIndex::set(std::size_t chunk, uint64_t offset, uint64_t nbytes)
{
    entries_[2 * chunk] = offset;
    entries_[2 * chunk + 1] = nbytes;
}

std::vector<uint8_t>
ShardIndex::encode(std::size_t first_missing) const
{
    std::vector<uint8_t> bytes(encoded_size(chunk_count()));
    const std::size_t known = 2 * std::min(first_missing, chunk_count());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        store_le64(bytes.data() + 8 * i, i < known ? entries_[i] : kMissing);
    }
    const std::size_t body = 8 * entries_.size();
    const uint32_t crc = crc32c(bytes.data(), body);
    for (int i = 0; i < 4; ++i) {
        bytes[body + i] = uint8_t(crc >> (8 * i));
    }
    return bytes;
}

} // namespace zarr

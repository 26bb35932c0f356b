#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace zarr {

/// The index at the end of a `sharding_indexed` shard: one (offset, nbytes)
/// pair of little-endian uint64 per inner chunk in C order, then the CRC32C
/// of those bytes as a little-endian uint32.
class ShardIndex
{
  public:
    static constexpr uint64_t kMissing = std::numeric_limits<uint64_t>::max();

    explicit ShardIndex(std::size_t chunk_count);

    void set(std::size_t chunk, uint64_t offset, uint64_t nbytes);

    std::size_t chunk_count() const { return entries_.size() / 2; }

    /// 16 * chunk_count + 4 bytes, ready to write after the chunks.
    std::vector<uint8_t> encode() const { return encode(chunk_count()); }

    /// The same, with every chunk from `first_missing` on marked missing:
    /// the index of a shard of which only the first chunks (in index order)
    /// are known to be written.
    std::vector<uint8_t> encode(std::size_t first_missing) const;

    static std::size_t encoded_size(std::size_t chunk_count)
    {
        return 16 * chunk_count + 4;
    }

  private:
    std::vector<uint64_t> entries_; // offset, nbytes, offset, nbytes, ...
};

} // namespace zarr

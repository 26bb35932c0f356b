#pragma once

#include <cstddef>
#include <cstdint>

namespace zarr {

/// One chunk's entry in its shard: its position in the shard's index
/// (C order over the shard's chunk grid) and its size in bytes.
struct ShardChunk
{
    std::size_t index_in_shard = 0;
    uint64_t nbytes = 0;
};

} // namespace zarr

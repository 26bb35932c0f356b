#include "array/LayerBuffer.hpp"

namespace zarr {

LayerBuffer::LayerBuffer(std::size_t slot_count,
                         std::size_t chunk_bytes,
                         std::size_t compressed_slot_bytes)
  : slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
  , compressed_slot_bytes_(compressed_slot_bytes)
  , chunks_(new uint8_t[slot_count * chunk_bytes]())
  , compressed_sizes_(new std::size_t[slot_count]())
{
    if (compressed_slot_bytes > 0) {
        compressed_.reset(new uint8_t[slot_count * compressed_slot_bytes]);
    }
}

std::size_t
LayerBuffer::bytes() const
{
    return slot_count_ * (chunk_bytes_ + compressed_slot_bytes_);
}

} // namespace zarr

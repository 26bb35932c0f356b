#include "array/LayerBuffer.hpp"

namespace zarr {

LayerBuffer::LayerBuffer(std::size_t slot_count, std::size_t chunk_bytes)
  : slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
  , chunks_(new uint8_t[slot_count * chunk_bytes]())
{
}

} // namespace zarr

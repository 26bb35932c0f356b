#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace zarr {

/// Memory for one layer of chunks (see ChunkLattice): the raw chunk slots,
/// and, for compressed arrays, an output area of the same number of slots.
/// Allocated once and reused layer after layer, so streaming costs no page
/// faults and no zero-filling after the first layers.
class LayerBuffer
{
  public:
    LayerBuffer(std::size_t slot_count,
                std::size_t chunk_bytes,
                std::size_t compressed_slot_bytes);

    uint8_t* chunk(std::size_t slot) { return chunks_.get() + slot * chunk_bytes_; }
    uint8_t* compressed(std::size_t slot)
    {
        return compressed_.get() + slot * compressed_slot_bytes_;
    }
    std::size_t compressed_slot_bytes() const { return compressed_slot_bytes_; }

    /// Compressed size of each slot, set by the compressing job.
    std::size_t& compressed_size(std::size_t slot) { return compressed_sizes_[slot]; }

    std::size_t bytes() const;

  private:
    std::size_t slot_count_;
    std::size_t chunk_bytes_;
    std::size_t compressed_slot_bytes_;
    std::unique_ptr<uint8_t[]> chunks_;     // zeroed once: edges stay zero
    std::unique_ptr<uint8_t[]> compressed_; // not zeroed: always written first
    std::unique_ptr<std::size_t[]> compressed_sizes_;
};

} // namespace zarr

#pragma once

#include "array/LayerWriter.hpp"

#include <cstddef>
#include <cstdint>

namespace zarr {

class ChunkLattice;

/// Memory for one layer of chunks (see ChunkLattice): one slot of
/// chunk_bytes per chunk. Allocated once and reused layer after layer, so
/// streaming costs no page faults and no zero-filling after the first
/// layers.
class LayerBuffer
{
  public:
    LayerBuffer(std::size_t slot_count, std::size_t chunk_bytes);
    ~LayerBuffer();

    LayerBuffer(const LayerBuffer&) = delete;
    LayerBuffer& operator=(const LayerBuffer&) = delete;

    uint8_t* chunk(std::size_t slot) { return chunks_ + slot * chunk_bytes_; }

    /// Has the kernel provide (zeroed) memory for part `part` of `parts`
    /// now, instead of by a page fault per 4 KiB while frames arrive.
    /// Parts may be populated by different threads at once.
    void populate(std::size_t part, std::size_t parts);

    std::size_t bytes() const { return slot_count_ * chunk_bytes_; }

    /// Zeros every chunk (for a layer whose padding no frame overwrites).
    void clear();

    /// Gives the pages wholly inside `slot` back to the kernel (they read as
    /// zeros again): for a buffer that will not be used again.
    void discard(std::size_t slot);

    /// Copies frame `frame_number` of `lattice` into its tiles of the
    /// chunks (NULL `frame`: zeros), telling `rows_written` (if any) of
    /// each band of rows once copied.
    void scatter(const ChunkLattice& lattice,
                 const uint8_t* frame,
                 uint64_t frame_number,
                 const LayerWriter::RowsWritten& rows_written = {});

  private:
    std::size_t slot_count_;
    std::size_t chunk_bytes_;
    uint8_t* chunks_; // starts zeroed, so never-written edges stay zero
};

} // namespace zarr

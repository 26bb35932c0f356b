#pragma once

#include "array/ChunkLattice.hpp"
#include "array/LayerWriter.hpp"
#include "array/ShardFiles.hpp"
#include "spec/ArraySpec.hpp"
#include "util/AlignedBuffer.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <vector>

namespace zarr {

/// Uncompressed Zarr v3: a shard's layout is known in advance, so when a
/// layer opens, each shard reserves room for the layer's chunks, and each
/// frame goes from the caller's memory straight to its place in the shard
/// files: one contiguous write per chunk tile, through a small staging
/// buffer. No layer buffer, so memory stays at about one frame. Ranges never
/// written (ragged edges, missing or all-zero frames) are file holes and
/// read as zeros. With direct I/O, a chunk's room in its shard is padded to
/// the alignment, and tile writes are staged so that their aligned part
/// goes to the device as it is.
class DirectLayerWriter final : public LayerWriter
{
  public:
    /// Whether an array with this geometry is written this way: its store
    /// must take writes at any offset, tiles must be big enough to keep the
    /// write calls efficient, and the shards of a layer few enough to keep
    /// them open.
    static bool suits(const ArraySpec& spec, const ChunkLattice& lattice);

    DirectLayerWriter(const ArraySpec& spec,
                      const ChunkLattice& lattice,
                      Store& store,
                      ThreadPool& pool,
                      FirstError& errors,
                      LayerWritten layer_written);

    void write_frame(const uint8_t* frame,
                     uint64_t frame_number,
                     const RowsWritten& rows_written) override;
    void end_layer(uint64_t layer, std::span<const uint64_t> missing) override;
    void end_of_frames() override {} // no layer buffers
    void finish() override;
    std::size_t memory_in_use() const override { return 0; }

  private:
    void open_layer(uint64_t layer);
    void preallocate_next_row(uint64_t layer);
    void write_tiles(const uint8_t* frame, uint64_t frame_number);

    const ChunkLattice& lattice_;
    ThreadPool& pool_;
    FirstError& errors_;
    LayerWritten layer_written_;
    ShardFiles shards_;

    bool layer_open_ = false;
    bool layer_failed_ = false; // a write of the open layer failed
    std::vector<uint64_t> slot_offsets_; // each chunk's place in its shard
    std::vector<std::size_t> alignments_; // per shard of the open layer: 1 = buffered
    AlignedBuffer staging_;              // gathers a tile's rows for one write
    std::size_t staging_rows_ = 1;       // tile rows it takes
};

} // namespace zarr

#pragma once

#include "array/ShardChunk.hpp"
#include "spec/ArraySpec.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zarr {

/// The geometry of one array: where each frame's pixels go.
///
/// Frames fill the array in C order over all dimensions but the last two
/// (Y, X). A *layer* is every chunk that shares one chunk index along the
/// first (append) dimension; frames arrive layer by layer, so a layer is the
/// unit the writer buffers, compresses and writes. Inside a layer buffer the
/// chunks are grouped by shard (a shard's chunks are contiguous), so an
/// uncompressed shard goes to disk in one write. Each chunk of the layer has
/// a *slot* of chunk_bytes() in that buffer. Chunks entirely outside the
/// array (at the edge of an edge shard) have no slot.
///
/// A 2-D array (a single image) is handled as 3-D with a leading virtual
/// dimension of size 1, so every code path sees an append dimension.
class ChunkLattice
{
  public:
    /// The chunks of one shard within a layer.
    struct ShardSlots
    {
        std::vector<uint64_t> shard_coordinates; // dims 1..n-1
        std::size_t first_slot = 0;              // slots are contiguous
        std::vector<std::size_t> index_in_shard; // per slot: C-order index over
                                                 // the shard's dims 1..n-1
    };

    /// Where one frame goes.
    struct FrameLocation
    {
        uint64_t layer = 0;
        uint64_t offset_in_chunk = 0; // bytes from each chunk's start to
                                      // this frame's tile
        std::size_t first_chunk = 0;  // layer-grid index of the chunk holding
                                      // the frame's top-left tile
    };

    explicit ChunkLattice(const ArraySpec& spec);

    std::size_t bytes_per_pixel() const { return bytes_per_pixel_; }
    uint64_t frame_height() const { return sizes_[rank_ - 2]; }
    uint64_t frame_width() const { return sizes_[rank_ - 1]; }
    uint64_t frame_bytes() const;

    /// Frames per index of the append dimension.
    uint64_t frames_per_row() const { return frames_per_row_; }
    uint64_t frames_per_layer() const { return chunks_[0] * frames_per_row_; }
    /// 0 when the append dimension is unbounded.
    uint64_t total_frames() const { return sizes_[0] * frames_per_row_; }
    /// Number of layers in the array; 0 when unbounded.
    uint64_t total_layers() const;
    /// Frames that make `layer` complete: frames_per_layer(), or fewer in
    /// the last layer of a bounded array that ends mid-chunk.
    uint64_t frames_in_layer(uint64_t layer) const;

    uint64_t chunk_bytes() const { return chunk_bytes_; }
    /// Bytes of one frame's part of a chunk (chunk Y × chunk X pixels).
    uint64_t tile_bytes() const;
    uint64_t tile_height() const { return chunks_[rank_ - 2]; }
    uint64_t tile_width() const { return chunks_[rank_ - 1]; }
    /// Chunks across the frame, along Y and along X.
    std::size_t chunks_down() const { return grid_[rank_ - 2]; }
    std::size_t chunks_across() const { return grid_[rank_ - 1]; }

    std::size_t slot_count() const { return slot_count_; }
    std::size_t slot_of(std::size_t layer_chunk) const
    {
        return slot_of_chunk_[layer_chunk];
    }
    const std::vector<ShardSlots>& shards() const { return shards_; }
    /// The shard (of a layer) that holds `slot`.
    std::size_t shard_of_slot(std::size_t slot) const { return shard_of_slot_[slot]; }
    /// Where the chunk in `slot` of `layer` sits in its shard's index.
    std::size_t index_in_shard(uint64_t layer, std::size_t slot) const;
    /// One layer's chunks of `shard`, uncompressed, in slot order.
    std::vector<ShardChunk> layer_chunks(uint64_t layer, std::size_t shard) const;

    /// Layers per shard along the append dimension.
    uint64_t layers_per_shard() const { return shard_chunks_[0]; }
    /// Chunks in one shard (the length of its index).
    std::size_t chunks_per_shard() const;
    /// Chunks of one shard that belong to one layer.
    std::size_t chunks_per_shard_layer() const;

    FrameLocation locate(uint64_t frame) const;

    /// The key components (chunk or shard indices) of a shard of `layer`,
    /// in the array's real dimensions (no virtual one).
    std::vector<uint64_t> shard_key_coordinates(uint64_t layer,
                                                std::size_t shard) const;

  private:
    std::size_t rank_ = 0;
    bool virtual_leading_dimension_ = false;
    std::size_t bytes_per_pixel_ = 1;
    std::vector<uint64_t> sizes_;        // 0 on dim 0 = unbounded
    std::vector<uint64_t> chunks_;       // chunk size per dim
    std::vector<uint64_t> shard_chunks_; // chunks per shard per dim
    std::vector<std::size_t> grid_;      // chunks per dim (dims 1..n-1; [0] unused)
    std::vector<std::size_t> grid_strides_;
    uint64_t frames_per_row_ = 1;
    uint64_t chunk_bytes_ = 0;
    std::size_t slot_count_ = 0;
    std::vector<std::size_t> slot_of_chunk_;
    std::vector<ShardSlots> shards_;
    std::vector<std::size_t> shard_of_slot_;
};

} // namespace zarr

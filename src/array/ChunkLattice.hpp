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
/// (Y, X). A *layer* is the smallest set of chunks that frames complete
/// together, the unit the writer buffers, compresses and writes. Its
/// dimension, the *layer dimension*, is the first with a chunk larger than
/// 1 (or the last before Y when none has; the first when frames come out of
/// order, see ArraySpec::frames_in_order): a layer is one chunk along it
/// and one index along each dimension before it (all of chunk 1), with
/// every chunk of the dimensions after it. With a chunk above 1 on the
/// first dimension, a layer is one chunk of rows of the whole array; with
/// `t` chunk 1 and `z` chunk 8, it is a band of 8 planes of one time point,
/// however many planes `z` has. Layers are numbered in the order frames
/// complete them.
///
/// Inside a layer buffer the chunks are grouped by shard (a shard's chunks
/// are contiguous), so an uncompressed shard goes to disk in one write.
/// Each chunk of the layer has a *slot* of chunk_bytes() in that buffer.
/// Chunks entirely outside the array (at the edge of an edge shard) have
/// no slot.
///
/// A shard may span several layers (its chunks along the layer dimension
/// and those before it): a *shard row* is the shards that share those
/// coordinates, and its layers come in order, though with shards deeper
/// than one index before the layer dimension, other rows' layers come in
/// between.
///
/// A 2-D array (a single image) is handled as 3-D with a leading virtual
/// dimension of size 1, so every code path sees an append dimension.
///
/// A *banded* array (ArraySpec::banded, see FrameBanding.hpp) is seen with
/// Y split into a dimension of bands, one chunk of rows each, and one of
/// the rows inside a band: its "frames" (frame_height(), frame_bytes()) are
/// bands, each its own layer, and its rows (of the first dimension) are
/// bands too when the array is 2-D.
class ChunkLattice
{
  public:
    /// The chunks of one shard within a layer.
    struct ShardSlots
    {
        std::vector<uint64_t> shard_coordinates; // dims after the layer dimension
        std::size_t first_slot = 0;              // slots are contiguous
        std::vector<std::size_t> index_in_shard; // per slot: C-order index over
                                                 // the shard's dims after the
                                                 // layer dimension
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
    bool banded() const { return banded_; }
    uint64_t frame_height() const { return sizes_[rank_ - 2]; }
    uint64_t frame_width() const { return sizes_[rank_ - 1]; }
    uint64_t frame_bytes() const;

    /// Frames per index of the append (first) dimension: a *row*.
    uint64_t frames_per_row() const { return frames_per_row_; }
    /// 0 when the append dimension is unbounded.
    uint64_t total_frames() const { return sizes_[0] * frames_per_row_; }
    /// Rows (indices of the first dimension); 0 when unbounded.
    uint64_t row_count() const { return sizes_[0]; }

    /// The layer dimension (see above), counted with the virtual one.
    std::size_t layer_dimension() const { return layer_dim_; }
    /// The most frames a layer takes.
    uint64_t frames_per_layer() const { return chunks_[layer_dim_] * inner_frames_; }
    /// Number of layers in the array; 0 when unbounded.
    uint64_t total_layers() const;
    /// The layer that frame `frame` belongs to, and the first frame of `layer`.
    uint64_t layer_of_frame(uint64_t frame) const;
    uint64_t first_frame(uint64_t layer) const;
    /// Frames that make `layer` complete: frames_per_layer(), or fewer where
    /// the array ends mid-chunk (along the layer dimension, or a bounded
    /// first one). The rest of such a layer's chunks is padding.
    uint64_t frames_in_layer(uint64_t layer) const;
    /// Rows (indices of the first dimension) that the first `layers` layers
    /// hold entirely.
    uint64_t rows_in_layers(uint64_t layers) const;

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

    /// Layers one shard spans (its depth along the layer dimension and
    /// those before it); fewer in edge shards.
    uint64_t layers_per_shard() const;
    /// Chunks in one shard (the length of its index).
    std::size_t chunks_per_shard() const;
    /// Chunks of one shard that belong to one layer.
    std::size_t chunks_per_shard_layer() const;

    /// The shard row holding `layer` (its number; rows need not come in
    /// order of their numbers).
    uint64_t shard_row(uint64_t layer) const;
    /// The last layer of `row` (for an unbounded first dimension, as if the
    /// row were whole).
    uint64_t last_layer_of_row(uint64_t row) const;
    /// Where each layer of `row`, in the order they come, starts in its
    /// shards' index, counted in chunks_per_shard_layer() (with an edge
    /// along a dimension inside the row, layers skip places).
    std::vector<uint64_t> row_layer_positions(uint64_t row) const;
    /// The place of `layer` among its row's layers (see row_layer_positions).
    uint64_t layer_in_shard(uint64_t layer) const;
    /// The most shard rows open at once: one being written, and the next.
    /// More when the rows' layers interleave (shards deeper than one index
    /// before the layer dimension).
    uint64_t max_open_rows() const;

    FrameLocation locate(uint64_t frame) const;

    /// The key components (chunk or shard indices) of a shard of `layer`,
    /// in the array's real dimensions (no virtual one).
    std::vector<uint64_t> shard_key_coordinates(uint64_t layer,
                                                std::size_t shard) const;

  private:
    /// Chunk indices along dims 0..layer dimension of `layer`.
    std::vector<uint64_t> layer_chunk_coordinates(uint64_t layer) const;
    /// The layer at chunk indices `coordinates` (dims 0..layer dimension).
    uint64_t layer_at(const std::vector<uint64_t>& coordinates) const;
    /// Shard indices along dims 0..layer dimension of `row`.
    std::vector<uint64_t> row_coordinates(uint64_t row) const;
    /// Chunks (k <= layer dimension: indices) along dimension k.
    uint64_t chunk_count(std::size_t k) const;
    /// Layers of shard row coordinate `shard` along outer dimension k.
    uint64_t row_extent(std::size_t k, uint64_t shard) const;

    std::size_t rank_ = 0;
    std::size_t layer_dim_ = 0;
    uint64_t inner_frames_ = 1; // frames per index of the layer dimension
    bool virtual_leading_dimension_ = false;
    std::size_t bytes_per_pixel_ = 1;
    bool banded_ = false;
    std::vector<uint64_t> sizes_;        // 0 on dim 0 = unbounded
    std::vector<uint64_t> chunks_;       // chunk size per dim
    std::vector<uint64_t> shard_chunks_; // chunks per shard per dim
    std::vector<std::size_t> grid_;      // chunks per dim (after the layer dimension; 1 up to it)
    std::vector<std::size_t> grid_strides_;
    uint64_t frames_per_row_ = 1;
    uint64_t chunk_bytes_ = 0;
    std::size_t slot_count_ = 0;
    std::vector<std::size_t> slot_of_chunk_;
    std::vector<ShardSlots> shards_;
    std::vector<std::size_t> shard_of_slot_;
};

} // namespace zarr

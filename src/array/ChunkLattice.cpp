#include "array/ChunkLattice.hpp"

#include "format/DataType.hpp"

#include <algorithm>

namespace zarr {
namespace {

uint64_t
ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/// Advances `coordinates` through the box `extent` in C order; false after
/// the last one.
bool
next_in_box(std::vector<uint64_t>& coordinates,
            const std::vector<uint64_t>& extent)
{
    for (std::size_t i = coordinates.size(); i-- > 0;) {
        if (++coordinates[i] < extent[i]) {
            return true;
        }
        coordinates[i] = 0;
    }
    return false;
}

} // namespace

ChunkLattice::ChunkLattice(const ArraySpec& spec)
  : bytes_per_pixel_(bytes_of(spec.data_type))
{
    const bool sharded = spec.version == ZarrVersion_3;
    if (spec.dimensions.size() == 2) {
        virtual_leading_dimension_ = true;
        sizes_.push_back(1);
        chunks_.push_back(1);
        shard_chunks_.push_back(1);
    }
    for (const auto& dimension : spec.dimensions) {
        sizes_.push_back(dimension.size);
        chunks_.push_back(dimension.chunk);
        shard_chunks_.push_back(sharded ? dimension.shard_chunks : 1);
    }
    rank_ = sizes_.size();

    for (std::size_t i = 1; i + 2 < rank_; ++i) {
        frames_per_row_ *= sizes_[i];
    }
    chunk_bytes_ = bytes_per_pixel_;
    for (const uint64_t chunk : chunks_) {
        chunk_bytes_ *= chunk;
    }

    // The grid of chunks in one layer (dims 1..n-1), C order.
    grid_.assign(rank_, 1);
    grid_strides_.assign(rank_, 0);
    std::size_t layer_chunks = 1;
    for (std::size_t i = rank_; i-- > 1;) {
        grid_[i] = ceil_div(sizes_[i], chunks_[i]);
        grid_strides_[i] = layer_chunks;
        layer_chunks *= grid_[i];
    }
    slot_of_chunk_.assign(layer_chunks, 0);

    // Shards of a layer in C order; within each, its chunks in C order.
    std::vector<uint64_t> shard_grid(rank_ - 1), shard_extent(rank_ - 1);
    for (std::size_t i = 1; i < rank_; ++i) {
        shard_grid[i - 1] = ceil_div(grid_[i], shard_chunks_[i]);
        shard_extent[i - 1] = shard_chunks_[i];
    }
    std::vector<uint64_t> shard(rank_ - 1, 0);
    do {
        ShardSlots slots;
        slots.shard_coordinates = shard;
        slots.first_slot = slot_count_;
        std::vector<uint64_t> inner(rank_ - 1, 0);
        std::size_t index_in_shard = 0;
        do {
            std::size_t layer_chunk = 0;
            bool inside = true;
            for (std::size_t i = 1; i < rank_; ++i) {
                const uint64_t chunk = shard[i - 1] * shard_chunks_[i] + inner[i - 1];
                inside = inside && chunk < grid_[i];
                layer_chunk += chunk * grid_strides_[i];
            }
            if (inside) {
                slot_of_chunk_[layer_chunk] = slot_count_++;
                slots.index_in_shard.push_back(index_in_shard);
            }
            ++index_in_shard;
        } while (next_in_box(inner, shard_extent));
        shard_of_slot_.resize(slot_count_, shards_.size());
        shards_.push_back(std::move(slots));
    } while (next_in_box(shard, shard_grid));
}

uint64_t
ChunkLattice::frames_in_layer(uint64_t layer) const
{
    const uint64_t start = layer * frames_per_layer();
    if (total_frames() == 0) {
        return frames_per_layer();
    }
    return std::min(frames_per_layer(), total_frames() - std::min(start, total_frames()));
}

std::size_t
ChunkLattice::index_in_shard(uint64_t layer, std::size_t slot) const
{
    const auto& shard = shards_[shard_of_slot_[slot]];
    const std::size_t layer_in_shard = layer % layers_per_shard();
    return layer_in_shard * chunks_per_shard_layer() +
           shard.index_in_shard[slot - shard.first_slot];
}

std::vector<ShardChunk>
ChunkLattice::layer_chunks(uint64_t layer, std::size_t shard) const
{
    const auto& slots = shards_[shard];
    std::vector<ShardChunk> chunks;
    for (std::size_t i = 0; i < slots.index_in_shard.size(); ++i) {
        chunks.push_back({ index_in_shard(layer, slots.first_slot + i), chunk_bytes_ });
    }
    return chunks;
}

uint64_t
ChunkLattice::frame_bytes() const
{
    return frame_height() * frame_width() * bytes_per_pixel_;
}

uint64_t
ChunkLattice::total_layers() const
{
    return ceil_div(sizes_[0], chunks_[0]);
}

uint64_t
ChunkLattice::tile_bytes() const
{
    return tile_height() * tile_width() * bytes_per_pixel_;
}

std::size_t
ChunkLattice::chunks_per_shard() const
{
    return shard_chunks_[0] * chunks_per_shard_layer();
}

std::size_t
ChunkLattice::chunks_per_shard_layer() const
{
    std::size_t count = 1;
    for (std::size_t i = 1; i < rank_; ++i) {
        count *= shard_chunks_[i];
    }
    return count;
}

ChunkLattice::FrameLocation
ChunkLattice::locate(uint64_t frame) const
{
    // Split the frame number into its indices along dims 0..n-3.
    std::vector<uint64_t> index(rank_ - 2);
    uint64_t rest = frame;
    for (std::size_t i = rank_ - 2; i-- > 1;) {
        index[i] = rest % sizes_[i];
        rest /= sizes_[i];
    }
    index[0] = rest;

    FrameLocation location;
    location.layer = index[0] / chunks_[0];
    uint64_t tile = 0; // C-order position of the frame's tile in its chunk
    for (std::size_t i = 0; i < rank_ - 2; ++i) {
        tile = tile * chunks_[i] + index[i] % chunks_[i];
        if (i > 0) {
            location.first_chunk += (index[i] / chunks_[i]) * grid_strides_[i];
        }
    }
    location.offset_in_chunk = tile * tile_bytes();
    return location;
}

std::vector<uint64_t>
ChunkLattice::shard_key_coordinates(uint64_t layer, std::size_t shard) const
{
    std::vector<uint64_t> coordinates;
    if (!virtual_leading_dimension_) {
        coordinates.push_back(layer / shard_chunks_[0]);
    }
    const auto& inner = shards_[shard].shard_coordinates;
    coordinates.insert(coordinates.end(), inner.begin(), inner.end());
    return coordinates;
}

} // namespace zarr

#include "array/ChunkLattice.hpp"

#include "format/DataType.hpp"
#include "spec/LayerDimension.hpp"

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

/// A banded array's dimensions as the lattice sees them: Y becomes a
/// dimension of bands (one chunk of rows each, sharded as Y is) and one of
/// the rows inside a band, so that each band of a frame is a frame of its
/// own (see FrameBanding.hpp).
std::vector<DimensionSpec>
banded_dimensions(const std::vector<DimensionSpec>& dimensions)
{
    std::vector<DimensionSpec> banded(dimensions.begin(), dimensions.end() - 2);
    DimensionSpec bands = dimensions[dimensions.size() - 2];
    DimensionSpec rows = bands;
    bands.size = ceil_div(rows.size, rows.chunk);
    bands.chunk = 1;
    rows.size = rows.chunk;
    rows.shard_chunks = 1;
    banded.push_back(bands);
    banded.push_back(rows);
    banded.push_back(dimensions.back());
    return banded;
}

} // namespace

ChunkLattice::ChunkLattice(const ArraySpec& spec)
  : bytes_per_pixel_(bytes_of(spec.data_type))
  , banded_(spec.banded)
{
    const bool sharded = spec.version == ZarrVersion_3;
    const std::vector<DimensionSpec> dimensions =
      banded_ ? banded_dimensions(spec.dimensions) : spec.dimensions;
    if (dimensions.size() == 2) {
        virtual_leading_dimension_ = true;
        sizes_.push_back(1);
        chunks_.push_back(1);
        shard_chunks_.push_back(1);
    }
    for (const auto& dimension : dimensions) {
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

    // Frames of the dimensions before the layer dimension complete their
    // chunks one index at a time. (A 2-D array's virtual leading dimension
    // is its layer dimension.)
    if (!virtual_leading_dimension_) {
        layer_dim_ = zarr::layer_dimension(dimensions, spec.frames_in_order);
    }
    for (std::size_t i = layer_dim_ + 1; i + 2 < rank_; ++i) {
        inner_frames_ *= sizes_[i];
    }

    // The grid of chunks in one layer (the dims after the layer
    // dimension), C order.
    grid_.assign(rank_, 1);
    grid_strides_.assign(rank_, 0);
    std::size_t layer_chunks = 1;
    for (std::size_t i = rank_; i-- > layer_dim_ + 1;) {
        grid_[i] = ceil_div(sizes_[i], chunks_[i]);
        grid_strides_[i] = layer_chunks;
        layer_chunks *= grid_[i];
    }
    slot_of_chunk_.assign(layer_chunks, 0);

    // Shards of a layer in C order; within each, its chunks in C order.
    const std::size_t inner_rank = rank_ - layer_dim_ - 1;
    std::vector<uint64_t> shard_grid(inner_rank), shard_extent(inner_rank);
    for (std::size_t i = 0; i < inner_rank; ++i) {
        const std::size_t dim = layer_dim_ + 1 + i;
        shard_grid[i] = ceil_div(grid_[dim], shard_chunks_[dim]);
        shard_extent[i] = shard_chunks_[dim];
    }
    std::vector<uint64_t> shard(inner_rank, 0);
    do {
        ShardSlots slots;
        slots.shard_coordinates = shard;
        slots.first_slot = slot_count_;
        std::vector<uint64_t> inner(inner_rank, 0);
        std::size_t index_in_shard = 0;
        do {
            std::size_t layer_chunk = 0;
            bool inside = true;
            for (std::size_t i = 0; i < inner_rank; ++i) {
                const std::size_t dim = layer_dim_ + 1 + i;
                const uint64_t chunk = shard[i] * shard_chunks_[dim] + inner[i];
                inside = inside && chunk < grid_[dim];
                layer_chunk += chunk * grid_strides_[dim];
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
ChunkLattice::chunk_count(std::size_t k) const
{
    return sizes_[k] == 0 ? 0 : ceil_div(sizes_[k], chunks_[k]); // 0: unbounded
}

std::vector<uint64_t>
ChunkLattice::layer_chunk_coordinates(uint64_t layer) const
{
    // Layers count through the chunks of dims 0..layer_dim_ in C order
    // (dim 0, possibly unbounded, outermost).
    std::vector<uint64_t> coordinates(layer_dim_ + 1);
    for (std::size_t k = layer_dim_; k > 0; --k) {
        coordinates[k] = layer % chunk_count(k);
        layer /= chunk_count(k);
    }
    coordinates[0] = layer;
    return coordinates;
}

uint64_t
ChunkLattice::layer_at(const std::vector<uint64_t>& coordinates) const
{
    uint64_t layer = coordinates[0];
    for (std::size_t k = 1; k <= layer_dim_; ++k) {
        layer = layer * chunk_count(k) + coordinates[k];
    }
    return layer;
}

uint64_t
ChunkLattice::layer_of_frame(uint64_t frame) const
{
    // The frame's index along dims 0..layer_dim_, flattened: one chunk per
    // index before the layer dimension, C_j indices per chunk along it.
    const uint64_t outer = frame / inner_frames_;
    if (layer_dim_ == 0) {
        return outer / chunks_[0];
    }
    const uint64_t along = sizes_[layer_dim_];
    return outer / along * chunk_count(layer_dim_) + outer % along / chunks_[layer_dim_];
}

uint64_t
ChunkLattice::first_frame(uint64_t layer) const
{
    if (layer_dim_ == 0) {
        return layer * frames_per_layer();
    }
    const uint64_t per_outer = chunk_count(layer_dim_);
    return (layer / per_outer * sizes_[layer_dim_] + layer % per_outer * chunks_[layer_dim_]) *
           inner_frames_;
}

uint64_t
ChunkLattice::frames_in_layer(uint64_t layer) const
{
    if (layer_dim_ > 0) {
        const uint64_t start = layer % chunk_count(layer_dim_) * chunks_[layer_dim_];
        return std::min(chunks_[layer_dim_], sizes_[layer_dim_] - start) * inner_frames_;
    }
    const uint64_t start = layer * frames_per_layer();
    if (total_frames() == 0) {
        return frames_per_layer();
    }
    return std::min(frames_per_layer(), total_frames() - std::min(start, total_frames()));
}

uint64_t
ChunkLattice::rows_in_layers(uint64_t layers) const
{
    if (layer_dim_ == 0) {
        return layers > UINT64_MAX / chunks_[0] ? UINT64_MAX : layers * chunks_[0];
    }
    uint64_t layers_per_row = 1;
    for (std::size_t k = 1; k <= layer_dim_; ++k) {
        layers_per_row *= chunk_count(k);
    }
    return layers / layers_per_row;
}

uint64_t
ChunkLattice::row_extent(std::size_t k, uint64_t shard) const
{
    const uint64_t count = chunk_count(k);
    if (count == 0) {
        return shard_chunks_[k]; // unbounded: every row whole
    }
    return std::min<uint64_t>(shard_chunks_[k], count - shard * shard_chunks_[k]);
}

std::vector<uint64_t>
ChunkLattice::row_coordinates(uint64_t row) const
{
    std::vector<uint64_t> coordinates(layer_dim_ + 1);
    for (std::size_t k = layer_dim_; k > 0; --k) {
        const uint64_t shards = ceil_div(chunk_count(k), shard_chunks_[k]);
        coordinates[k] = row % shards;
        row /= shards;
    }
    coordinates[0] = row;
    return coordinates;
}

uint64_t
ChunkLattice::shard_row(uint64_t layer) const
{
    const auto chunk = layer_chunk_coordinates(layer);
    uint64_t row = chunk[0] / shard_chunks_[0];
    for (std::size_t k = 1; k <= layer_dim_; ++k) {
        row = row * ceil_div(chunk_count(k), shard_chunks_[k]) + chunk[k] / shard_chunks_[k];
    }
    return row;
}

uint64_t
ChunkLattice::last_layer_of_row(uint64_t row) const
{
    auto chunk = row_coordinates(row);
    for (std::size_t k = 0; k <= layer_dim_; ++k) {
        chunk[k] = chunk[k] * shard_chunks_[k] + row_extent(k, chunk[k]) - 1;
    }
    return layer_at(chunk);
}

std::vector<uint64_t>
ChunkLattice::row_layer_positions(uint64_t row) const
{
    // The row's layers come in C order over its box of chunks along dims
    // 0..layer_dim_; each one's place in the index counts the full box.
    const auto shard = row_coordinates(row);
    std::vector<uint64_t> extent(layer_dim_ + 1), local(layer_dim_ + 1, 0);
    for (std::size_t k = 0; k <= layer_dim_; ++k) {
        extent[k] = row_extent(k, shard[k]);
    }
    std::vector<uint64_t> positions;
    do {
        uint64_t position = 0;
        for (std::size_t k = 0; k <= layer_dim_; ++k) {
            position = position * shard_chunks_[k] + local[k];
        }
        positions.push_back(position);
    } while (next_in_box(local, extent));
    return positions;
}

uint64_t
ChunkLattice::layer_in_shard(uint64_t layer) const
{
    const auto chunk = layer_chunk_coordinates(layer);
    uint64_t place = 0;
    for (std::size_t k = 0; k <= layer_dim_; ++k) {
        const uint64_t shard = chunk[k] / shard_chunks_[k];
        place = place * row_extent(k, shard) + chunk[k] % shard_chunks_[k];
    }
    return place;
}

uint64_t
ChunkLattice::max_open_rows() const
{
    // A row stays open from its first layer to its last. When a shard is
    // deeper than one index along a dimension before the layer dimension,
    // every row inside it along the dimensions after that one is open too.
    for (std::size_t k = 0; k < layer_dim_; ++k) {
        if (shard_chunks_[k] > 1) {
            uint64_t rows = 1;
            for (std::size_t i = k + 1; i <= layer_dim_; ++i) {
                rows *= ceil_div(chunk_count(i), shard_chunks_[i]);
            }
            return rows + 1;
        }
    }
    return 2;
}

std::size_t
ChunkLattice::index_in_shard(uint64_t layer, std::size_t slot) const
{
    const auto& shard = shards_[shard_of_slot_[slot]];
    const auto chunk = layer_chunk_coordinates(layer);
    uint64_t position = 0;
    for (std::size_t k = 0; k <= layer_dim_; ++k) {
        position = position * shard_chunks_[k] + chunk[k] % shard_chunks_[k];
    }
    return position * chunks_per_shard_layer() + shard.index_in_shard[slot - shard.first_slot];
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
    uint64_t layers = 1;
    for (std::size_t k = 0; k <= layer_dim_; ++k) {
        layers *= chunk_count(k); // 0 when dim 0 is unbounded
    }
    return layers;
}

uint64_t
ChunkLattice::tile_bytes() const
{
    return tile_height() * tile_width() * bytes_per_pixel_;
}

uint64_t
ChunkLattice::layers_per_shard() const
{
    uint64_t layers = 1;
    for (std::size_t k = 0; k <= layer_dim_; ++k) {
        layers *= shard_chunks_[k];
    }
    return layers;
}

std::size_t
ChunkLattice::chunks_per_shard() const
{
    return std::size_t(layers_per_shard()) * chunks_per_shard_layer();
}

std::size_t
ChunkLattice::chunks_per_shard_layer() const
{
    std::size_t count = 1;
    for (std::size_t i = layer_dim_ + 1; i < rank_; ++i) {
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
    location.layer = layer_of_frame(frame);
    uint64_t tile = 0; // C-order position of the frame's tile in its chunk
    for (std::size_t i = 0; i < rank_ - 2; ++i) {
        tile = tile * chunks_[i] + index[i] % chunks_[i];
        if (i > layer_dim_) {
            location.first_chunk += (index[i] / chunks_[i]) * grid_strides_[i];
        }
    }
    location.offset_in_chunk = tile * tile_bytes();
    return location;
}

std::vector<uint64_t>
ChunkLattice::shard_key_coordinates(uint64_t layer, std::size_t shard) const
{
    const auto chunk = layer_chunk_coordinates(layer);
    std::vector<uint64_t> coordinates;
    for (std::size_t k = virtual_leading_dimension_ ? 1 : 0; k <= layer_dim_; ++k) {
        coordinates.push_back(chunk[k] / shard_chunks_[k]);
    }
    const auto& inner = shards_[shard].shard_coordinates;
    coordinates.insert(coordinates.end(), inner.begin(), inner.end());
    if (banded_) { // the rows inside a band are not a dimension of the array
        coordinates.erase(coordinates.begin() + std::ptrdiff_t(rank_ - 2));
    }
    return coordinates;
}

} // namespace zarr

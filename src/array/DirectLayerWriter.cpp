#include "array/DirectLayerWriter.hpp"

#include "util/DirectIo.hpp"
#include "util/Logger.hpp"

#include <algorithm>
#include <cstring>

namespace zarr {

bool
DirectLayerWriter::suits(const ArraySpec& spec, const ChunkLattice& lattice)
{
    constexpr std::size_t kMinTileBytes = 16 * 1024;
    constexpr std::size_t kMaxShardsPerLayer = 256;
    return spec.random_access_store && spec.version == ZarrVersion_3 && !spec.compression &&
           lattice.tile_bytes() >= kMinTileBytes &&
           lattice.shards().size() <= kMaxShardsPerLayer;
}

DirectLayerWriter::DirectLayerWriter(const ArraySpec& spec,
                                     const ChunkLattice& lattice,
                                     Store& store,
                                     ThreadPool& pool,
                                     FirstError& errors,
                                     LayerWritten layer_written)
  : lattice_(lattice)
  , pool_(pool)
  , errors_(errors)
  , layer_written_(std::move(layer_written))
  , shards_(lattice, store, spec.key, spec.version)
  , slot_offsets_(lattice.slot_count())
  , alignments_(lattice.shards().size(), 1)
{
    // Whole tile rows, up to 256 KiB: stays in the CPU's cache.
    const std::size_t tile_row = lattice_.tile_width() * lattice_.bytes_per_pixel();
    staging_rows_ = std::clamp<std::size_t>(
      (256 * 1024) / tile_row, 1, std::size_t(lattice_.tile_height()));
    // Page-aligned, with room to start a write's bytes at their offset's
    // place within an aligned block (see write_tiles).
    staging_.ensure(staging_rows_ * tile_row + kMaxDirectIoAlignment, kMaxDirectIoAlignment);
}

void
DirectLayerWriter::write_frame(const uint8_t* frame,
                               uint64_t frame_number,
                               const RowsWritten& rows_written)
{
    try {
        if (!layer_open_) {
            open_layer(lattice_.locate(frame_number).layer);
        }
        if (frame) { // zeros need no write: unwritten ranges read as zeros
            write_tiles(frame, frame_number);
        }
    } catch (const ZarrError& error) {
        layer_failed_ = true; // the layer is never claimed
        errors_.record(error); // so that close() reports it too
        throw;
    }
    if (rows_written) { // (the whole frame: its staging is not per band)
        rows_written(0, lattice_.frame_height());
    }
}

void
DirectLayerWriter::open_layer(uint64_t layer)
{
    // Reserve the layer's chunks in each shard up front: each chunk's
    // place in its file is then known for every frame of the layer.
    // (With direct I/O each chunk's room is padded to the alignment.)
    const auto& files = shards_.for_layer(layer);
    for (std::size_t shard = 0; shard < files.size(); ++shard) {
        const auto chunks = lattice_.layer_chunks(layer, shard);
        const std::size_t first_slot = lattice_.shards()[shard].first_slot;
        files[shard]->reserve(chunks,
                              std::span(slot_offsets_).subspan(first_slot, chunks.size()));
        alignments_[shard] = std::min(files[shard]->alignment(), kMaxDirectIoAlignment);
    }
    layer_open_ = true;
    layer_failed_ = false;
    preallocate_next_row(layer);
}

void
DirectLayerWriter::preallocate_next_row(uint64_t layer)
{
    // When the next layer starts new shard files, a worker allocates their
    // space while this layer is written (space in a file being written
    // would wait for that file's lock instead). Only a hint: a failure
    // here is reported by the writes themselves.
    const auto& next = shards_.make_next_row(layer);
    if (next.empty()) {
        return;
    }
    std::vector<std::pair<std::shared_ptr<ShardFile>, uint64_t>> targets;
    for (std::size_t shard = 0; shard < next.size(); ++shard) {
        targets.emplace_back(next[shard], lattice_.shards()[shard].index_in_shard.size());
    }
    pool_.submit([targets = std::move(targets), chunk_bytes = lattice_.chunk_bytes()] {
        for (const auto& [file, chunks] : targets) {
            try {
                file->preallocate(chunks, chunk_bytes);
            } catch (const std::exception& error) {
                log_debug("preallocation failed: ", error.what());
            }
        }
    });
}

void
DirectLayerWriter::write_tiles(const uint8_t* frame, uint64_t frame_number)
{
    const auto location = lattice_.locate(frame_number);
    const std::size_t across = lattice_.chunks_across();
    const std::size_t pixel = lattice_.bytes_per_pixel();
    const std::size_t tile_row = lattice_.tile_width() * pixel;
    const std::size_t frame_row = lattice_.frame_width() * pixel;
    const uint64_t tile_height = lattice_.tile_height();
    const uint64_t height = lattice_.frame_height();
    const uint64_t rows_per_write = staging_rows_;
    const auto& files = shards_.for_layer(location.layer);

    // A tile's rows are contiguous in its chunk. They are gathered into a
    // small, cache-resident staging buffer and written with one contiguous
    // write: the kernel copies a contiguous buffer ~40% faster than many
    // row-sized pieces. A tile cut by the frame's right edge is padded with
    // zeros (rows below the bottom edge are not written: they read as zeros).
    //
    // With direct I/O (alignment > 1) the bytes are staged as far from an
    // aligned address as their offset is from an aligned offset: the
    // write's aligned middle then goes to the device from the staging
    // buffer as it is, and only a tile write's unaligned ends (none when
    // tiles are whole blocks) are buffered.
    for (std::size_t i = 0; i < lattice_.chunks_down() * across; ++i) {
        const std::size_t slot = lattice_.slot_of(location.first_chunk + i);
        const uint64_t top = (i / across) * tile_height;
        const std::size_t left = (i % across) * tile_row;
        const uint64_t row_count = std::min(tile_height, height - top);
        const std::size_t width = std::min(tile_row, frame_row - left);
        const std::size_t shard = lattice_.shard_of_slot(slot);
        ShardFile& file = *files[shard];
        const std::size_t alignment = alignments_[shard];
        for (uint64_t first = 0; first < row_count; first += rows_per_write) {
            const uint64_t rows = std::min(rows_per_write, row_count - first);
            const uint64_t offset =
              slot_offsets_[slot] + location.offset_in_chunk + first * tile_row;
            uint8_t* staged = staging_.data() + (alignment > 1 ? offset % alignment : 0);
            for (uint64_t r = 0; r < rows; ++r) {
                uint8_t* target = staged + r * tile_row;
                std::memcpy(target, frame + (top + first + r) * frame_row + left, width);
                if (width < tile_row) {
                    std::memset(target + width, 0, tile_row - width);
                }
            }
            const ByteSpan bytes{ staged, std::size_t(rows) * tile_row };
            file.write(offset, std::span(&bytes, 1));
        }
    }
}

void
DirectLayerWriter::end_layer(uint64_t layer, std::span<const uint64_t>)
{
    // Missing frames were never written: their ranges read as zeros.
    try {
        if (!layer_open_) {
            open_layer(layer); // a layer of zeros still gets its chunks
        }
    } catch (const ZarrError& error) {
        layer_failed_ = true;
        errors_.record(error);
    }
    layer_open_ = false;
    const uint64_t layer_in_shard = lattice_.layer_in_shard(layer);
    for (const auto& file : shards_.for_layer(layer)) {
        if (!errors_.capture([&] { file->layer_written(layer_in_shard, !layer_failed_); })) {
            layer_failed_ = true;
        }
    }
    if (!errors_.capture([&] { layer_written_(layer, !layer_failed_); }) || layer_failed_) {
        errors_.rethrow(); // the caller learns of it now
    }
}

void
DirectLayerWriter::finish()
{
    shards_.finish(errors_);
}

} // namespace zarr

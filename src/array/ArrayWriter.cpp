#include "array/ArrayWriter.hpp"

#include "format/DataType.hpp"
#include "util/Logger.hpp"
#include "util/StreamingCopy.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace zarr {

/// One layer on its way to storage, shared by the jobs that write it.
struct ArrayWriter::LayerFlush
{
    LayerBuffer* buffer = nullptr;
    uint64_t layer = 0;
    std::vector<std::shared_ptr<ShardFile>> files;      // one per shard
    std::unique_ptr<std::atomic<std::size_t>[]> chunks_pending; // per shard
    std::atomic<std::size_t> shards_pending{ 0 };
};

namespace {

/// Runs `job`, recording any failure instead of letting it escape a worker.
template<typename Job>
void
recording_failures(FirstError& errors, Job&& job)
{
    try {
        job();
    } catch (const ZarrError& error) {
        errors.record(error);
    } catch (const std::bad_alloc&) {
        errors.record(ZarrError(ZarrStatusCode_OutOfMemory, "out of memory"));
    } catch (const std::exception& error) {
        errors.record(ZarrError(ZarrStatusCode_InternalError, error.what()));
    }
}

/// Each worker compresses into its own scratch buffer, reused chunk after
/// chunk, and writes from there: no per-layer output area is needed.
uint8_t*
compression_scratch(std::size_t bytes)
{
    thread_local std::vector<uint8_t> scratch;
    if (scratch.size() < bytes) {
        scratch.resize(bytes);
    }
    return scratch.data();
}

/// The scratch all workers together hold (see compression_scratch).
std::size_t
scratch_bytes(const ChunkCompressor* compressor,
              const ChunkLattice& lattice,
              std::size_t thread_count)
{
    return compressor ? thread_count * compressor->max_compressed_size(lattice.chunk_bytes())
                      : 0;
}

std::unique_ptr<ChunkCompressor>
make_compressor(const ArraySpec& spec)
{
    if (!spec.compression) {
        return nullptr;
    }
    return ChunkCompressor::create(*spec.compression, bytes_of(spec.data_type));
}

/// Uncompressed shards have a layout known in advance, so each frame can go
/// from the caller's memory straight into its shards with one write per
/// chunk tile: no layer buffer. Tiles must be big enough to keep the write
/// calls efficient, and the shards of a layer few enough to keep them open.
bool
writes_directly(const ArraySpec& spec, const ChunkLattice& lattice)
{
    constexpr std::size_t kMinTileBytes = 16 * 1024;
    constexpr std::size_t kMaxShardsPerLayer = 256;
    return spec.version == ZarrVersion_3 && !spec.compression &&
           lattice.tile_bytes() >= kMinTileBytes &&
           lattice.shards().size() <= kMaxShardsPerLayer;
}

} // namespace

ArrayWriter::ArrayWriter(ArraySpec spec,
                         Store& store,
                         ThreadPool& pool,
                         FirstError& errors)
  : spec_(std::move(spec))
  , lattice_(spec_)
  , store_(store)
  , pool_(pool)
  , errors_(errors)
  , compressor_(make_compressor(spec_))
  , key_prefix_(spec_.key.empty() ? "" : spec_.key + "/")
  , direct_(writes_directly(spec_, lattice_))
  , buffers_(direct_ ? 0 : kLayerBuffers,
             lattice_.slot_count(),
             lattice_.chunk_bytes(),
             pool_)
{
    if (direct_) {
        slot_offsets_.resize(lattice_.slot_count());
        // Whole tile rows, up to 256 KiB: stays in the CPU's cache.
        const std::size_t tile_row = lattice_.tile_width() * lattice_.bytes_per_pixel();
        const std::size_t rows = std::clamp<std::size_t>(
          (256 * 1024) / tile_row, 1, std::size_t(lattice_.tile_height()));
        staging_.resize(rows * tile_row);
    }
    shard_of_slot_.resize(lattice_.slot_count());
    const auto& shards = lattice_.shards();
    for (std::size_t shard = 0; shard < shards.size(); ++shard) {
        for (std::size_t i = 0; i < shards[shard].index_in_shard.size(); ++i) {
            shard_of_slot_[shards[shard].first_slot + i] = shard;
        }
    }
    write_metadata(0);
    if (!direct_) {
        // Last: nothing after this may throw, as the job holds `this`.
        pool_.submit([this] { buffers_.create_remaining(); });
    }
}

uint64_t
ArrayWriter::bytes_remaining() const
{
    if (lattice_.total_frames() == 0) {
        return UINT64_MAX;
    }
    return lattice_.total_frames() * lattice_.frame_bytes() - bytes_accepted_;
}

std::size_t
ArrayWriter::append(const uint8_t* data, std::size_t size)
{
    const std::size_t accepted = std::size_t(std::min<uint64_t>(size, bytes_remaining()));
    const std::size_t frame_bytes = lattice_.frame_bytes();
    std::size_t done = 0;
    while (done < accepted) {
        const std::size_t left = accepted - done;
        if (partial_bytes_ == 0 && left >= frame_bytes) {
            // The common case: a whole frame straight from the caller.
            write_frame(data ? data + done : nullptr);
            done += frame_bytes;
            continue;
        }
        // A piece of a frame: gather it until the frame is complete.
        if (!partial_frame_) {
            partial_frame_.reset(new uint8_t[frame_bytes]);
        }
        const std::size_t take = std::min(frame_bytes - partial_bytes_, left);
        if (data) {
            std::memcpy(partial_frame_.get() + partial_bytes_, data + done, take);
        } else {
            std::memset(partial_frame_.get() + partial_bytes_, 0, take);
        }
        partial_bytes_ += take;
        done += take;
        if (partial_bytes_ == frame_bytes) {
            partial_bytes_ = 0;
            write_frame(partial_frame_.get());
        }
    }
    bytes_accepted_ += accepted;
    return accepted;
}

void
ArrayWriter::write_frame(const uint8_t* frame)
{
    if (direct_) {
        write_frame_directly(frame);
        return;
    }
    if (!current_) {
        current_ = buffers_.acquire(); // waits while all buffers are in flight
        current_layer_ = frames_written_ / lattice_.frames_per_layer();
    }
    scatter(frame, frames_written_);
    ++frames_written_;
    if (layer_complete()) {
        submit_layer();
    }
}

bool
ArrayWriter::layer_complete() const
{
    // The layer is full, or the (bounded) array ends inside it.
    return frames_written_ % lattice_.frames_per_layer() == 0 ||
           frames_written_ == lattice_.total_frames();
}

void
ArrayWriter::scatter(const uint8_t* frame, uint64_t frame_number)
{
    const auto location = lattice_.locate(frame_number);
    const std::size_t across = lattice_.chunks_across();
    const std::size_t down = lattice_.chunks_down();
    const std::size_t pixel = lattice_.bytes_per_pixel();
    const std::size_t tile_row = lattice_.tile_width() * pixel;
    const std::size_t frame_row = lattice_.frame_width() * pixel;
    const uint64_t tile_height = lattice_.tile_height();

    // Where this frame's tile starts in each chunk it touches.
    thread_local std::vector<uint8_t*> tiles;
    tiles.resize(down * across);
    for (std::size_t i = 0; i < down * across; ++i) {
        tiles[i] = current_->chunk(lattice_.slot_of(location.first_chunk + i)) +
                   location.offset_in_chunk;
    }

    // Row by row through the frame (the caller's memory is read in order),
    // each row cut into its chunks' tile rows.
    const uint64_t height = lattice_.frame_height();
    for (uint64_t y = 0; y < height; ++y) {
        uint8_t* const* row_tiles = tiles.data() + (y / tile_height) * across;
        const std::size_t offset_in_tile = (y % tile_height) * tile_row;
        const uint8_t* source = frame ? frame + y * frame_row : nullptr;
        for (std::size_t x = 0; x < across; ++x) {
            const std::size_t start = x * tile_row;
            const std::size_t width = std::min(tile_row, frame_row - start);
            uint8_t* target = row_tiles[x] + offset_in_tile;
            if (source) {
                streaming_copy(target, source + start, width);
            } else {
                std::memset(target, 0, width);
            }
        }
    }
    streaming_copy_fence(); // the layer may go to a worker next
}

void
ArrayWriter::write_frame_directly(const uint8_t* frame)
{
    try {
        if (!direct_layer_open_) {
            open_direct_layer();
        }
        if (frame) { // zeros need no write: unwritten ranges read as zeros
            write_tiles_directly(frame, frames_written_);
        }
        ++frames_written_;
        if (layer_complete()) {
            close_direct_layer();
        }
    } catch (const ZarrError& error) {
        errors_.record(error); // so that close() reports it too
        throw;
    }
}

void
ArrayWriter::open_direct_layer()
{
    // Reserve the layer's chunks in each shard up front: each chunk's
    // place in its file is then known for every frame of the layer.
    current_layer_ = frames_written_ / lattice_.frames_per_layer();
    for (std::size_t shard = 0; shard < lattice_.shards().size(); ++shard) {
        const auto chunks = layer_chunks(current_layer_, shard);
        const uint64_t start = shard_file(current_layer_, shard)->reserve(chunks);
        const std::size_t first_slot = lattice_.shards()[shard].first_slot;
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            slot_offsets_[first_slot + i] = start + i * lattice_.chunk_bytes();
        }
    }
    direct_layer_open_ = true;
    preallocate_next_layer();
}

void
ArrayWriter::preallocate_next_layer()
{
    // When the next layer starts new shard files, a worker allocates their
    // space while this layer is written (space in a file being written
    // would wait for that file's lock instead). Only a hint: a failure
    // here is reported by the writes themselves.
    const uint64_t next = current_layer_ + 1;
    const uint64_t group = next / lattice_.layers_per_shard();
    if (group == shard_group_ ||
        (lattice_.total_layers() > 0 && next >= lattice_.total_layers())) {
        return;
    }
    next_files_ = make_shard_files(group);
    next_group_ = group;
    std::vector<std::pair<std::shared_ptr<ShardFile>, uint64_t>> targets;
    for (std::size_t shard = 0; shard < next_files_.size(); ++shard) {
        const uint64_t bytes =
          lattice_.shards()[shard].index_in_shard.size() * lattice_.chunk_bytes();
        targets.emplace_back(next_files_[shard], bytes);
    }
    pool_.submit([targets = std::move(targets)] {
        for (const auto& [file, bytes] : targets) {
            try {
                file->preallocate(0, bytes);
            } catch (const std::exception& error) {
                log_debug("preallocation failed: ", error.what());
            }
        }
    });
}

void
ArrayWriter::write_tiles_directly(const uint8_t* frame, uint64_t frame_number)
{
    const auto location = lattice_.locate(frame_number);
    const std::size_t across = lattice_.chunks_across();
    const std::size_t pixel = lattice_.bytes_per_pixel();
    const std::size_t tile_row = lattice_.tile_width() * pixel;
    const std::size_t frame_row = lattice_.frame_width() * pixel;
    const uint64_t tile_height = lattice_.tile_height();
    const uint64_t height = lattice_.frame_height();
    const uint64_t rows_per_write = staging_.size() / tile_row;

    // A tile's rows are contiguous in its chunk. They are gathered into a
    // small, cache-resident staging buffer and written with one contiguous
    // write: the kernel copies a contiguous buffer ~40% faster than many
    // row-sized pieces. A tile cut by the frame's right edge is padded with
    // zeros (rows below the bottom edge are not written: they read as zeros).
    for (std::size_t i = 0; i < lattice_.chunks_down() * across; ++i) {
        const std::size_t slot = lattice_.slot_of(location.first_chunk + i);
        const uint64_t top = (i / across) * tile_height;
        const std::size_t left = (i % across) * tile_row;
        const uint64_t row_count = std::min(tile_height, height - top);
        const std::size_t width = std::min(tile_row, frame_row - left);
        ShardFile& file = *files_[shard_of_slot_[slot]];
        for (uint64_t first = 0; first < row_count; first += rows_per_write) {
            const uint64_t rows = std::min(rows_per_write, row_count - first);
            for (uint64_t r = 0; r < rows; ++r) {
                uint8_t* target = staging_.data() + r * tile_row;
                std::memcpy(target, frame + (top + first + r) * frame_row + left, width);
                if (width < tile_row) {
                    std::memset(target + width, 0, tile_row - width);
                }
            }
            const ByteSpan bytes{ staging_.data(), std::size_t(rows) * tile_row };
            file.write(slot_offsets_[slot] + location.offset_in_chunk + first * tile_row,
                       std::span(&bytes, 1));
        }
    }
}

void
ArrayWriter::close_direct_layer()
{
    direct_layer_open_ = false;
    for (const auto& file : files_) {
        file->layer_written();
    }
    publish_rows(current_layer_);
}

void
ArrayWriter::submit_layer()
{
    // Frames this layer never got (the stream stopped, or the array ends
    // mid-chunk) must read as zeros, not as an earlier layer's pixels.
    const uint64_t layer_end = (current_layer_ + 1) * lattice_.frames_per_layer();
    for (uint64_t frame = frames_written_; frame < layer_end; ++frame) {
        scatter(nullptr, frame);
    }

    auto flush = std::make_shared<LayerFlush>();
    flush->buffer = current_;
    flush->layer = current_layer_;
    const std::size_t shard_count = lattice_.shards().size();
    flush->chunks_pending.reset(new std::atomic<std::size_t>[shard_count]);
    for (std::size_t shard = 0; shard < shard_count; ++shard) {
        flush->files.push_back(shard_file(current_layer_, shard));
        flush->chunks_pending[shard] = lattice_.shards()[shard].index_in_shard.size();
    }
    flush->shards_pending = shard_count;
    current_ = nullptr;

    if (compressor_) {
        for (std::size_t slot = 0; slot < lattice_.slot_count(); ++slot) {
            pool_.submit([this, flush, slot] { compress_chunk(flush, slot); });
        }
    } else {
        for (std::size_t shard = 0; shard < shard_count; ++shard) {
            pool_.submit([this, flush, shard] { write_shard(flush, shard); });
        }
    }
}

std::vector<std::shared_ptr<ShardFile>>
ArrayWriter::make_shard_files(uint64_t group) const
{
    const uint64_t layers_per_shard = lattice_.layers_per_shard();
    uint64_t expected_layers = layers_per_shard;
    if (lattice_.total_layers() > 0) {
        expected_layers =
          std::min(layers_per_shard, lattice_.total_layers() - group * layers_per_shard);
    }
    const bool sharded = spec_.version == ZarrVersion_3;
    std::vector<std::shared_ptr<ShardFile>> files;
    for (std::size_t i = 0; i < lattice_.shards().size(); ++i) {
        std::string key = key_prefix_ + (sharded ? "c" : "");
        const uint64_t layer = group * layers_per_shard;
        for (const uint64_t coordinate : lattice_.shard_key_coordinates(layer, i)) {
            if (!key.empty() && key.back() != '/') {
                key += '/';
            }
            key += std::to_string(coordinate);
        }
        files.push_back(std::make_shared<ShardFile>(
          store_, key, sharded ? lattice_.chunks_per_shard() : 0, expected_layers));
    }
    return files;
}

std::shared_ptr<ShardFile>
ArrayWriter::shard_file(uint64_t layer, std::size_t shard)
{
    const uint64_t group = layer / lattice_.layers_per_shard();
    if (group != shard_group_) {
        // A new row of shards. The previous row's files stay alive in the
        // jobs still writing them and close themselves after their last
        // layer, which was submitted before this one.
        if (group == next_group_) {
            files_ = std::move(next_files_); // made ahead by open_direct_layer
            next_group_ = UINT64_MAX;
        } else {
            files_ = make_shard_files(group);
        }
        shard_group_ = group;
    }
    return files_[shard];
}

std::size_t
ArrayWriter::index_in_shard(uint64_t layer, std::size_t slot) const
{
    const auto& shard = lattice_.shards()[shard_of_slot_[slot]];
    const std::size_t layer_in_shard = layer % lattice_.layers_per_shard();
    return layer_in_shard * lattice_.chunks_per_shard_layer() +
           shard.index_in_shard[slot - shard.first_slot];
}

std::vector<ShardFile::Chunk>
ArrayWriter::layer_chunks(uint64_t layer, std::size_t shard) const
{
    const auto& slots = lattice_.shards()[shard];
    std::vector<ShardFile::Chunk> chunks;
    for (std::size_t i = 0; i < slots.index_in_shard.size(); ++i) {
        chunks.push_back({ index_in_shard(layer, slots.first_slot + i), lattice_.chunk_bytes() });
    }
    return chunks;
}

void
ArrayWriter::compress_chunk(const std::shared_ptr<LayerFlush>& flush, std::size_t slot)
{
    const std::size_t shard = shard_of_slot_[slot];
    recording_failures(errors_, [&] {
        const std::size_t capacity = compressor_->max_compressed_size(lattice_.chunk_bytes());
        uint8_t* output = compression_scratch(capacity);
        const std::size_t size = compressor_->compress(
          flush->buffer->chunk(slot), lattice_.chunk_bytes(), output, capacity);
        ShardFile& file = *flush->files[shard];
        const ShardFile::Chunk chunk{ index_in_shard(flush->layer, slot), size };
        const ByteSpan bytes{ output, size };
        file.write(file.reserve(std::span(&chunk, 1)), std::span(&bytes, 1));
    });
    if (flush->chunks_pending[shard].fetch_sub(1) == 1) {
        shard_written(flush, shard);
    }
}

void
ArrayWriter::write_shard(const std::shared_ptr<LayerFlush>& flush, std::size_t shard)
{
    recording_failures(errors_, [&] {
        // Uncompressed: the shard's chunks are contiguous in the layer
        // buffer and go to disk in one write.
        const auto chunks = layer_chunks(flush->layer, shard);
        const ByteSpan bytes{ flush->buffer->chunk(lattice_.shards()[shard].first_slot),
                              chunks.size() * lattice_.chunk_bytes() };
        ShardFile& file = *flush->files[shard];
        file.write(file.reserve(chunks), std::span(&bytes, 1));
    });
    shard_written(flush, shard);
}

void
ArrayWriter::shard_written(const std::shared_ptr<LayerFlush>& flush, std::size_t shard)
{
    recording_failures(errors_, [&] { flush->files[shard]->layer_written(); });
    if (flush->shards_pending.fetch_sub(1) == 1) {
        complete_layer(*flush);
    }
}

void
ArrayWriter::complete_layer(const LayerFlush& flush)
{
    buffers_.release(flush.buffer);
    recording_failures(errors_, [&] { publish_rows(flush.layer); });
}

void
ArrayWriter::publish_rows(uint64_t layer)
{
    // Publish the new extent, so a reader (or a crash) sees every complete
    // layer. The final shape is written by finish().
    uint64_t rows = (layer + 1) * spec_.dimensions.front().chunk;
    if (lattice_.total_frames() > 0) {
        rows = std::min(rows, uint64_t(spec_.dimensions.front().size));
    }
    std::lock_guard lock(metadata_mutex_);
    if (rows > rows_on_disk_) {
        rows_on_disk_ = rows;
        write_metadata(rows);
    }
}

void
ArrayWriter::flush()
{
    if (partial_bytes_ > 0) {
        log_warning("array '",
                    spec_.key,
                    "': the last frame is incomplete (",
                    partial_bytes_,
                    " of ",
                    lattice_.frame_bytes(),
                    " bytes); it is written padded with zeros");
        std::memset(partial_frame_.get() + partial_bytes_,
                    0,
                    lattice_.frame_bytes() - partial_bytes_);
        partial_bytes_ = 0;
        write_frame(partial_frame_.get());
    }
    if (current_) {
        submit_layer();
    }
    if (direct_layer_open_) {
        close_direct_layer();
    }
}

void
ArrayWriter::finish()
{
    for (const auto& file : files_) {
        recording_failures(errors_, [&] { file->finish(); });
    }
    files_.clear();
    for (const auto& file : next_files_) { // made ahead, never written
        recording_failures(errors_, [&] { file->finish(); });
    }
    next_files_.clear();
    recording_failures(errors_, [&] {
        std::lock_guard lock(metadata_mutex_);
        rows_on_disk_ = rows_written();
        write_metadata(rows_on_disk_);
    });
    if (buffers_.wait_count() > 0) {
        log_debug("array '",
                 spec_.key,
                 "': append waited ",
                 buffers_.wait_count(),
                 " times (",
                 buffers_.time_waited().count() / 1000000,
                 " ms) for storage to catch up");
    }
}

uint64_t
ArrayWriter::rows_written() const
{
    const uint64_t per_row = lattice_.frames_per_row();
    return (frames_written_ + per_row - 1) / per_row;
}

std::vector<uint64_t>
ArrayWriter::shape(uint64_t rows) const
{
    std::vector<uint64_t> shape;
    for (const auto& dimension : spec_.dimensions) {
        shape.push_back(dimension.size);
    }
    if (spec_.dimensions.size() > 2) {
        shape.front() = rows;
    }
    return shape;
}

void
ArrayWriter::write_metadata(uint64_t rows)
{
    if (spec_.version == ZarrVersion_3) {
        store_.write_object(
          key_prefix_ + "zarr.json",
          ArrayMetadata::v3_document(spec_, shape(rows), attributes_).dump(4));
    } else {
        store_.write_object(key_prefix_ + ".zarray",
                            ArrayMetadata::v2_document(spec_, shape(rows)).dump(4));
        store_.write_object(key_prefix_ + ".zattrs", attributes_.dump(4));
    }
}

void
ArrayWriter::set_attributes(const ArrayMetadata::Json& attributes)
{
    std::lock_guard lock(metadata_mutex_);
    attributes_ = attributes;
    write_metadata(rows_on_disk_);
}

ArrayMetadata::Json
ArrayWriter::attributes() const
{
    std::lock_guard lock(metadata_mutex_);
    return attributes_;
}

std::size_t
ArrayWriter::memory_in_use() const
{
    const std::size_t buffers = buffers_.bytes_allocated();
    const std::size_t scratch =
      buffers > 0 ? scratch_bytes(compressor_.get(), lattice_, pool_.thread_count()) : 0;
    return buffers + scratch + (partial_frame_ ? lattice_.frame_bytes() : 0);
}

std::size_t
ArrayWriter::estimate_memory(const ArraySpec& spec, std::size_t thread_count)
{
    const ChunkLattice lattice(spec);
    if (writes_directly(spec, lattice)) {
        return lattice.frame_bytes(); // only a partial frame is ever held
    }
    const auto compressor = make_compressor(spec);
    return kLayerBuffers * lattice.slot_count() * lattice.chunk_bytes() +
           lattice.frame_bytes() + scratch_bytes(compressor.get(), lattice, thread_count);
}

} // namespace zarr

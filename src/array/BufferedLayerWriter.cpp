#include "array/BufferedLayerWriter.hpp"

#include "format/DataType.hpp"
#include "util/AlignedBuffer.hpp"
#include "util/AllZero.hpp"
#include "util/DirectIo.hpp"
#include "util/Logger.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

namespace zarr {

/// One layer on its way to storage, shared by the jobs that write it.
struct BufferedLayerWriter::LayerFlush
{
    LayerBuffer* buffer = nullptr;
    uint64_t layer = 0;
    ShardFiles::Row files;                                      // one per shard
    std::unique_ptr<std::atomic<std::size_t>[]> chunks_pending; // per shard
    std::atomic<std::size_t> shards_pending{ 0 };
    std::atomic<bool> failed{ false }; // a write of this layer failed
};

namespace {

constexpr std::size_t kScratchAlignment = 4096;

std::unique_ptr<ChunkCompressor>
make_compressor(const ArraySpec& spec)
{
    if (!spec.compression) {
        return nullptr;
    }
    return ChunkCompressor::create(*spec.compression, bytes_of(spec.data_type));
}

/// A compression job takes a run of a shard's chunks of about this many
/// bytes (at least one chunk): small chunks (a 32^3 volume's are 64 KiB)
/// then cost one job, one lock and one write per run, not per chunk.
constexpr uint64_t kRunBytes = 1 << 20;

/// Chunks per compression job (see kRunBytes).
std::size_t
chunks_per_run(const ChunkLattice& lattice)
{
    return std::size_t(std::max<uint64_t>(1, kRunBytes / lattice.chunk_bytes()));
}

/// Each worker compresses into its own scratch buffer, reused run after
/// run, and writes from there: no per-layer output area is needed. Its
/// address is aligned (for direct I/O; a page whatever the file).
uint8_t*
compression_scratch(std::size_t bytes, std::size_t alignment)
{
    thread_local AlignedBuffer scratch;
    return scratch.ensure(bytes, std::max<std::size_t>(alignment, kScratchAlignment));
}

/// The scratch all workers together hold (see compression_scratch), and
/// the compressor's working memory in each of them.
std::size_t
scratch_bytes(const ChunkCompressor* compressor,
              const ChunkLattice& lattice,
              std::size_t thread_count)
{
    // Rounded up: with direct I/O a chunk is padded to the alignment.
    if (!compressor) {
        return 0;
    }
    const uint64_t capacity = compressor->max_compressed_size(lattice.chunk_bytes());
    return thread_count *
           (chunks_per_run(lattice) * std::size_t(align_up(capacity, kScratchAlignment)) +
            compressor->working_memory_bytes(lattice.chunk_bytes()));
}

} // namespace

std::size_t
BufferedLayerWriter::estimate_memory(const ArraySpec& spec,
                                     const ChunkLattice& lattice,
                                     std::size_t thread_count)
{
    const auto compressor = make_compressor(spec);
    return spec.layer_buffers * lattice.slot_count() * lattice.chunk_bytes() +
           scratch_bytes(compressor.get(), lattice, thread_count);
}

BufferedLayerWriter::BufferedLayerWriter(const ArraySpec& spec,
                                         const ChunkLattice& lattice,
                                         Store& store,
                                         ThreadPool& pool,
                                         FirstError& errors,
                                         LayerWritten layer_written)
  : spec_(spec)
  , lattice_(lattice)
  , pool_(pool)
  , errors_(errors)
  , layer_written_(std::move(layer_written))
  , compressor_(make_compressor(spec))
  , shards_(lattice, store, spec.key, spec.version)
  , buffers_(spec.layer_buffers, lattice.slot_count(), lattice.chunk_bytes(), pool)
{
}

BufferedLayerWriter::~BufferedLayerWriter()
{
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

void
BufferedLayerWriter::write_frame(const uint8_t* frame,
                                 uint64_t frame_number,
                                 const RowsWritten& rows_written)
{
    if (!current_) {
        take_buffer(lattice_.layer_of_frame(frame_number));
    }
    current_->scatter(lattice_, frame, frame_number, rows_written);
}

void
BufferedLayerWriter::take_buffer(uint64_t layer)
{
    current_ = buffers_.acquire(); // waits while all buffers are in flight
    // A layer where the array ends mid-chunk has padding no frame writes:
    // zeros, not an earlier layer's pixels (once per such layer).
    if (lattice_.frames_in_layer(layer) < lattice_.frames_per_layer()) {
        current_->clear();
    }
}

void
BufferedLayerWriter::end_layer(uint64_t layer, std::span<const uint64_t> missing)
{
    if (!current_) {
        take_buffer(layer);
    }
    // Frames this layer never got (the stream stopped, or the array ends
    // mid-chunk) must read as zeros, not as an earlier layer's pixels.
    for (const uint64_t frame : missing) {
        current_->scatter(lattice_, nullptr, frame);
    }

    auto flush = std::make_shared<LayerFlush>();
    flush->buffer = current_;
    flush->layer = layer;
    flush->files = shards_.for_layer(layer);
    const std::size_t shard_count = lattice_.shards().size();
    flush->chunks_pending.reset(new std::atomic<std::size_t>[shard_count]);
    for (std::size_t shard = 0; shard < shard_count; ++shard) {
        flush->chunks_pending[shard] = lattice_.shards()[shard].index_in_shard.size();
    }
    flush->shards_pending = shard_count;
    current_ = nullptr;

    if (compressor_) {
        const std::size_t run = chunks_per_run(lattice_);
        for (std::size_t shard = 0; shard < shard_count; ++shard) {
            const auto& slots = lattice_.shards()[shard];
            const std::size_t count = slots.index_in_shard.size();
            for (std::size_t first = 0; first < count; first += run) {
                const std::size_t n = std::min(run, count - first);
                pool_.submit([this, flush, shard, slot = slots.first_slot + first, n] {
                    compress_run(flush, shard, slot, n);
                });
            }
        }
    } else {
        for (std::size_t shard = 0; shard < shard_count; ++shard) {
            pool_.submit([this, flush, shard] { write_shard(flush, shard); });
        }
    }
}

void
BufferedLayerWriter::compress_run(const std::shared_ptr<LayerFlush>& flush,
                                  std::size_t shard,
                                  std::size_t first_slot,
                                  std::size_t count)
{
    const bool written = errors_.capture([&] {
        // Chunks of the fill value are left out (their index entries say
        // so); a run of them only does not touch its file at all.
        const uint64_t chunk_bytes = lattice_.chunk_bytes();
        std::vector<std::size_t> stored_slots;
        for (std::size_t slot = first_slot; slot < first_slot + count; ++slot) {
            if (!is_all_zero(flush->buffer->chunk(slot), chunk_bytes)) {
                stored_slots.push_back(slot);
            }
        }
        if (stored_slots.empty()) {
            return;
        }
        ShardFile& file = *flush->files[shard];
        const std::size_t alignment = file.alignment(); // opens the file
        const std::size_t capacity = compressor_->max_compressed_size(chunk_bytes);
        const std::size_t stride = align_up(capacity, std::max(alignment, kScratchAlignment));
        uint8_t* scratch = compression_scratch(stride * stored_slots.size(), alignment);
        // Each chunk into its own aligned place in the scratch; then the
        // run's chunks go into back-to-back rooms with one write.
        std::vector<ShardChunk> chunks;
        std::vector<ByteSpan> pieces;
        for (std::size_t i = 0; i < stored_slots.size(); ++i) {
            const std::size_t slot = stored_slots[i];
            const uint8_t* input = flush->buffer->chunk(slot);
            uint8_t* output = scratch + i * stride;
            const std::size_t size = compressor_->compress(input, chunk_bytes, output, capacity);
            // With direct I/O, the chunk's room is padded: zeros up to its
            // end make the write aligned end to end.
            const std::size_t room = std::size_t(file.padded(size));
            std::memset(output + size, 0, room - size);
            chunks.push_back({ lattice_.index_in_shard(flush->layer, slot), size });
            pieces.push_back({ output, room });
        }
        if (alignment > 1) {
            // Direct I/O: a small chunk's room stays packed and a large one
            // starts on a block, so rooms may have gaps: one write each.
            for (std::size_t i = 0; i < chunks.size(); ++i) {
                file.store(std::span(&chunks[i], 1), std::span(&pieces[i], 1));
            }
        } else {
            file.store(chunks, pieces); // rooms back to back: one write
        }
    });
    if (buffers_.retired()) { // closing: this run's memory is not needed again
        for (std::size_t slot = first_slot; slot < first_slot + count; ++slot) {
            flush->buffer->discard(slot);
        }
    }
    if (!written) {
        flush->failed = true;
    }
    if (flush->chunks_pending[shard].fetch_sub(count) == count) {
        shard_written(flush, shard);
    }
}

void
BufferedLayerWriter::write_shard(const std::shared_ptr<LayerFlush>& flush,
                                 std::size_t shard)
{
    const bool written = errors_.capture([&] {
        // Uncompressed: the shard's chunks are contiguous in the layer
        // buffer and go to disk in one write.
        // Chunks of zeros (the fill value) are left out.
        const auto all = lattice_.layer_chunks(flush->layer, shard);
        const uint8_t* first = flush->buffer->chunk(lattice_.shards()[shard].first_slot);
        const uint64_t chunk_bytes = lattice_.chunk_bytes();
        std::vector<ShardChunk> chunks;
        std::vector<const uint8_t*> sources;
        for (std::size_t i = 0; i < all.size(); ++i) {
            const uint8_t* source = first + i * chunk_bytes;
            if (!is_all_zero(source, std::size_t(chunk_bytes))) {
                chunks.push_back(all[i]);
                sources.push_back(source);
            }
        }
        if (chunks.empty()) {
            return;
        }
        ShardFile& file = *flush->files[shard];
        file.alignment(); // opens the file: padded() needs its alignment
        const uint64_t room = file.padded(chunk_bytes);
        if (room == chunk_bytes && chunks.size() == all.size()) {
            const ByteSpan bytes{ first, chunks.size() * chunk_bytes };
            file.store(chunks, std::span(&bytes, 1));
            return;
        }
        // Some chunks left out, or direct I/O with chunks that are not a
        // whole number of blocks (each room padded with zeros): one
        // gathered write all the same.
        std::vector<ByteSpan> pieces;
        pieces.reserve(2 * chunks.size());
        const std::size_t padding = std::size_t(room - chunk_bytes);
        for (const uint8_t* source : sources) {
            pieces.push_back({ source, std::size_t(chunk_bytes) });
            if (padding > 0) {
                pieces.push_back({ zero_bytes(padding), padding });
            }
        }
        file.store(chunks, pieces);
    });
    if (!written) {
        flush->failed = true;
    }
    if (buffers_.retired()) { // closing: the shard's memory is not needed again
        const auto& slots = lattice_.shards()[shard];
        for (std::size_t i = 0; i < slots.index_in_shard.size(); ++i) {
            flush->buffer->discard(slots.first_slot + i);
        }
    }
    shard_written(flush, shard);
}

void
BufferedLayerWriter::shard_written(const std::shared_ptr<LayerFlush>& flush,
                                   std::size_t shard)
{
    // A failure in another shard of the layer may come later: this shard
    // commits the layer (harmless: the array claims none of its rows).
    const uint64_t layer_in_shard = lattice_.layer_in_shard(flush->layer);
    if (!errors_.capture(
          [&] { flush->files[shard]->layer_written(layer_in_shard, !flush->failed); })) {
        flush->failed = true;
    }
    if (flush->shards_pending.fetch_sub(1) == 1) {
        buffers_.release(flush->buffer);
        errors_.capture([&] { layer_written_(flush->layer, !flush->failed); });
    }
}

void
BufferedLayerWriter::end_of_frames()
{
    buffers_.retire();
}

void
BufferedLayerWriter::finish()
{
    shards_.finish(errors_);
}

std::size_t
BufferedLayerWriter::memory_in_use() const
{
    const std::size_t buffers = buffers_.bytes_allocated();
    return buffers + scratch_bytes(compressor_.get(), lattice_, pool_.thread_count());
}

} // namespace zarr

#pragma once

#include "array/ChunkLattice.hpp"
#include "array/LayerBufferPool.hpp"
#include "array/ShardFile.hpp"
#include "codec/ChunkCompressor.hpp"
#include "format/ArrayMetadata.hpp"
#include "spec/ArraySpec.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <memory>
#include <mutex>
#include <vector>

namespace zarr {

/// Streams frames into one array.
///
/// append() runs on the caller's thread. An uncompressed Zarr v3 array's
/// frames go straight into their shard files (one write per chunk tile).
/// Otherwise each frame is copied once, straight into the chunk
/// tiles of the current layer buffer. A full layer is handed
/// to the thread pool: uncompressed, one job per shard writes the shard's
/// contiguous chunks in one write; compressed, one job per chunk compresses
/// it into the worker's scratch and writes it into its shard. Once every
/// shard of the layer is written the buffer returns to the pool.
class ArrayWriter
{
  public:
    /// How many layer buffers an array may hold: one being filled while one
    /// is compressed and written.
    static constexpr std::size_t kLayerBuffers = 2;

    /// Writes the array's initial metadata.
    ArrayWriter(ArraySpec spec, Store& store, ThreadPool& pool, FirstError& errors);

    const ArraySpec& spec() const { return spec_; }

    /// Takes up to `size` bytes (any part of a frame or many frames; NULL
    /// `data` means zeros). Returns how many bytes were taken: fewer than
    /// `size` only when a bounded array is full.
    std::size_t append(const uint8_t* data, std::size_t size);

    /// Bytes the array can still take; SIZE_MAX when unbounded.
    uint64_t bytes_remaining() const;

    /// Replaces the node's attributes and rewrites its metadata.
    void set_attributes(const ArrayMetadata::Json& attributes);
    ArrayMetadata::Json attributes() const;

    /// Hands the last, partial frame and layer to the pool (zero-padded).
    void flush();
    /// After the pool is idle: completes unfinished shards and writes the
    /// final metadata.
    void finish();

    std::size_t memory_in_use() const;

    /// The most memory an array with this spec will hold.
    /// The most memory an array with this spec will hold, written by
    /// `thread_count` workers.
    static std::size_t estimate_memory(const ArraySpec& spec, std::size_t thread_count);

  private:
    struct LayerFlush;

    void write_frame(const uint8_t* frame);
    bool layer_complete() const;
    void scatter(const uint8_t* frame, uint64_t frame_number);
    void submit_layer();
    std::shared_ptr<ShardFile> shard_file(uint64_t layer, std::size_t shard);
    std::vector<std::shared_ptr<ShardFile>> make_shard_files(uint64_t group) const;
    void preallocate_next_layer();
    void compress_chunk(const std::shared_ptr<LayerFlush>& flush, std::size_t slot);
    void write_shard(const std::shared_ptr<LayerFlush>& flush, std::size_t shard);
    void shard_written(const std::shared_ptr<LayerFlush>& flush, std::size_t shard);
    std::size_t index_in_shard(uint64_t layer, std::size_t slot) const;
    /// One layer's chunks of a shard, uncompressed, in slot order.
    std::vector<ShardFile::Chunk> layer_chunks(uint64_t layer, std::size_t shard) const;
    void complete_layer(const LayerFlush& flush);
    void publish_rows(uint64_t layer);
    void write_frame_directly(const uint8_t* frame);
    void open_direct_layer();
    void write_tiles_directly(const uint8_t* frame, uint64_t frame_number);
    void close_direct_layer();
    void write_metadata(uint64_t rows);
    std::vector<uint64_t> shape(uint64_t rows) const;
    uint64_t rows_written() const;

    ArraySpec spec_;
    ChunkLattice lattice_;
    Store& store_;
    ThreadPool& pool_;
    FirstError& errors_;
    std::unique_ptr<ChunkCompressor> compressor_; // null = uncompressed
    std::string key_prefix_;                      // "" or "a/b/"
    std::vector<std::size_t> shard_of_slot_;
    // Uncompressed v3 arrays skip the layer buffers: frames are written
    // straight into their shards (see writes_directly).
    bool direct_;
    LayerBufferPool buffers_; // empty when direct_

    bool direct_layer_open_ = false;
    std::vector<uint64_t> slot_offsets_; // each chunk's place in its shard
    std::vector<uint8_t> staging_;       // gathers a tile's rows for one write

    // Caller-thread state.
    LayerBuffer* current_ = nullptr;
    uint64_t current_layer_ = 0;
    uint64_t frames_written_ = 0;
    uint64_t bytes_accepted_ = 0;
    std::unique_ptr<uint8_t[]> partial_frame_;
    std::size_t partial_bytes_ = 0;
    uint64_t shard_group_ = UINT64_MAX; // layer / layers_per_shard of files_
    std::vector<std::shared_ptr<ShardFile>> files_;
    uint64_t next_group_ = UINT64_MAX; // the row of shards made ahead
    std::vector<std::shared_ptr<ShardFile>> next_files_;

    // Shared with the writer jobs.
    mutable std::mutex metadata_mutex_;
    ArrayMetadata::Json attributes_ = ArrayMetadata::Json::object();
    uint64_t rows_on_disk_ = 0;
};

} // namespace zarr

#pragma once

#include "array/ShardChunk.hpp"
#include "codec/ShardIndex.hpp"
#include "store/Store.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

namespace zarr {

/// One shard (Zarr v3) or chunk (Zarr v2) object being written, possibly
/// over several layers and by several workers at once. A writer reserves
/// room at the object's end (which also fills the shard index), writes
/// there without holding any lock, and reports each layer once all its
/// chunks are written. After the last expected layer, the index follows
/// the chunks and the object is closed.
///
/// With direct I/O (the sink has an alignment() above 1), a shard's chunks
/// of at least one block start on an aligned offset and get room rounded
/// up to the alignment (padding), so that their writes go straight to the
/// device; the index records each chunk's true offset and size, and gaps
/// are never read. Smaller chunks stay packed (padding them would multiply
/// the shard's size for nothing: their writes are buffered either way).
/// Writers fill a chunk's room up to padded() with zeros. A v2 chunk file
/// (one chunk, no index) gets no padding: the file ends where the chunk
/// does, its last partial block written buffered.
class ShardFile
{
  public:
    /// `index_length` 0 = no index (a v2 chunk file). `expected_layers` is
    /// how many layers complete the object.
    ShardFile(Store& store,
              std::string key,
              std::size_t index_length,
              uint64_t expected_layers);

    /// Reserves room for `chunks` in order and returns the offset of the
    /// first; `offsets`, if not empty (one per chunk), gets each chunk's.
    /// The rooms are back to back (each padded(), after an alignment gap
    /// when padded): chunks of one size are laid out at a stride.
    uint64_t reserve(std::span<const ShardChunk> chunks,
                     std::span<uint64_t> offsets = {});

    /// What the memory (and offsets) of writes to this object should be
    /// aligned to for direct I/O (1: anything goes). Opens the object if
    /// needed.
    std::size_t alignment();

    /// The room reserve() gives a chunk of `nbytes`: rounded up to the
    /// alignment for a shard's chunks of at least one block, else `nbytes`
    /// (valid once alignment() or reserve() has been called).
    uint64_t padded(uint64_t nbytes) const;

    /// Writes at an offset returned by reserve().
    void write(uint64_t offset, std::span<const ByteSpan> pieces);

    /// All chunks of one layer are written; the last layer completes the
    /// object.
    void layer_written();

    /// Asks the store to reserve room for the first `chunk_count` chunks of
    /// `chunk_bytes` each (as reserve() will lay them out) before the
    /// writes come (called from a worker, one layer ahead).
    void preallocate(uint64_t chunk_count, uint64_t chunk_bytes);

    /// Writes the index (if not yet written) and closes. Called at close
    /// for a shard whose last layers never came. A shard that got no
    /// chunks at all is removed.
    void finish();

  private:
    void open_locked();
    void write_index_and_close();

    Store& store_;
    std::string key_;
    std::optional<ShardIndex> index_;
    uint64_t expected_layers_;

    std::mutex mutex_;
    std::mutex write_mutex_; // one write at a time (see write())
    std::unique_ptr<Sink> sink_; // set by the first reserve()
    // The padding of chunk rooms: the sink's alignment when it was opened
    // (fixed, so that the layout stays one even if the sink falls back to
    // buffered writes), 1 without an index.
    std::size_t alignment_ = 1;
    uint64_t end_ = 0;
    uint64_t layers_written_ = 0;
    bool finished_ = false;
};

} // namespace zarr

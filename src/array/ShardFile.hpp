#pragma once

#include "array/ShardChunk.hpp"
#include "codec/ShardIndex.hpp"
#include "store/Store.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace zarr {

/// One shard (Zarr v3) or chunk (Zarr v2) object being written, possibly
/// over several layers and by several workers at once. A writer reserves
/// room at the object's end (which also fills the shard index), writes
/// there without holding any lock, and reports each layer once all its
/// chunks are written. After the last expected layer, the index follows
/// the chunks and the object is closed.
///
/// A shard deeper than one layer is readable after each of its layers: the
/// index of the layers written so far (a prefix of the index: the append
/// dimension is its outermost) ends the file at every moment, so that a
/// reader during acquisition, or after a crash, finds every chunk the
/// metadata claims. The file only grows, and no byte that was ever its
/// last index changes, so a reader that saw one size still reads a good
/// index there: the rooms of the next layer go into a hole below a copy of
/// the current index (written past them first), and once their layer is
/// written, its index is appended after that copy. Each layer after the
/// first adds two indexes (16 bytes a chunk each) to the shard, and a hole
/// where the chunks took less room than the layer before them (a hole is
/// filled by the next layer's chunks while they fit). A failed write stops
/// the updates: the file keeps the last good index, and the layers after
/// it are never claimed.
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
    /// `index_length` 0 = no index (a v2 chunk file); its chunks are
    /// `layers` equal runs, one per layer. The object is complete with
    /// `layer_positions.size()` layers, the i-th of which (the `layer`
    /// of layer_written) starts at run `layer_positions[i]` of the index
    /// (an edge shard may skip runs).
    ShardFile(Store& store,
              std::string key,
              std::size_t index_length,
              uint64_t layers,
              std::vector<uint64_t> layer_positions);
    /// Finishes (see finish()) a file whose last layers never came because
    /// the stream failed.
    ~ShardFile();

    ShardFile(const ShardFile&) = delete;
    ShardFile& operator=(const ShardFile&) = delete;

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

    /// reserve() and write() in one: `pieces` fill the rooms of `chunks`
    /// (padded() each). In an object that takes writes only in order (see
    /// Store::random_access) the writes of several workers are then in
    /// the order of their rooms.
    void store(std::span<const ShardChunk> chunks, std::span<const ByteSpan> pieces);

    /// Every chunk of the shard's `layer` (counted within the shard) has
    /// been written (`ok`), or one of its writes failed. Layers are
    /// committed in order: the index grows by each contiguous layer
    /// written; the last expected one completes the object. No layer from
    /// a failed one on is ever committed. Throws if the index write fails
    /// (then neither this layer nor any after it is committed).
    void layer_written(uint64_t layer, bool ok);

    /// Asks the store to reserve room for the first `chunk_count` chunks of
    /// `chunk_bytes` each (as reserve() will lay them out) before the
    /// writes come (called from a worker, one layer ahead).
    void preallocate(uint64_t chunk_count, uint64_t chunk_bytes);

    /// Closes the object at the end of the stream, with the index of the
    /// layers committed (for a shard whose last layers never came). A
    /// shard without any committed layer is removed.
    void finish();

  private:
    struct Rooms
    {
        uint64_t start = 0; // the first chunk's
        uint64_t end = 0;   // one past the last chunk's
    };

    void open_locked();
    /// Lays `chunks` out from end_ (see reserve()). With `record`, fills
    /// the index and `offsets` and moves end_ to the rooms' end.
    Rooms lay_out(std::span<const ShardChunk> chunks,
                     std::span<uint64_t> offsets,
                     bool record);
    void commit_locked();
    /// Writes `bytes` as the file's new last index, at `at_least` or a
    /// little after.
    void append_index_locked(std::vector<uint8_t> bytes, uint64_t at_least);
    void close_locked();

    std::size_t index_bytes() const
    {
        return index_ ? ShardIndex::encoded_size(index_->chunk_count()) : 0;
    }

    Store& store_;
    std::string key_;
    std::optional<ShardIndex> index_; // every chunk reserved so far
    std::size_t chunks_per_layer_ = 0;
    std::vector<uint64_t> layer_positions_; // see the constructor
    uint64_t expected_layers_;

    std::mutex mutex_;
    std::mutex write_mutex_; // one write at a time (see write())
    std::unique_ptr<Sink> sink_; // set by the first reserve()
    // The padding of chunk rooms: the sink's alignment when it was opened
    // (fixed, so that the layout stays one even if the sink falls back to
    // buffered writes), 1 without an index.
    std::size_t alignment_ = 1;
    uint64_t end_ = 0;      // one past the last room reserved
    uint64_t hole_end_ = 0; // rooms must end here once an index exists
    uint64_t reserved_bytes_ = 0; // of every room so far, to size holes
    uint64_t reserved_chunks_ = 0;
    std::vector<bool> layer_done_;  // per layer of the shard
    uint64_t layers_committed_ = 0; // a prefix of the layers
    uint64_t first_failed_ = UINT64_MAX; // no commit reaches this layer
    // Where the file's last index starts (the file ends after it), once a
    // layer is committed, and its bytes (to copy it further on).
    std::optional<uint64_t> tail_;
    std::vector<uint8_t> tail_bytes_;
    bool finished_ = false;
};

} // namespace zarr

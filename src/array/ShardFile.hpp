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
class ShardFile
{
  public:
    /// `index_length` 0 = no index (a v2 chunk file). `expected_layers` is
    /// how many layers complete the object.
    ShardFile(Store& store,
              std::string key,
              std::size_t index_length,
              uint64_t expected_layers);

    /// Reserves room for `chunks`, back to back, and returns the offset of
    /// the first.
    uint64_t reserve(std::span<const ShardChunk> chunks);

    /// Writes at an offset returned by reserve().
    void write(uint64_t offset, std::span<const ByteSpan> pieces);

    /// All chunks of one layer are written; the last layer completes the
    /// object.
    void layer_written();

    /// Asks the store to reserve [offset, offset + length) before the
    /// writes come (called from a worker, one layer ahead).
    void preallocate(uint64_t offset, uint64_t length);

    /// Writes the index (if not yet written) and closes. Called at close
    /// for a shard whose last layers never came. A shard that got no
    /// chunks at all is removed.
    void finish();

  private:
    void write_index_and_close();

    Store& store_;
    std::string key_;
    std::optional<ShardIndex> index_;
    uint64_t expected_layers_;

    std::mutex mutex_;
    std::mutex write_mutex_; // one write at a time (see write())
    std::unique_ptr<Sink> sink_; // set by the first reserve()
    uint64_t end_ = 0;
    uint64_t layers_written_ = 0;
    bool finished_ = false;
};

} // namespace zarr

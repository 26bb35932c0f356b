#pragma once

#include "codec/ShardIndex.hpp"
#include "store/Store.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

namespace zarr {

/// One shard (Zarr v3) or chunk (Zarr v2) object being written, possibly
/// over several layers. Each layer's chunks are appended after the previous
/// ones; for a shard, the index follows once its last layer is in. Layers
/// of one shard are written one at a time (they rarely overlap); different
/// shards are written in parallel.
class ShardFile
{
  public:
    struct Chunk
    {
        std::size_t index_in_shard;
        ByteSpan bytes;
    };

    /// `index_length` 0 = no index (a v2 chunk file). `expected_layers` is
    /// how many layers complete the object.
    ShardFile(Store& store,
              std::string key,
              std::size_t index_length,
              uint64_t expected_layers);

    void write_layer(std::span<const Chunk> chunks);

    /// Writes the index (if not yet written) and closes. Called at close
    /// for a shard whose last layers never came.
    void finish();

  private:
    void write_index_and_close(uint64_t offset, std::span<const ByteSpan> data);

    Store& store_;
    std::string key_;
    std::optional<ShardIndex> index_;
    uint64_t expected_layers_;

    std::mutex mutex_;
    std::unique_ptr<Sink> sink_;
    uint64_t end_ = 0;
    uint64_t layers_written_ = 0;
    bool finished_ = false;
};

} // namespace zarr

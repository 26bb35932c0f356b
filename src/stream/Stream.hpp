#pragma once

#include "spec/StreamSpec.hpp"
#include "stream/ArrayNode.hpp"
#include "stream/GroupNode.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <memory>
#include <vector>

namespace zarr {

/// A stream of frames into one store: its nodes are the arrays callers
/// append to (ArrayNode) and the groups above them (GroupNode).
/// Routes appends by key, owns the worker pool, and reports the first
/// failure of any write on the next append or at close.
class Stream
{
  public:
    /// Prepares the store (honouring `overwrite`) and writes the metadata
    /// of every group and array. Throws ZarrError.
    explicit Stream(StreamSpec spec);
    /// Closes the stream if close() was not called, logging any failure.
    ~Stream();

    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    /// Appends to the array `key` (NULL = the only array). `accepted` is
    /// set to the bytes taken even when this throws WriteOutOfBounds.
    void append(const char* key,
                const void* data,
                std::size_t bytes,
                std::size_t& accepted);

    void write_custom_metadata(const char* array_key,
                               const char* metadata_key,
                               const char* metadata);

    std::size_t memory_in_use() const;

    /// Flushes everything and finalises the store; throws the first
    /// failure of any write. A second call does nothing.
    void close();

    static std::size_t estimate_memory(const StreamSpec& spec);

  private:
    ArrayNode& array_for(const char* key);
    /// Refuses (OutOfMemory) a stream whose buffers the machine cannot give.
    void check_memory() const;
    /// Readies the store (see Store::prepare) and, without overwrite,
    /// refuses to replace an existing node.
    void prepare_store();
    void write_groups();

    StreamSpec spec_;
    std::unique_ptr<Store> store_;
    FirstError errors_;
    std::vector<std::unique_ptr<GroupNode>> groups_;
    std::vector<std::unique_ptr<ArrayNode>> arrays_;
    std::unique_ptr<ThreadPool> pool_; // declared last: its jobs use the above
    bool closed_ = false;
};

} // namespace zarr

#pragma once

#include "array/ArrayWriter.hpp"
#include "format/ArrayMetadata.hpp"
#include "spec/ArraySpec.hpp"
#include "store/Store.hpp"
#include "stream/FrameAssembler.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <memory>
#include <string>

namespace zarr {

/// One array of the stream, as the caller sees it: `append` takes any
/// number of bytes, which are joined into whole frames and written to the
/// array in the store.
class ArrayNode
{
  public:
    /// Writes the array's initial metadata.
    ArrayNode(ArraySpec spec, Store& store, ThreadPool& pool, FirstError& errors);

    /// The key callers append to.
    const std::string& key() const { return spec_.key; }
    const ArraySpec& spec() const { return spec_; }

    /// Takes up to `size` bytes (NULL `data` means zeros). Returns how many
    /// were taken: fewer than `size` only when a bounded array is full.
    std::size_t append(const uint8_t* data, std::size_t size);

    /// The attributes custom metadata goes into, and their replacement.
    ArrayMetadata::Json attributes() const;
    void set_attributes(const ArrayMetadata::Json& attributes);

    /// Writes the last, partial frame (zero-padded) and layer.
    void flush();
    /// After the pool is idle: completes the array and its final metadata.
    void finish();

    std::size_t memory_in_use() const;
    static std::size_t estimate_memory(const ArraySpec& spec, std::size_t thread_count);

  private:
    uint64_t bytes_remaining() const;
    void write_frame(const uint8_t* frame);

    ArraySpec spec_;
    uint64_t frame_bytes_;
    uint64_t total_frames_; // 0 = unbounded
    FrameAssembler frames_;
    uint64_t bytes_accepted_ = 0;
    uint64_t frames_taken_ = 0;
    std::unique_ptr<ArrayWriter> array_;
};

} // namespace zarr

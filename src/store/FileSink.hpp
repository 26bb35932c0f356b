#pragma once

#include "store/Sink.hpp"

#include <atomic>
#include <string>

namespace zarr {

/// A file written with positional gathered writes (pwritev), so one call
/// can put a whole shard, index included, on disk.
class FileSink final : public Sink
{
  public:
    /// `root`: the store's directory; discard() removes the directories it
    /// leaves empty below it.
    FileSink(std::string path, std::string root);
    ~FileSink() override;

    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    void write(uint64_t offset, std::span<const ByteSpan> pieces) override;
    void preallocate(uint64_t offset, uint64_t length) override;
    void close() override;
    void discard() override;

  private:
    std::string path_;
    std::string root_;
    int fd_ = -1;
    bool preallocated_ = false;
    std::atomic<uint64_t> end_{ 0 }; // one past the last byte written
};

} // namespace zarr

#pragma once

#include "store/Sink.hpp"

#include <string>

namespace zarr {

/// A file written with positional gathered writes (pwritev), so one call
/// can put a whole shard, index included, on disk.
class FileSink final : public Sink
{
  public:
    explicit FileSink(std::string path);
    ~FileSink() override;

    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    void write(uint64_t offset, std::span<const ByteSpan> pieces) override;
    void close() override;

  private:
    std::string path_;
    int fd_ = -1;
};

} // namespace zarr

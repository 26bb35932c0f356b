#pragma once

#include "store/DirectIoPolicy.hpp"
#include "store/Sink.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct iovec;

namespace zarr {

/// A file written with positional gathered writes (pwritev), so one call
/// can put a whole shard, index included, on disk.
///
/// With direct I/O the file is open with O_DIRECT: the part of each write
/// that lies on alignment() boundaries goes straight to the device (from
/// the caller's memory when it is aligned too, else through a small aligned
/// bounce buffer), and the unaligned head and tail of a write, if any, go
/// through a second, buffered descriptor. Since alignment() is at least a
/// page, a page holds either direct or buffered bytes, never both. If the
/// filesystem rejects a direct write, the sink says so (once per store) and
/// writes buffered from then on.
class FileSink final : public Sink
{
  public:
    /// A buffered file. `root`: the store's directory; discard() removes
    /// the directories it leaves empty below it.
    FileSink(std::string path, std::string root);

    /// A direct file: `direct_fd` was opened with O_DIRECT by `policy`, and
    /// its writes need `alignment`.
    FileSink(std::string path,
             std::string root,
             int direct_fd,
             std::size_t alignment,
             std::shared_ptr<DirectIoPolicy> policy);
    ~FileSink() override;

    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;

    void write(uint64_t offset, std::span<const ByteSpan> pieces) override;
    void preallocate(uint64_t offset, uint64_t length) override;
    void truncate(uint64_t size) override;
    void close() override;
    void discard() override;
    std::size_t alignment() const override;

  private:
    void write_direct(uint64_t offset,
                      const std::vector<iovec>& vectors,
                      uint64_t from,
                      uint64_t to);
    void write_through(int fd, uint64_t offset, std::vector<iovec> vectors);
    int buffered_fd();
    void stop_direct_io(int error);

    std::string path_;
    std::string root_;
    int fd_ = -1; // O_DIRECT while direct_ holds
    std::atomic<bool> direct_{ false };
    std::size_t alignment_ = 1;
    std::shared_ptr<DirectIoPolicy> policy_;
    std::mutex buffered_mutex_;
    int buffered_fd_ = -1; // a direct file's descriptor for unaligned bytes
    bool preallocated_ = false;
    std::atomic<uint64_t> end_{ 0 }; // one past the last byte written
};

} // namespace zarr

#include "store/FileSink.hpp"

#include "util/ZarrError.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace zarr {

FileSink::FileSink(std::string path, std::string root)
  : path_(std::move(path))
  , root_(std::move(root))
{
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        fail(ZarrStatusCode_IOError,
             "cannot open '",
             path_,
             "' for writing: ",
             std::strerror(errno));
    }
}

FileSink::~FileSink()
{
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void
FileSink::preallocate(uint64_t offset, uint64_t length)
{
    // Allocating a file's pages ahead of the writes (on another thread)
    // leaves only the copy for the writer: ~30% faster on tmpfs, and less
    // fragmentation on disk. KEEP_SIZE: the shard index must stay last.
    if (fd_ >= 0 &&
        ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(length)) == 0) {
        preallocated_ = true;
    }
}

void
FileSink::write(uint64_t offset, std::span<const ByteSpan> pieces)
{
    if (fd_ < 0) {
        fail(ZarrStatusCode_InternalError, "write to closed file '", path_, "'");
    }
    std::vector<iovec> vectors;
    vectors.reserve(pieces.size());
    uint64_t end = offset;
    for (const auto& piece : pieces) {
        if (piece.size > 0) {
            vectors.push_back({ const_cast<uint8_t*>(piece.data), piece.size });
            end += piece.size;
        }
    }
    // end_ = max(end_, end); writers of disjoint ranges may race here.
    for (uint64_t seen = end_; seen < end && !end_.compare_exchange_weak(seen, end);) {
    }
    // pwritev may write less than asked (and takes at most IOV_MAX pieces):
    // keep going from where it stopped.
    std::size_t first = 0;
    while (first < vectors.size()) {
        const int count = int(std::min<std::size_t>(vectors.size() - first, IOV_MAX));
        const ssize_t written =
          ::pwritev(fd_, vectors.data() + first, count, off_t(offset));
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(ZarrStatusCode_IOError,
                 "cannot write ",
                 vectors[first].iov_len,
                 " bytes at offset ",
                 offset,
                 " of '",
                 path_,
                 "': ",
                 std::strerror(errno));
        }
        offset += uint64_t(written);
        std::size_t remaining = std::size_t(written);
        while (first < vectors.size() && remaining >= vectors[first].iov_len) {
            remaining -= vectors[first].iov_len;
            ++first;
        }
        if (remaining > 0) {
            vectors[first].iov_base =
              static_cast<uint8_t*>(vectors[first].iov_base) + remaining;
            vectors[first].iov_len -= remaining;
        }
    }
}

void
FileSink::close()
{
    if (fd_ >= 0) {
        const int fd = fd_;
        fd_ = -1;
        // Give back space reserved past the end that was never written.
        const bool trimmed = !preallocated_ || ::ftruncate(fd, off_t(end_.load())) == 0;
        if (!trimmed) {
            const int error = errno;
            ::close(fd);
            fail(ZarrStatusCode_IOError,
                 "cannot trim '",
                 path_,
                 "' to its written size: ",
                 std::strerror(error));
        }
        if (::close(fd) != 0) {
            fail(ZarrStatusCode_IOError,
                 "cannot close '",
                 path_,
                 "': ",
                 std::strerror(errno));
        }
    }
}

void
FileSink::discard()
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    ::unlink(path_.c_str());
    // rmdir removes only empty directories: climbing stops at the first
    // directory holding anything (at the latest the array's, which holds
    // its metadata), and never goes above the store's root.
    const std::filesystem::path root(root_);
    for (auto directory = std::filesystem::path(path_).parent_path();
         directory != root && directory.has_relative_path() &&
         ::rmdir(directory.c_str()) == 0;
         directory = directory.parent_path()) {
    }
}

} // namespace zarr

#include "store/FileSink.hpp"

#include "util/ZarrError.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <vector>

namespace zarr {

FileSink::FileSink(std::string path)
  : path_(std::move(path))
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
FileSink::write(uint64_t offset, std::span<const ByteSpan> pieces)
{
    if (fd_ < 0) {
        fail(ZarrStatusCode_InternalError, "write to closed file '", path_, "'");
    }
    std::vector<iovec> vectors;
    vectors.reserve(pieces.size());
    for (const auto& piece : pieces) {
        if (piece.size > 0) {
            vectors.push_back({ const_cast<uint8_t*>(piece.data), piece.size });
        }
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
        if (::close(fd) != 0) {
            fail(ZarrStatusCode_IOError,
                 "cannot close '",
                 path_,
                 "': ",
                 std::strerror(errno));
        }
    }
}

} // namespace zarr

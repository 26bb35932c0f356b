#include "store/DirectIoPolicy.hpp"

#include "util/Logger.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace zarr {

DirectIoPolicy::DirectIoPolicy(std::string root, bool requested)
  : root_(std::move(root))
  , requested_(requested)
{
    if (requested_) {
        log_info("ZARR_DIRECT_IO is set: the data files of '",
                 root_,
                 "' are written with O_DIRECT, bypassing the page cache "
                 "(metadata documents stay buffered)");
    }
}

int
DirectIoPolicy::open(const std::string& path, std::size_t& alignment)
{
    if (!requested_ || refused_.load(std::memory_order_relaxed)) {
        return -1;
    }
    const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_DIRECT, 0644);
    if (fd < 0) {
        // EINVAL is how a filesystem without direct I/O answers (tmpfs
        // before Linux 6.6, ramfs, some FUSE and network filesystems). Any
        // other failure is the buffered open's to report.
        if (errno == EINVAL || errno == EOPNOTSUPP) {
            refuse(path,
                   concat("is on a filesystem that refuses O_DIRECT (", std::strerror(errno), ")"));
        }
        return -1;
    }
    DirectIoSupport support;
    {
        // One filesystem per store: the first file answers for all.
        std::lock_guard lock(mutex_);
        if (!probed_) {
            support_ = probe_direct_io(fd);
            probed_ = true;
        }
        support = support_;
    }
    if (!support.supported) {
        ::close(fd);
        refuse(path, support.reason);
        return -1;
    }
    alignment = support.alignment;
    return fd;
}

void
DirectIoPolicy::refuse(const std::string& path, const std::string& reason)
{
    refused_ = true;
    if (!warned_.exchange(true)) {
        log_warning("ZARR_DIRECT_IO is set, but '",
                    path,
                    "' ",
                    reason,
                    ". This stream writes its data files in '",
                    root_,
                    "' with buffered I/O instead (through the page cache).");
    }
}

} // namespace zarr

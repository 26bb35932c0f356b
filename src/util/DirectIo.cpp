#include "util/DirectIo.hpp"

#include "util/Logger.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace zarr {
namespace {

bool
is_power_of_two(uint64_t value)
{
    return value > 0 && (value & (value - 1)) == 0;
}

std::string
lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
        return char(std::tolower(c));
    });
    return text;
}

} // namespace

bool
resolve_direct_io()
{
    const char* variable = std::getenv("ZARR_DIRECT_IO");
    if (variable == nullptr || *variable == '\0') {
        return false;
    }
    const std::string value = lowercase(variable);
    for (const char* on : { "1", "true", "on", "yes" }) {
        if (value == on) {
            return true;
        }
    }
    for (const char* off : { "0", "false", "off", "no" }) {
        if (value == off) {
            return false;
        }
    }
    log_warning("ignoring ZARR_DIRECT_IO='",
                variable,
                "': it is none of 1, true, on, yes (direct I/O) or 0, false, off, no; "
                "writing with buffered I/O");
    return false;
}

DirectIoSupport
probe_direct_io(int fd)
{
    DirectIoSupport support;
    struct statfs filesystem{};
    const uint32_t type =
      ::fstatfs(fd, &filesystem) == 0 ? static_cast<uint32_t>(filesystem.f_type) : 0;
    if (type == TMPFS_MAGIC || type == RAMFS_MAGIC) {
        support.reason = concat("is on ",
                                type == TMPFS_MAGIC ? "tmpfs" : "ramfs",
                                ", which keeps its files in the page cache itself: "
                                "O_DIRECT cannot keep them out of it");
        return support;
    }

    const long page = ::sysconf(_SC_PAGESIZE);
    std::size_t alignment = page > 0 ? std::size_t(page) : 4096;
    bool known = false;
#if defined(STATX_DIOALIGN)
    struct statx attributes{};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &attributes) == 0 &&
        (attributes.stx_mask & STATX_DIOALIGN) != 0) {
        if (attributes.stx_dio_offset_align == 0 || attributes.stx_dio_mem_align == 0) {
            support.reason =
              "is on a filesystem without direct I/O (statx reports no alignment for it)";
            return support;
        }
        alignment = std::max<std::size_t>(
          { alignment, attributes.stx_dio_offset_align, attributes.stx_dio_mem_align });
        // Writes smaller than a filesystem block are allowed but serialised
        // (ext4, xfs): keep whole blocks when they are not too large.
        if (is_power_of_two(attributes.stx_blksize) &&
            attributes.stx_blksize <= kMaxDirectIoAlignment) {
            alignment = std::max<std::size_t>(alignment, attributes.stx_blksize);
        }
        known = true;
    }
#endif
    if (!known) {
        // Older kernels, or filesystems that don't say: their block size is
        // a multiple of the device's logical block size, which is what
        // O_DIRECT needs. (BLKSSZGET would ask the device itself, but takes
        // a descriptor of the block device, not of a file on it.)
        struct statvfs sizes{};
        if (::fstatvfs(fd, &sizes) == 0 && is_power_of_two(sizes.f_bsize) &&
            sizes.f_bsize <= kMaxDirectIoAlignment) {
            alignment = std::max<std::size_t>(alignment, sizes.f_bsize);
        }
    }
    if (!is_power_of_two(alignment) || alignment > kMaxDirectIoAlignment) {
        support.reason = concat("is on a filesystem that needs ", alignment,
                                "-byte alignment for direct I/O (at most ",
                                kMaxDirectIoAlignment, " is used)");
        return support;
    }
    support.supported = true;
    support.alignment = alignment;
    return support;
}

const uint8_t*
zero_bytes(std::size_t bytes)
{
    alignas(kMaxDirectIoAlignment) static const uint8_t zeros[kMaxDirectIoAlignment] = {};
    if (bytes > sizeof zeros) {
        fail(ZarrStatusCode_InternalError, "asked for ", bytes, " bytes of zero padding");
    }
    return zeros;
}

} // namespace zarr

#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace zarr {

/// The largest alignment direct I/O is used with (64 KiB pages or blocks);
/// a filesystem asking for more is written with buffered I/O.
inline constexpr std::size_t kMaxDirectIoAlignment = 64 * 1024;

/// Whether the environment asks for direct I/O: ZARR_DIRECT_IO, read as the
/// published library reads it. "1", "true", "on", "yes" (any case) mean on;
/// unset, empty, "0", "false", "off", "no" mean off; anything else is off
/// with a warning (wrongly turning direct I/O on would cost more than
/// leaving it off). Read when a stream is created.
bool resolve_direct_io();

/// What a file opened with O_DIRECT allows.
struct DirectIoSupport
{
    bool supported = false;
    /// Offsets, lengths and buffer addresses of direct writes are multiples
    /// of this (a power of two, at least the page size).
    std::size_t alignment = 0;
    /// Why not, when not supported: completes "'path' ...".
    std::string reason;
};

/// Asks the kernel what direct writes to `fd` (open with O_DIRECT) need:
/// statx(STATX_DIOALIGN) where the kernel and filesystem report it, else the
/// filesystem's block size (fstatvfs), and never less than a page. Files in
/// memory (tmpfs, ramfs) are reported unsupported: there the page cache is
/// the storage, so O_DIRECT cannot keep anything out of it.
DirectIoSupport probe_direct_io(int fd);

/// `bytes` zero bytes (at most kMaxDirectIoAlignment), aligned to
/// kMaxDirectIoAlignment: padding between aligned chunks.
const uint8_t* zero_bytes(std::size_t bytes);

} // namespace zarr

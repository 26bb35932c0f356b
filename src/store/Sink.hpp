#pragma once

#include "store/ByteSpan.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace zarr {

/// One object being written (a shard or chunk file, or an S3 object).
/// Knows nothing of Zarr. Writes throw ZarrError(IOError) on failure.
///
/// Where the store has random_access() (see Store), writes may come at any
/// offset and from several threads at once; else each write starts where
/// the last one ended, one at a time, and preallocate() and truncate() are
/// not called.
class Sink
{
  public:
    virtual ~Sink() = default;

    /// Writes `pieces` back to back starting at byte `offset`.
    virtual void write(uint64_t offset, std::span<const ByteSpan> pieces) = 0;

    /// A hint that [offset, offset + length) will be written soon: the
    /// store may reserve the space now (it does not change the object's
    /// size). Failures are ignored; the writes will report them.
    virtual void preallocate(uint64_t offset, uint64_t length) = 0;

    /// Cuts the object to `size` bytes (smaller than what was written), in
    /// one step: a reader sees the old or the new end, never one between.
    virtual void truncate(uint64_t size) = 0;

    /// Completes the object; the sink accepts no more writes.
    virtual void close() = 0;

    /// Abandons the object: nothing of it remains in the store.
    virtual void discard() = 0;

    /// Writes go straight to storage (direct I/O, bypassing the page cache)
    /// when their offset, length and memory are multiples of this; other
    /// writes work too, their unaligned bytes buffered. 1: no such limits.
    virtual std::size_t alignment() const { return 1; }
};

} // namespace zarr

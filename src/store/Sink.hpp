#pragma once

#include "store/ByteSpan.hpp"

#include <cstdint>
#include <span>

namespace zarr {

/// One object being written (a shard or chunk file, or an S3 object).
/// Knows nothing of Zarr. Writes throw ZarrError(IOError) on failure.
class Sink
{
  public:
    virtual ~Sink() = default;

    /// Writes `pieces` back to back starting at byte `offset`.
    virtual void write(uint64_t offset, std::span<const ByteSpan> pieces) = 0;

    /// Completes the object; the sink accepts no more writes.
    virtual void close() = 0;
};

} // namespace zarr

#pragma once

#include <cstddef>
#include <cstdint>

namespace zarr {

/// memcpy for data that will not be read again soon (a frame scattered into
/// a layer buffer is next read when the whole layer is compressed): on x86
/// it uses non-temporal stores when `target` is 16-byte aligned, which skip
/// reading each target cache line from memory first and leave the caches
/// to the data being worked on. Call streaming_copy_fence() before another
/// thread reads what was copied.
void streaming_copy(uint8_t* target, const uint8_t* source, std::size_t bytes);

void streaming_copy_fence();

} // namespace zarr

#pragma once

#include <cstdint>
#include <optional>

namespace zarr {

/// Bytes of memory this process can still get without being killed: the
/// kernel's MemAvailable, lowered by the memory limit of the process's
/// cgroup (v1 or v2) when there is one. Nothing when neither can be read.
std::optional<uint64_t> available_memory();

} // namespace zarr

#pragma once

#include "zarr.types.h"

#include <cstdint>
#include <span>
#include <string>

namespace zarr {

/// The store key of one chunk object (Zarr v2) or shard object (Zarr v3) of
/// the array at `array_key`, with the default chunk key encoding and "/" as
/// separator: v3 "<array_key>/c/1/0/2", v2 "<array_key>/1/0/2".
std::string chunk_key(const std::string& array_key,
                      ZarrVersion version,
                      std::span<const uint64_t> coordinates);

} // namespace zarr

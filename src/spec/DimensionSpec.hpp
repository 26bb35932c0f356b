#pragma once

#include "zarr.types.h"

#include <cstdint>
#include <optional>
#include <string>

namespace zarr {

/// One validated dimension, slowest to fastest. `size` 0 = unbounded.
struct DimensionSpec
{
    std::string name;
    ZarrDimensionType kind = ZarrDimensionType_Space;
    uint64_t size = 0;
    uint64_t chunk = 1;
    uint64_t shard_chunks = 1; // chunks per shard; 1 for Zarr v2
    std::optional<std::string> unit;
    double scale = 1.0;
};

} // namespace zarr

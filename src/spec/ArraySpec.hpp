#pragma once

#include "spec/CompressionSpec.hpp"
#include "spec/DimensionSpec.hpp"

#include <optional>
#include <string>
#include <vector>

namespace zarr {

/// One validated array of a stream.
struct ArraySpec
{
    std::string key; // "" = store root, else "a/b/c"
    std::vector<DimensionSpec> dimensions;
    ZarrDataType data_type = ZarrDataType_uint8;
    std::optional<CompressionSpec> compression;
    ZarrVersion version = ZarrVersion_3;
    /// Whether the store's objects take writes at any offset (files) or only
    /// in order (S3 objects): see Store::random_access().
    bool random_access_store = true;
};

} // namespace zarr

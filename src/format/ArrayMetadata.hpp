#pragma once

#include "spec/ArraySpec.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace zarr {

/// The metadata documents of one array node, for Zarr v3 (zarr.json) and
/// v2 (.zarray + .zattrs). `shape` is the array's current shape.
class ArrayMetadata
{
  public:
    using Json = nlohmann::ordered_json;

    /// v3 `zarr.json` of a sharded array.
    static Json v3_document(const ArraySpec& spec,
                            const std::vector<uint64_t>& shape,
                            const Json& attributes);

    /// v2 `.zarray`.
    static Json v2_document(const ArraySpec& spec,
                            const std::vector<uint64_t>& shape);

    /// v3 `zarr.json` of a group.
    static Json v3_group_document(const Json& attributes);

    /// v2 `.zgroup`.
    static Json v2_group_document();
};

} // namespace zarr

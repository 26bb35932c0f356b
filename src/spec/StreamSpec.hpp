#pragma once

#include "spec/ArrayNodeSpec.hpp"
#include "spec/PlateSpec.hpp"
#include "spec/S3Spec.hpp"

#include <optional>

#include <string>
#include <vector>

namespace zarr {

/// Everything a stream needs, validated (see api/SettingsValidator).
struct StreamSpec
{
    std::string store_path;
    std::optional<S3Spec> s3; // none = the local filesystem
    ZarrVersion version = ZarrVersion_3;
    unsigned thread_count = 1;
    bool overwrite = false;
    /// Every array callers append to, the plates' fields of view last.
    std::vector<ArrayNodeSpec> arrays;
    std::vector<PlateSpec> plates;
};

} // namespace zarr

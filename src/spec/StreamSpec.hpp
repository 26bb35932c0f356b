#pragma once

#include "spec/ArraySpec.hpp"

#include <string>
#include <vector>

namespace zarr {

/// Everything a stream needs, validated (see api/SettingsValidator).
struct StreamSpec
{
    std::string store_path;
    ZarrVersion version = ZarrVersion_3;
    unsigned thread_count = 1;
    bool overwrite = false;
    std::vector<ArraySpec> arrays;
};

} // namespace zarr

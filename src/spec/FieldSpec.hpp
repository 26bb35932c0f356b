#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zarr {

/// One validated field of view of a well: the image group at
/// `<plate>/<row>/<column>/<path>`. No acquisition_id = the field belongs to
/// no acquisition (it is then counted in no acquisition's maximumfieldcount).
struct FieldSpec
{
    std::string path;
    std::optional<uint32_t> acquisition_id;
};

} // namespace zarr

#pragma once

#include "zarr.types.h"

#include <optional>
#include <string>

namespace zarr {

/// One axis of an OME-NGFF multiscale image, slowest to fastest. An absent
/// or empty `unit` is left out of the document.
struct NgffAxis
{
    std::string name;
    ZarrDimensionType kind = ZarrDimensionType_Space;
    std::optional<std::string> unit;
};

} // namespace zarr

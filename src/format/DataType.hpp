#pragma once

#include "zarr.types.h"

#include <cstddef>
#include <string>

namespace zarr {

/// Size in bytes of one pixel of `type`.
std::size_t bytes_of(ZarrDataType type);

/// Zarr v3 `data_type` name, e.g. "uint16".
std::string v3_data_type_name(ZarrDataType type);

/// Zarr v2 `dtype` string, e.g. "<u2" or "|u1".
std::string v2_dtype(ZarrDataType type);

bool is_floating_point(ZarrDataType type);

} // namespace zarr

#pragma once

#include "spec/AcquisitionSpec.hpp"
#include "spec/WellSpec.hpp"

#include <string>
#include <vector>

namespace zarr {

/// One validated HCS plate: the group at `path` (relative to the store root)
/// holding the plate document, with one well group per entry of `wells`.
/// Validation (unique alphanumeric row/column names, wells naming existing
/// rows/columns, acquisition ids that exist) happens before this is built.
struct PlateSpec
{
    std::string path;
    std::string name;
    std::vector<std::string> rows;
    std::vector<std::string> columns;
    std::vector<WellSpec> wells;
    std::vector<AcquisitionSpec> acquisitions;
};

} // namespace zarr

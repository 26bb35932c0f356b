#pragma once

#include "spec/FieldSpec.hpp"

#include <string>
#include <vector>

namespace zarr {

/// One validated well of a plate; `row` and `column` are names from the
/// plate's `rows` and `columns`, so the well's path is "<row>/<column>".
struct WellSpec
{
    std::string row;
    std::string column;
    std::vector<FieldSpec> fields;
};

} // namespace zarr

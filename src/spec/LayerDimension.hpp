#pragma once

#include "spec/DimensionSpec.hpp"

#include <cstddef>
#include <vector>

namespace zarr {

/// The *layer dimension* of an array (see ChunkLattice): the first
/// dimension before Y, X whose chunk is larger than 1, or the last one
/// before Y, X when none is; the first when frames come out of order (a
/// storage order that moves a dimension before Y, X). 0 for a 2-D array.
/// The writer and the validator's limits must agree on it.
inline std::size_t
layer_dimension(const std::vector<DimensionSpec>& dimensions, bool frames_in_order)
{
    std::size_t dimension = 0;
    while (frames_in_order && dimension + 3 < dimensions.size() &&
           dimensions[dimension].chunk == 1) {
        ++dimension;
    }
    return dimension;
}

} // namespace zarr

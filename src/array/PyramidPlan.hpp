#pragma once

#include "array/PyramidLevel.hpp"
#include "spec/ArraySpec.hpp"
#include "zarr.types.h"

#include <vector>

namespace zarr {

/// The levels of a pyramid over `base`, finest first. Level 0 is `base`
/// itself; every level keeps `base`'s key (the caller names the arrays).
/// Dimensions are in storage order: Y and X are the last two; Z is the
/// third-last when it is Space, bounded, and larger than its chunk.
///
/// A step halves Y and X (ceil) while min(Y, X) > max(chunk Y, chunk X),
/// and Z (ceil) while Z > chunk Z; a level exists when either halves.
/// Chunk sizes stay; shard_chunks shrink to the chunks a dimension has
/// (the unbounded first dimension keeps its own); each halved dimension's
/// scale doubles. Other dimensions never change.
///
/// `method` None gives level 0 alone. `max_levels` caps the number of
/// downsampled levels (0 = no cap). Throws ZarrError(InvalidArgument) for
/// fewer than 2 dimensions or a chunk size of 0.
std::vector<PyramidLevel>
plan_pyramid(const ArraySpec& base,
             ZarrDownsamplingMethod method,
             unsigned max_levels);

} // namespace zarr

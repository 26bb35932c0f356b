#pragma once

#include "spec/ArraySpec.hpp"

namespace zarr {

/// One level of a multiscale pyramid, and how it was made from the level
/// before it (level 0, the full-resolution array, has both flags false).
struct PyramidLevel
{
    ArraySpec spec;
    bool halves_xy = false; // Y and X halved (ceil) from the previous level
    bool halves_z = false;  // Z (the third-last dimension) halved (ceil)
};

} // namespace zarr

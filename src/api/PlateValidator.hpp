#pragma once

#include "spec/StreamSpec.hpp"
#include "zarr.types.h"

namespace zarr {

/// Checks the HCS plates of the settings and adds them to `spec`: each
/// plate to spec.plates, each field of view to spec.arrays as an OME-NGFF
/// image at "<plate>/<row>/<column>/<field>". Throws ZarrError naming the
/// first bad field, before anything touches the disk. Expects spec.arrays
/// to hold the stream's flat arrays already (plates must not collide with
/// them).
class PlateValidator
{
  public:
    static void validate(const ZarrHCSSettings& hcs, StreamSpec& spec);
};

} // namespace zarr

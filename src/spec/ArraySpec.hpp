#pragma once

#include "spec/CompressionSpec.hpp"
#include "spec/DimensionSpec.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace zarr {

/// One validated array of a stream.
struct ArraySpec
{
    std::string key; // "" = store root, else "a/b/c"
    std::vector<DimensionSpec> dimensions;
    ZarrDataType data_type = ZarrDataType_uint8;
    std::optional<CompressionSpec> compression;
    ZarrVersion version = ZarrVersion_3;
    /// Whether the store's objects take writes at any offset (files) or only
    /// in order (S3 objects): see Store::random_access().
    bool random_access_store = true;
    /// The part size of the store's objects (S3), 0 for files: each object
    /// being written holds up to this much memory.
    uint64_t object_part_bytes = 0;
    /// Whether frames come in the array's own frame order (C order over
    /// all dimensions but Y, X). A storage order that moves a dimension
    /// before Y, X makes a row's frames come in another order: then the
    /// writer's unit must be a whole chunk of rows (see ChunkLattice).
    bool frames_in_order = true;
    /// Whether each frame is cut into *bands* of one chunk of rows, each its
    /// own layer (see ChunkLattice and FrameBanding.hpp): for frames too
    /// large to hold two of, when every dimension before Y has chunk 1.
    bool banded = false;
    /// Layer buffers of a compressed array: two (one filling while one is
    /// written), or for a banded level as many bands as its share of the
    /// in-flight budget (see FrameBanding.hpp).
    std::size_t layer_buffers = 2;
};

} // namespace zarr

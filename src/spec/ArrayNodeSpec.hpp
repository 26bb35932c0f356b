#pragma once

#include "spec/ArraySpec.hpp"
#include "zarr.types.h"

#include <cstddef>
#include <string>
#include <vector>

namespace zarr {

/// One array the caller appends to, validated: how it is stored, and
/// whether it is an OME-NGFF multiscale image with a pyramid.
struct ArrayNodeSpec
{
    /// Level 0 as stored: `key` is the node's key (the caller's output_key,
    /// or a field of view's path), dimensions in storage order.
    ArraySpec stored;
    /// storage_order[i] = the acquisition index of stored dimension i;
    /// empty when dimensions are stored in acquisition order.
    std::vector<std::size_t> storage_order;
    ZarrDownsamplingMethod downsampling = ZarrDownsamplingMethod_None;
    unsigned max_levels = 0; // downsampled levels; 0 = no cap
    /// An OME-NGFF multiscales group at the key, its levels at "<key>/0",
    /// "<key>/1", ...; otherwise a plain array at the key.
    bool ngff = false;

    const std::string& key() const { return stored.key; }
};

} // namespace zarr

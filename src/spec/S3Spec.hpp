#pragma once

#include <cstdint>
#include <string>

namespace zarr {

/// Where an S3 store lives (validated: see api/S3Validator).
struct S3Spec
{
    std::string endpoint; // scheme://host[:port]
    std::string bucket;
    std::string region;   // empty = us-east-1
    /// The key prefix of every object: store_path without leading or
    /// trailing '/' ("" = the bucket's root).
    std::string prefix;
    /// Objects larger than this go up in parts of this size (multipart
    /// upload); smaller ones in one PUT. ZARR_S3_PART_SIZE, in bytes.
    uint64_t part_bytes = 5 << 20;
};

} // namespace zarr

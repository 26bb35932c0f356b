#pragma once

#include "zarr.types.h"

namespace zarr {

/// A validated compressor/codec pair (never ZarrCompressor_None: an
/// uncompressed array has no CompressionSpec at all).
struct CompressionSpec
{
    ZarrCompressor compressor = ZarrCompressor_Blosc1;
    ZarrCompressionCodec codec = ZarrCompressionCodec_BloscLZ4;
    int level = 1;
    int shuffle = 1; // 0 none, 1 byte, 2 bit
};

} // namespace zarr

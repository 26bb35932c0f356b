#include "codec/ChunkCompressor.hpp"

#include "codec/BloscCompressor.hpp"
#include "codec/ZstdCompressor.hpp"
#include "util/ZarrError.hpp"

namespace zarr {
namespace {

/// Blosc's automatic block size for Zstd at low levels is small; on camera
/// frames 256 KiB blocks compress 2.8x faster and slightly smaller. For LZ4
/// the automatic size is as fast (measured with benchmarks/).
constexpr std::size_t kBloscZstdBlockSize = 256 * 1024;

} // namespace

std::unique_ptr<ChunkCompressor>
ChunkCompressor::create(const CompressionSpec& spec, std::size_t item_size)
{
    switch (spec.codec) {
        case ZarrCompressionCodec_BloscLZ4:
            return std::make_unique<BloscCompressor>(
              "lz4", spec.level, spec.shuffle, item_size, 0);
        case ZarrCompressionCodec_BloscZstd:
            return std::make_unique<BloscCompressor>(
              "zstd", spec.level, spec.shuffle, item_size, kBloscZstdBlockSize);
        case ZarrCompressionCodec_Zstd:
            return std::make_unique<ZstdCompressor>(spec.level);
        default:
            fail(ZarrStatusCode_InvalidSettings,
                 "compression codec ",
                 int(spec.codec),
                 " has no compressor");
    }
}

} // namespace zarr

#pragma once

#include "codec/ChunkCompressor.hpp"

namespace zarr {

/// Bytes of a Zstd compression context at `level` for inputs of
/// `input_bytes` (what ZSTD_compressCCtx allocates for them).
std::size_t
zstd_context_bytes(int level, std::size_t input_bytes);

/// Plain Zstandard frames (the Zarr `zstd` codec, no checksum).
class ZstdCompressor final : public ChunkCompressor
{
  public:
    explicit ZstdCompressor(int level);

    std::size_t max_compressed_size(std::size_t input_bytes) const override;
    std::size_t working_memory_bytes(std::size_t input_bytes) const override;
    std::size_t compress(const uint8_t* input,
                         std::size_t size,
                         uint8_t* output,
                         std::size_t capacity) const override;

  private:
    int level_;
};

} // namespace zarr

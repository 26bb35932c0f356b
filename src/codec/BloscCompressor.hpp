#pragma once

#include "codec/ChunkCompressor.hpp"

#include <string>

namespace zarr {

/// Blosc1 (c-blosc) with LZ4 or Zstd inside. Uses the context API with one
/// internal thread: parallelism comes from our workers, one chunk each.
class BloscCompressor final : public ChunkCompressor
{
  public:
    /// `block_size` 0 lets Blosc choose. Each chunk's header records its
    /// block size, so readers need nothing: the metadata's `blocksize`
    /// stays 0, "chosen by the encoder".
    BloscCompressor(std::string codec_name,
                    int level,
                    int shuffle,
                    std::size_t item_size,
                    std::size_t block_size);

    std::size_t max_compressed_size(std::size_t input_bytes) const override;
    std::size_t working_memory_bytes(std::size_t input_bytes) const override;
    std::size_t compress(const uint8_t* input,
                         std::size_t size,
                         uint8_t* output,
                         std::size_t capacity) const override;

  private:
    std::string codec_name_; // "lz4" or "zstd"
    int level_;
    int shuffle_;
    std::size_t item_size_;
    std::size_t block_size_;
};

} // namespace zarr

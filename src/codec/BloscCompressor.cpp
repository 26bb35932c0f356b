#include "codec/BloscCompressor.hpp"

#include "codec/ZstdCompressor.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <blosc.h>
#include <zstd.h>

namespace zarr {

BloscCompressor::BloscCompressor(std::string codec_name,
                                 int level,
                                 int shuffle,
                                 std::size_t item_size,
                                 std::size_t block_size)
  : codec_name_(std::move(codec_name))
  , level_(level)
  , shuffle_(shuffle)
  , item_size_(item_size)
  , block_size_(block_size)
{
}

std::size_t
BloscCompressor::max_compressed_size(std::size_t input_bytes) const
{
    return input_bytes + BLOSC_MAX_OVERHEAD;
}

std::size_t
BloscCompressor::working_memory_bytes(std::size_t input_bytes) const
{
    // A call's context holds a few block-sized buffers (shuffle, temporary
    // output), and with Zstd inside, a Zstd context for one block: c-blosc
    // maps its levels 1-8 to Zstd 2*level-1 and 9 to Zstd's maximum. With
    // LZ4, c-blosc makes the block the size asked for times the item size,
    // up to 1 MiB (measured on c-blosc 1.21.3).
    std::size_t block = block_size_ ? block_size_ : input_bytes;
    if (block_size_ && codec_name_ == "lz4") {
        block = std::max(block, std::min<std::size_t>(block_size_ * item_size_, 1 << 20));
    }
    block = std::min(block, input_bytes);
    std::size_t bytes = 4 * block + (64 << 10);
    if (codec_name_ == "zstd" && level_ > 0) {
        const int zstd_level = level_ < 9 ? 2 * level_ - 1 : ZSTD_maxCLevel();
        bytes += zstd_context_bytes(zstd_level, block);
    }
    return bytes;
}

std::size_t
BloscCompressor::compress(const uint8_t* input,
                          std::size_t size,
                          uint8_t* output,
                          std::size_t capacity) const
{
    const int written = blosc_compress_ctx(level_,
                                           shuffle_,
                                           item_size_,
                                           size,
                                           input,
                                           output,
                                           capacity,
                                           codec_name_.c_str(),
                                           block_size_,
                                           1);
    if (written <= 0) {
        fail(ZarrStatusCode_CompressionError,
             "blosc (",
             codec_name_,
             ") failed to compress a chunk of ",
             size,
             " bytes: code ",
             written);
    }
    return std::size_t(written);
}

} // namespace zarr

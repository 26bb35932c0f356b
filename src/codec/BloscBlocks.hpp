#pragma once

#include "codec/BloscCompressor.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace zarr {

/// Blosc1 chunks made a block at a time. c-blosc compresses the blocks of a
/// chunk independently, and a block compressed on its own (a one-block
/// chunk of the same settings) carries the very bytes it has inside the
/// whole chunk. So blocks can be compressed as soon as the frames that fill
/// them have come, and the chunk put together afterwards: its header, the
/// table of block starts, then the blocks. The result is byte for byte what
/// compressing the whole chunk at once gives (the tests compare), including
/// Blosc's fallback of storing a chunk that does not shrink uncompressed.
class BloscBlocks
{
  public:
    /// Blocks of chunks of `chunk_bytes` compressed by `compressor`.
    BloscBlocks(const BloscCompressor& compressor, std::size_t chunk_bytes);

    /// Blosc's block size for such chunks (its own rule: the forced size,
    /// scaled by the item size for codecs whose blocks split by byte).
    std::size_t block_bytes() const { return block_bytes_; }
    /// Blocks per chunk; 0 when a chunk is not a whole number of blocks
    /// (its last block would be a short one), or when the block size could
    /// not be told.
    std::size_t blocks_per_chunk() const { return blocks_per_chunk_; }

    /// Room compress_block() needs.
    std::size_t max_block_encoding() const;
    /// Compresses one block (block_bytes()) into `output` as a chunk of its
    /// own (its *encoding*); returns the encoding's size.
    std::size_t compress_block(const uint8_t* block, uint8_t* output) const;

    /// Bytes of the chunk's header and block starts.
    std::size_t header_bytes() const;
    /// Writes into `header` (header_bytes()) the header and block starts of
    /// the chunk made of the blocks with `encodings` (blocks_per_chunk() of
    /// them, in order), and returns the chunk's size. Returns 0 when Blosc
    /// would store this chunk uncompressed (see write_uncompressed_header).
    std::size_t write_header(std::span<const std::span<const uint8_t>> encodings,
                             uint8_t* header) const;
    /// A block's bytes inside the chunk: its encoding after its own header
    /// and block start.
    static std::span<const uint8_t> payload(std::span<const uint8_t> encoding);

    /// For a chunk Blosc stores uncompressed: its 16-byte header (followed
    /// by the raw chunk), given any of its blocks' encodings.
    void write_uncompressed_header(std::span<const uint8_t> encoding, uint8_t* header) const;
    /// The raw bytes of a block (block_bytes() into `output`).
    void decompress_block(std::span<const uint8_t> encoding, uint8_t* output) const;

  private:
    const BloscCompressor& compressor_;
    std::size_t chunk_bytes_;
    std::size_t block_bytes_ = 0;
    std::size_t blocks_per_chunk_ = 0;
};

} // namespace zarr

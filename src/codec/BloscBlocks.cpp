#include "codec/BloscBlocks.hpp"

#include "util/ZarrError.hpp"

#include <blosc.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace zarr {
namespace {

// The Blosc1 header: version, codec version, flags, item size, then
// little-endian 32-bit nbytes, blocksize and cbytes; block starts follow.
constexpr std::size_t kHeaderBytes = BLOSC_MAX_OVERHEAD;
constexpr std::size_t kFlagsByte = 2;
constexpr std::size_t kNbytesAt = 4;
constexpr std::size_t kBlocksizeAt = 8;
constexpr std::size_t kCbytesAt = 12;
constexpr uint8_t kMemcpyed = BLOSC_MEMCPYED;
// Blosc stores chunks smaller than this (its MIN_BUFFERSIZE) as they are.
constexpr std::size_t kMinBlosced = 128;

uint32_t
read_u32(const uint8_t* bytes)
{
    return uint32_t(bytes[0]) | uint32_t(bytes[1]) << 8 | uint32_t(bytes[2]) << 16 |
           uint32_t(bytes[3]) << 24;
}

void
write_u32(uint8_t* bytes, uint64_t value)
{
    for (int i = 0; i < 4; ++i) {
        bytes[i] = uint8_t(value >> (8 * i));
    }
}

/// Blosc's block size is its own rule of the settings and, only through a
/// final cut to the chunk, of the chunk size: a probe chunk of zeros no
/// larger than this tells it. Probes are kept, since every array (and
/// level) of a stream asks, for its estimate and its writer.
constexpr std::size_t kProbeBytes = 8 << 20;

std::size_t
probe_block_bytes(const BloscCompressor& compressor, std::size_t chunk_bytes)
{
    const std::size_t probe = std::min(chunk_bytes, kProbeBytes);
    using Key = std::tuple<std::string, int, int, std::size_t, std::size_t, std::size_t>;
    const Key key{ compressor.codec_name(), compressor.level(),      compressor.shuffle(),
                   compressor.item_size(),  compressor.block_size(), probe };
    static std::mutex mutex;
    static std::map<Key, std::size_t> known;
    {
        std::lock_guard lock(mutex);
        if (const auto found = known.find(key); found != known.end()) {
            return found->second;
        }
    }
    std::vector<uint8_t> zeros(probe, 0);
    std::vector<uint8_t> output(compressor.max_compressed_size(probe));
    compressor.compress(zeros.data(), zeros.size(), output.data(), output.size());
    std::size_t block = read_u32(output.data() + kBlocksizeAt);
    // A block as large as the probe may have been cut to it: unknown.
    if (block >= probe && probe < chunk_bytes) {
        block = 0;
    }
    std::lock_guard lock(mutex);
    known.emplace(key, block);
    return block;
}

} // namespace

BloscBlocks::BloscBlocks(const BloscCompressor& compressor, std::size_t chunk_bytes)
  : compressor_(compressor)
  , chunk_bytes_(chunk_bytes)
{
    if (chunk_bytes < kMinBlosced || chunk_bytes > BLOSC_MAX_BUFFERSIZE) {
        return; // Blosc stores such chunks as they are, or refuses them
    }
    block_bytes_ = probe_block_bytes(compressor, chunk_bytes);
    if (block_bytes_ > 0 && chunk_bytes % block_bytes_ == 0) {
        blocks_per_chunk_ = chunk_bytes / block_bytes_;
    }
}

std::size_t
BloscBlocks::max_block_encoding() const
{
    // A header, one block start, and the block stored as it is, in as
    // many streams as bytes per item, each with its length: with room to
    // spare, Blosc never falls back to storing the block uncompressed.
    return block_bytes_ + kHeaderBytes + 4 + 4 * compressor_.item_size() + 64;
}

std::size_t
BloscBlocks::compress_block(const uint8_t* block, uint8_t* output) const
{
    const std::size_t size =
      compressor_.compress(block, block_bytes_, output, max_block_encoding());
    if ((output[kFlagsByte] & kMemcpyed) != 0 || read_u32(output + kBlocksizeAt) != block_bytes_) {
        fail(ZarrStatusCode_CompressionError,
             "blosc encoded a ",
             block_bytes_,
             "-byte block unlike a block of a chunk (flags ",
             int(output[kFlagsByte]),
             ", block size ",
             read_u32(output + kBlocksizeAt),
             ")");
    }
    return size;
}

std::size_t
BloscBlocks::header_bytes() const
{
    return kHeaderBytes + 4 * blocks_per_chunk_;
}

std::span<const uint8_t>
BloscBlocks::payload(std::span<const uint8_t> encoding)
{
    return encoding.subspan(kHeaderBytes + 4);
}

std::size_t
BloscBlocks::write_header(std::span<const std::span<const uint8_t>> encodings,
                          uint8_t* header) const
{
    std::size_t total = header_bytes();
    for (const auto& encoding : encodings) {
        total += payload(encoding).size();
    }
    // Blosc gives up on a chunk that does not fit in its size plus the
    // header, and stores it as it is.
    if (total > chunk_bytes_ + kHeaderBytes) {
        return 0;
    }
    // The first four bytes (versions, flags, item size) are the same in
    // every block's encoding as in the chunk's.
    std::memcpy(header, encodings[0].data(), 4);
    write_u32(header + kNbytesAt, chunk_bytes_);
    write_u32(header + kBlocksizeAt, block_bytes_);
    write_u32(header + kCbytesAt, total);
    std::size_t start = header_bytes();
    for (std::size_t i = 0; i < encodings.size(); ++i) {
        write_u32(header + kHeaderBytes + 4 * i, start);
        start += payload(encodings[i]).size();
    }
    return total;
}

void
BloscBlocks::write_uncompressed_header(std::span<const uint8_t> encoding,
                                       uint8_t* header) const
{
    std::memcpy(header, encoding.data(), 4);
    header[kFlagsByte] |= kMemcpyed;
    write_u32(header + kNbytesAt, chunk_bytes_);
    write_u32(header + kBlocksizeAt, block_bytes_);
    write_u32(header + kCbytesAt, chunk_bytes_ + kHeaderBytes);
}

void
BloscBlocks::decompress_block(std::span<const uint8_t> encoding, uint8_t* output) const
{
    const int size = blosc_decompress_ctx(encoding.data(), output, block_bytes_, 1);
    if (size != int(block_bytes_)) {
        fail(ZarrStatusCode_CompressionError,
             "blosc could not decompress a block it compressed: code ",
             size);
    }
}

} // namespace zarr

// zarr::BloscCompressor's working-memory figure against the block size
// c-blosc really uses: a call's context holds about four blocks, so the
// figure must cover four of the blocks that the chunk's own header names,
// for both codecs, every item size and small to large chunks. (c-blosc
// scales the block asked for by the item size with LZ4; the figure once
// assumed the block asked for.)

#include "Check.hpp"
#include "codec/BloscCompressor.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using aqz_test::check;
using aqz_test::failures;

namespace {

/// The block size recorded in a Blosc1 chunk's header (bytes 8-11).
std::size_t
header_block_bytes(const std::vector<uint8_t>& chunk)
{
    return std::size_t(chunk[8]) | std::size_t(chunk[9]) << 8 | std::size_t(chunk[10]) << 16 |
           std::size_t(chunk[11]) << 24;
}

} // namespace

int
main()
{
    int compared = 0;
    for (const std::string codec : { "lz4", "zstd" }) {
        for (std::size_t item : { 1, 2, 4, 8 }) {
            for (std::size_t bytes : { std::size_t(64) << 10, std::size_t(1) << 20, std::size_t(16) << 20 }) {
                const zarr::BloscCompressor compressor(codec, 1, 1, item, 256 * 1024);
                const std::vector<uint8_t> zeros(bytes, 0);
                std::vector<uint8_t> chunk(compressor.max_compressed_size(bytes));
                chunk.resize(compressor.compress(zeros.data(), bytes, chunk.data(), chunk.size()));
                const std::size_t block = header_block_bytes(chunk);
                const std::size_t figure = compressor.working_memory_bytes(bytes);
                check(figure >= 4 * block,
                      codec + " item " + std::to_string(item) + " chunk " + std::to_string(bytes) +
                        ": working memory " + std::to_string(figure) + " < 4 blocks of " +
                        std::to_string(block));
                ++compared;
            }
        }
    }
    std::printf("%d settings compared, %d failures\n", compared, failures);
    return aqz_test::summary("test_blosc_compressor");
}

// zarr::BloscBlocks against c-blosc itself: a chunk put together from
// blocks compressed one at a time must be byte for byte the chunk that
// blosc_compress_ctx makes of the whole, for both codecs, every shuffle,
// several item sizes and kinds of data (smooth, noisy, incompressible,
// zeros, half and half), and must decompress to the input. Incompressible
// chunks take Blosc's fallback (stored as they are), rebuilt from the
// blocks.

#include "codec/BloscBlocks.hpp"
#include "codec/BloscCompressor.hpp"

#include <blosc.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

int failures = 0;

void
check(bool ok, const std::string& what)
{
    if (!ok && ++failures <= 40) {
        std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    }
}

std::vector<uint8_t>
make_data(const std::string& kind, std::size_t bytes, std::size_t item, std::mt19937_64& rng)
{
    std::vector<uint8_t> data(bytes, 0);
    const std::size_t items = bytes / item;
    for (std::size_t i = 0; i < items; ++i) {
        uint64_t value = 0;
        if (kind == "smooth") {
            value = 1000 + (i % 4096) / 8 + (rng() % 4);
        } else if (kind == "noisy") {
            value = 1000 + rng() % 256;
        } else if (kind == "random") {
            value = rng();
        } else if (kind == "half") {
            value = i < items / 2 ? rng() : 0;
        } // "zeros": 0
        std::memcpy(data.data() + i * item, &value, item);
    }
    return data;
}

std::vector<uint8_t>
assemble(const zarr::BloscBlocks& blocks, const std::vector<uint8_t>& chunk)
{
    const std::size_t n = blocks.blocks_per_chunk();
    const std::size_t b = blocks.block_bytes();
    std::vector<std::vector<uint8_t>> encodings(n);
    std::vector<std::span<const uint8_t>> views;
    for (std::size_t i = 0; i < n; ++i) {
        encodings[i].resize(blocks.max_block_encoding());
        encodings[i].resize(blocks.compress_block(chunk.data() + i * b, encodings[i].data()));
        views.emplace_back(encodings[i]);
    }
    std::vector<uint8_t> out(blocks.header_bytes());
    if (blocks.write_header(views, out.data()) == 0) {
        out.resize(BLOSC_MAX_OVERHEAD);
        blocks.write_uncompressed_header(views[0], out.data());
        std::vector<uint8_t> raw(b);
        for (const auto& view : views) {
            blocks.decompress_block(view, raw.data());
            out.insert(out.end(), raw.begin(), raw.end());
        }
        return out;
    }
    for (const auto& view : views) {
        const auto payload = zarr::BloscBlocks::payload(view);
        out.insert(out.end(), payload.begin(), payload.end());
    }
    return out;
}

} // namespace

int
main()
{
    std::mt19937_64 rng(20261201);
    int compared = 0;
    for (const std::string codec : { "lz4", "zstd" }) {
        for (int shuffle : { 0, 1, 2 }) {
            for (std::size_t item : { 1, 2, 4, 8 }) {
                for (std::size_t chunk_bytes : { std::size_t(2) << 20, std::size_t(3) << 19 }) {
                    zarr::BloscCompressor compressor(codec, 1, shuffle, item, 256 * 1024);
                    zarr::BloscBlocks blocks(compressor, chunk_bytes);
                    const std::string name = codec + " shuffle " + std::to_string(shuffle) +
                                             " item " + std::to_string(item) + " chunk " +
                                             std::to_string(chunk_bytes);
                    if (blocks.blocks_per_chunk() == 0) {
                        continue; // not whole blocks: the writer does not use it
                    }
                    check(blocks.blocks_per_chunk() >= 2, name + ": at least two blocks");
                    for (const std::string kind : { "smooth", "noisy", "random", "zeros", "half" }) {
                        const auto chunk = make_data(kind, chunk_bytes, item, rng);
                        std::vector<uint8_t> whole(compressor.max_compressed_size(chunk_bytes));
                        whole.resize(compressor.compress(
                          chunk.data(), chunk.size(), whole.data(), whole.size()));
                        const auto built = assemble(blocks, chunk);
                        check(built == whole,
                              name + " " + kind + ": " + std::to_string(built.size()) +
                                " bytes built, " + std::to_string(whole.size()) + " whole");
                        std::vector<uint8_t> back(chunk_bytes);
                        const int size =
                          blosc_decompress_ctx(built.data(), back.data(), back.size(), 1);
                        check(size == int(chunk_bytes) && back == chunk,
                              name + " " + kind + ": decompresses to the input");
                        ++compared;
                    }
                }
            }
        }
    }
    check(compared >= 100, "enough settings compared: " + std::to_string(compared));
    std::printf("%d chunks compared, %d failures\n", compared, failures);
    return failures == 0 ? 0 : 1;
}

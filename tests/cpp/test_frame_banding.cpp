// Banded frames (array/FrameBanding.hpp): which levels plan_banding bands and
// with how many bands in flight, the lattice a banded array is seen through
// (bands as frames, shard keys in the array's own dimensions), and the
// FrameAssembler that cuts appended bytes into frames' pieces, however the
// bytes are split.

#include "Check.hpp"
#include "array/ChunkLattice.hpp"
#include "array/FrameBanding.hpp"
#include "array/PyramidPlan.hpp"
#include "stream/FrameAssembler.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using zarr::ArraySpec;
using zarr::ChunkLattice;
using zarr::DimensionSpec;
using zarr::FrameAssembler;
using zarr::PyramidLevel;

using aqz_test::check;

namespace {

DimensionSpec
dimension(const char* name, uint64_t size, uint64_t chunk, uint64_t shard_chunks = 1)
{
    DimensionSpec d;
    d.name = name;
    d.kind = name[0] == 't' ? ZarrDimensionType_Time : ZarrDimensionType_Space;
    d.size = size;
    d.chunk = chunk;
    d.shard_chunks = shard_chunks;
    return d;
}

ArraySpec
array(std::vector<DimensionSpec> dimensions)
{
    ArraySpec spec;
    spec.key = "image";
    spec.dimensions = std::move(dimensions);
    spec.data_type = ZarrDataType_uint16;
    return spec;
}

std::vector<PyramidLevel>
levels_of(const ArraySpec& spec, ZarrDownsamplingMethod method, bool transposes = false)
{
    auto levels = zarr::plan_pyramid(spec, method, 0);
    zarr::plan_banding(levels, transposes);
    return levels;
}

void
test_which_levels_are_banded()
{
    ::setenv("ZARR_BANDED_FRAME_BYTES", "100000", 1);
    check(zarr::banded_frame_bytes() == 100000, "the variable sets the threshold");

    // 1000 x 700 uint16 = 1.4 MB: above the threshold, 16 chunks of rows.
    const ArraySpec image = array({ dimension("y", 1000, 64, 4), dimension("x", 700, 128, 2) });
    auto levels = levels_of(image, ZarrDownsamplingMethod_None);
    check(levels.size() == 1 && levels[0].spec.banded, "a large image is banded");
    // Two 100000-byte frames' worth of 64 x 700 x 2-byte bands (6 chunks of
    // 64 x 128 each): 200000 / 98304 = 2.
    check(levels[0].spec.layer_buffers == 2, "two bands in flight");

    ::setenv("ZARR_BANDED_FRAME_BYTES", "10000", 1);
    levels = levels_of(image, ZarrDownsamplingMethod_Mean);
    check(levels.size() == 4, "four levels");
    check(levels[0].spec.banded && levels[1].spec.banded && levels[2].spec.banded &&
            levels[3].spec.banded,
          "levels with more than one chunk of rows are banded (125 rows: two)");
    for (const auto& level : levels) {
        check(level.spec.layer_buffers == 2, "a small budget: two bands per level");
    }
    ::setenv("ZARR_BANDED_FRAME_BYTES", "1000000", 1); // under level 0's 1.4 MB
    levels = levels_of(image, ZarrDownsamplingMethod_Mean);
    check(levels[0].spec.banded && levels[1].spec.banded, "level 0 decides for all");
    // Level 0: 2 MB / 98304-byte bands = 20; level 1 a quarter of the
    // budget (its frames are a quarter) in bands half as wide: 10.
    check(levels[0].spec.layer_buffers == 20, "level 0's share of the budget");
    check(levels[1].spec.layer_buffers == 10, "level 1's share of the budget");

    ::setenv("ZARR_BANDED_FRAME_BYTES", "1", 1);
    const ArraySpec odd = array({ dimension("y", 1000, 63, 4), dimension("x", 700, 128, 2) });
    check(!levels_of(odd, ZarrDownsamplingMethod_Mean)[0].spec.banded,
          "an odd chunk of Y with a pyramid: whole frames (bands would split row pairs)");
    check(levels_of(odd, ZarrDownsamplingMethod_None)[0].spec.banded,
          "an odd chunk of Y without one: bands");
    check(!levels_of(image, ZarrDownsamplingMethod_None, true)[0].spec.banded,
          "frames transposed into storage order: whole frames");
    const ArraySpec layered = array(
      { dimension("t", 0, 2), dimension("y", 1000, 64), dimension("x", 700, 128) });
    check(!levels_of(layered, ZarrDownsamplingMethod_None)[0].spec.banded,
          "a layer of two frames: not banded");
    const ArraySpec one_row =
      array({ dimension("t", 0, 1), dimension("y", 64, 64), dimension("x", 700, 128) });
    check(!levels_of(one_row, ZarrDownsamplingMethod_None)[0].spec.banded,
          "one chunk of rows: nothing to band");
    const ArraySpec volume = array({ dimension("z", 40, 1, 1),
                                     dimension("y", 1000, 64),
                                     dimension("x", 700, 128) });
    const auto z_levels = levels_of(volume, ZarrDownsamplingMethod_Mean);
    check(z_levels.size() > 1 && z_levels[1].halves_z && z_levels[0].spec.banded &&
            z_levels[1].spec.banded,
          "a pyramid that halves Z pairs the planes' bands: banded");

    for (const char* bad : { "lots", "0", "-3", "12abc" }) {
        ::setenv("ZARR_BANDED_FRAME_BYTES", bad, 1);
        check(zarr::banded_frame_bytes() == (uint64_t(64) << 20),
              std::string("'") + bad + "' is ignored for the 64 MiB default");
    }
    ::unsetenv("ZARR_BANDED_FRAME_BYTES");
}

void
test_banded_lattice()
{
    // c, y, x: 3 channels of 1000 x 700, chunks 1 x 64 x 128, shards of
    // 1 x 3 x 2 chunks.
    ArraySpec spec = array(
      { dimension("c", 3, 1, 1), dimension("y", 1000, 64, 3), dimension("x", 700, 128, 2) });
    spec.banded = true;
    const ChunkLattice lattice(spec);
    check(lattice.frame_height() == 64 && lattice.frame_width() == 700, "a frame is a band");
    check(lattice.frame_bytes() == 64 * 700 * 2, "band bytes");
    check(lattice.frames_per_row() == 16 && lattice.total_frames() == 48, "16 bands a channel");
    check(lattice.frames_per_layer() == 1 && lattice.slot_count() == 6, "a layer is one band");
    check(lattice.layers_per_shard() == 3, "a shard spans three bands");
    check(lattice.chunks_per_shard() == 6, "a shard's index: 3 x 2 chunks");
    // Band 4 of channel 2 (layer 36): shard row 1 along Y, second band in it.
    const auto key = lattice.shard_key_coordinates(2 * 16 + 4, 1);
    check(key == std::vector<uint64_t>({ 2, 1, 1 }), "keys in c, y, x shards");
    // Its chunk in the second shard across X, second band: index 1 * 2 + 0.
    const std::size_t slot = lattice.shards()[1].first_slot;
    check(lattice.index_in_shard(2 * 16 + 4, slot) == 2, "index place as c, y, x");

    ArraySpec image = array({ dimension("y", 999, 64, 4), dimension("x", 700, 128, 2) });
    image.banded = true;
    const ChunkLattice bands(image);
    check(bands.row_count() == 16 && bands.total_frames() == 16, "an image's rows are bands");
    check(bands.shard_key_coordinates(13, 0) == std::vector<uint64_t>({ 3, 0 }),
          "an image's keys: y and x shards");
}

/// The pieces `take` hands on for `appends` (sizes), as (null?, bytes).
std::vector<std::vector<uint8_t>>
pieces_of(FrameAssembler& assembler,
          const std::vector<uint8_t>& data,
          const std::vector<std::size_t>& appends,
          std::size_t piece_bytes,
          bool zeros = false)
{
    std::vector<std::vector<uint8_t>> pieces;
    std::size_t offset = 0;
    for (const std::size_t n : appends) {
        assembler.take(zeros ? nullptr : data.data() + offset, n, [&](const uint8_t* piece) {
            pieces.emplace_back(piece_bytes, uint8_t(0));
            if (piece) {
                std::copy(piece, piece + piece_bytes, pieces.back().begin());
            } else {
                pieces.back().push_back(1); // a NULL piece: marked
            }
        });
        offset += n;
    }
    return pieces;
}

void
test_frame_assembler()
{
    // Frames of 10 bytes in pieces of 4: 4, 4, then 2 padded to 4.
    constexpr std::size_t kFrame = 10, kPiece = 4;
    std::vector<uint8_t> data(3 * kFrame);
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = uint8_t(i + 1);
    }
    std::vector<std::vector<uint8_t>> expected;
    for (std::size_t frame = 0; frame < 3; ++frame) {
        for (std::size_t start = 0; start < kFrame; start += kPiece) {
            std::vector<uint8_t> piece(kPiece, 0);
            for (std::size_t i = start; i < std::min(start + kPiece, kFrame); ++i) {
                piece[i - start] = data[frame * kFrame + i];
            }
            expected.push_back(piece);
        }
    }
    FrameAssembler whole(kFrame, kPiece);
    check(pieces_of(whole, data, { data.size() }, kPiece) == expected, "one append");
    check(whole.partial_frame_bytes() == 0 && whole.memory_in_use() == kPiece,
          "a frame's short last piece is joined in the buffer");

    std::mt19937 random(7);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<std::size_t> appends;
        std::size_t left = data.size();
        while (left > 0) {
            const std::size_t n = std::min<std::size_t>(left, 1 + random() % 13);
            appends.push_back(n);
            left -= n;
        }
        FrameAssembler split(kFrame, kPiece);
        check(pieces_of(split, data, appends, kPiece) == expected,
              "appends split anywhere give the same pieces");
    }

    FrameAssembler cut(kFrame, kPiece);
    const auto first = pieces_of(cut, data, { 16 }, kPiece); // a frame and 6 bytes
    check(first.size() == 4 && cut.partial_frame_bytes() == 6, "6 bytes of frame 2 taken");
    const uint8_t* padded = cut.pad_partial_piece();
    check(padded && padded[0] == 15 && padded[1] == 16 && padded[2] == 0 && padded[3] == 0,
          "the partial piece padded with zeros");
    check(cut.partial_frame_bytes() == 0 && !cut.pad_partial_piece(), "then nothing held");

    FrameAssembler zeros(kFrame, kPiece);
    const auto nulls = pieces_of(zeros, data, { kFrame }, kPiece, true);
    check(nulls.size() == 3 && nulls[0].size() == kPiece + 1 && nulls[1].size() == kPiece + 1,
          "whole pieces of zeros are passed as NULL");
    check(nulls[2] == std::vector<uint8_t>(kPiece, 0), "a short one as zeros in the buffer");

    FrameAssembler frames(kFrame); // unbanded: a piece is a frame
    check(pieces_of(frames, data, { 3, 17, 10 }, kFrame).size() == 3, "whole frames");
}

} // namespace

int
main()
{
    test_which_levels_are_banded();
    test_banded_lattice();
    test_frame_assembler();
    return aqz_test::summary("test_frame_banding");
}

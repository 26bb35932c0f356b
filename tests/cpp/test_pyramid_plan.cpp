// zarr::plan_pyramid on hand-worked cases: how many levels, which axes each
// level halves, sizes, shard counts and scales, and what never changes.

#include "Check.hpp"
#include "array/PyramidPlan.hpp"
#include "util/ZarrError.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

using zarr::ArraySpec;
using zarr::DimensionSpec;
using zarr::PyramidLevel;
using zarr::plan_pyramid;

using aqz_test::check;

namespace {

DimensionSpec
dimension(const char* name,
          ZarrDimensionType kind,
          uint64_t size,
          uint64_t chunk,
          uint64_t shard_chunks = 1,
          double scale = 1.0)
{
    DimensionSpec d;
    d.name = name;
    d.kind = kind;
    d.size = size;
    d.chunk = chunk;
    d.shard_chunks = shard_chunks;
    d.scale = scale;
    return d;
}

ArraySpec
array(std::vector<DimensionSpec> dimensions, ZarrVersion version = ZarrVersion_3)
{
    ArraySpec spec;
    spec.key = "image";
    spec.dimensions = std::move(dimensions);
    spec.data_type = ZarrDataType_uint16;
    spec.version = version;
    return spec;
}

constexpr auto kSpace = ZarrDimensionType_Space;
constexpr auto kTime = ZarrDimensionType_Time;
constexpr auto kChannel = ZarrDimensionType_Channel;
constexpr auto kMean = ZarrDownsamplingMethod_Mean;

template<typename Value>
std::string
list(const std::vector<Value>& values)
{
    std::string text = "{";
    for (const Value& v : values) {
        // Appended in two steps: GCC 12 warns falsely (-Wrestrict) on
        // `" " + std::to_string(v)`.
        text += ' ';
        text += std::to_string(v);
    }
    return text + " }";
}

/// What one level should be: per dimension size, shard_chunks and scale.
struct Expected
{
    bool halves_xy;
    bool halves_z;
    std::vector<uint64_t> sizes;
    std::vector<uint64_t> shards;
    std::vector<double> scales;
};

void
expect_levels(const std::string& name,
              const ArraySpec& base,
              const std::vector<PyramidLevel>& levels,
              const std::vector<Expected>& expected)
{
    check(levels.size() == expected.size(),
          name + ": " + std::to_string(levels.size()) + " levels, want " +
            std::to_string(expected.size()));
    for (std::size_t i = 0; i < levels.size() && i < expected.size(); ++i) {
        const std::string at = name + " level " + std::to_string(i);
        const ArraySpec& spec = levels[i].spec;
        check(levels[i].halves_xy == expected[i].halves_xy, at + ": halves_xy");
        check(levels[i].halves_z == expected[i].halves_z, at + ": halves_z");
        check(spec.key == base.key && spec.data_type == base.data_type &&
                spec.version == base.version &&
                spec.dimensions.size() == base.dimensions.size(),
              at + ": key, type, version and rank are the base's");
        std::vector<uint64_t> sizes, shards;
        std::vector<double> scales;
        for (std::size_t d = 0; d < spec.dimensions.size(); ++d) {
            const DimensionSpec& got = spec.dimensions[d];
            const DimensionSpec& original = base.dimensions[d];
            check(got.name == original.name && got.kind == original.kind &&
                    got.chunk == original.chunk && got.unit == original.unit,
                  at + ": dimension " + original.name + " keeps name, kind, chunk, unit");
            sizes.push_back(got.size);
            shards.push_back(got.shard_chunks);
            scales.push_back(got.scale);
        }
        check(sizes == expected[i].sizes,
              at + ": sizes " + list(sizes) + ", want " + list(expected[i].sizes));
        check(shards == expected[i].shards,
              at + ": shards " + list(shards) + ", want " + list(expected[i].shards));
        check(scales == expected[i].scales,
              at + ": scales " + list(scales) + ", want " + list(expected[i].scales));
    }
}

void
test_square_2d()
{
    const ArraySpec base = array({ dimension("y", kSpace, 2048, 256, 8),
                                   dimension("x", kSpace, 2048, 256, 8) });
    expect_levels("2048^2 chunk 256",
                  base,
                  plan_pyramid(base, kMean, 0),
                  { { false, false, { 2048, 2048 }, { 8, 8 }, { 1, 1 } },
                    { true, false, { 1024, 1024 }, { 4, 4 }, { 2, 2 } },
                    { true, false, { 512, 512 }, { 2, 2 }, { 4, 4 } },
                    { true, false, { 256, 256 }, { 1, 1 }, { 8, 8 } } });
}

void
test_unbounded_time_untouched()
{
    const ArraySpec base = array({ dimension("t", kTime, 0, 32, 3, 0.1),
                                   dimension("y", kSpace, 2048, 256, 4, 0.5),
                                   dimension("x", kSpace, 2048, 256, 4, 0.25) });
    expect_levels("t unbounded, 2048^2",
                  base,
                  plan_pyramid(base, ZarrDownsamplingMethod_Decimate, 0),
                  { { false, false, { 0, 2048, 2048 }, { 3, 4, 4 }, { 0.1, 0.5, 0.25 } },
                    { true, false, { 0, 1024, 1024 }, { 3, 4, 4 }, { 0.1, 1, 0.5 } },
                    { true, false, { 0, 512, 512 }, { 3, 2, 2 }, { 0.1, 2, 1 } },
                    { true, false, { 0, 256, 256 }, { 3, 1, 1 }, { 0.1, 4, 2 } } });
}

void
test_rectangular()
{
    // min(Y, X) decides: 600 -> 300 -> 150 stops at the third level.
    const ArraySpec base = array({ dimension("t", kTime, 0, 1, 1),
                                   dimension("y", kSpace, 1000, 256, 4),
                                   dimension("x", kSpace, 600, 256, 4) });
    expect_levels("1000x600 chunk 256",
                  base,
                  plan_pyramid(base, kMean, 0),
                  { { false, false, { 0, 1000, 600 }, { 1, 4, 4 }, { 1, 1, 1 } },
                    { true, false, { 0, 500, 300 }, { 1, 2, 2 }, { 1, 2, 2 } },
                    { true, false, { 0, 250, 150 }, { 1, 1, 1 }, { 1, 4, 4 } } });
}

void
test_odd_sizes_round_up()
{
    const ArraySpec base =
      array({ dimension("y", kSpace, 1001, 100, 16), dimension("x", kSpace, 1001, 100, 16) });
    expect_levels("1001^2 chunk 100",
                  base,
                  plan_pyramid(base, kMean, 0),
                  { { false, false, { 1001, 1001 }, { 16, 16 }, { 1, 1 } },
                    { true, false, { 501, 501 }, { 6, 6 }, { 2, 2 } },
                    { true, false, { 251, 251 }, { 3, 3 }, { 4, 4 } },
                    { true, false, { 126, 126 }, { 2, 2 }, { 8, 8 } },
                    { true, false, { 63, 63 }, { 1, 1 }, { 16, 16 } } });
}

void
test_unequal_chunks()
{
    // The larger chunk (1024) bounds both axes: 4096 -> 2048 -> 1024 stops.
    const ArraySpec base =
      array({ dimension("y", kSpace, 4096, 64, 64), dimension("x", kSpace, 4096, 1024, 4) });
    expect_levels("4096^2 chunks 64x1024",
                  base,
                  plan_pyramid(base, kMean, 0),
                  { { false, false, { 4096, 4096 }, { 64, 4 }, { 1, 1 } },
                    { true, false, { 2048, 2048 }, { 32, 2 }, { 2, 2 } },
                    { true, false, { 1024, 1024 }, { 16, 1 }, { 4, 4 } } });
}

void
test_z_only_append_dimension()
{
    // A bounded first dimension that is Space is Z: 100 -> 50 -> 25 -> 13 -> 7.
    const ArraySpec base = array({ dimension("z", kSpace, 100, 10, 4, 0.5),
                                   dimension("y", kSpace, 64, 64, 1),
                                   dimension("x", kSpace, 64, 64, 1) });
    expect_levels("z 100 chunk 10, 64^2 chunk 64",
                  base,
                  plan_pyramid(base, kMean, 0),
                  { { false, false, { 100, 64, 64 }, { 4, 1, 1 }, { 0.5, 1, 1 } },
                    { false, true, { 50, 64, 64 }, { 4, 1, 1 }, { 1, 1, 1 } },
                    { false, true, { 25, 64, 64 }, { 3, 1, 1 }, { 2, 1, 1 } },
                    { false, true, { 13, 64, 64 }, { 2, 1, 1 }, { 4, 1, 1 } },
                    { false, true, { 7, 64, 64 }, { 1, 1, 1 }, { 8, 1, 1 } } });

    ArraySpec unbounded = base;
    unbounded.dimensions[0].size = 0;
    expect_levels("z unbounded, 64^2 chunk 64",
                  unbounded,
                  plan_pyramid(unbounded, kMean, 0),
                  { { false, false, { 0, 64, 64 }, { 4, 1, 1 }, { 0.5, 1, 1 } } });
}

void
test_z_and_xy_4d()
{
    // XY halves twice (1024 -> 256), Z three times (100 -> 13): Z goes on alone.
    const ArraySpec base = array({ dimension("t", kTime, 0, 8, 2),
                                   dimension("z", kSpace, 100, 16, 8, 2.0),
                                   dimension("y", kSpace, 1024, 256, 4),
                                   dimension("x", kSpace, 1024, 256, 4) });
    expect_levels("t, z 100/16, 1024^2/256",
                  base,
                  plan_pyramid(base, ZarrDownsamplingMethod_Max, 0),
                  { { false, false, { 0, 100, 1024, 1024 }, { 2, 8, 4, 4 }, { 1, 2, 1, 1 } },
                    { true, true, { 0, 50, 512, 512 }, { 2, 4, 2, 2 }, { 1, 4, 2, 2 } },
                    { true, true, { 0, 25, 256, 256 }, { 2, 2, 1, 1 }, { 1, 8, 4, 4 } },
                    { false, true, { 0, 13, 256, 256 }, { 2, 1, 1, 1 }, { 1, 16, 4, 4 } } });
}

void
test_channel_never_halves()
{
    const ArraySpec base = array({ dimension("c", kChannel, 300, 1, 1),
                                   dimension("y", kSpace, 512, 128, 4),
                                   dimension("x", kSpace, 512, 128, 4) });
    expect_levels("c 300, 512^2/128",
                  base,
                  plan_pyramid(base, ZarrDownsamplingMethod_Min, 0),
                  { { false, false, { 300, 512, 512 }, { 1, 4, 4 }, { 1, 1, 1 } },
                    { true, false, { 300, 256, 256 }, { 1, 2, 2 }, { 1, 2, 2 } },
                    { true, false, { 300, 128, 128 }, { 1, 1, 1 }, { 1, 4, 4 } } });

    // A Time third-last dimension is not Z either, even when bounded.
    const ArraySpec timed = array({ dimension("t", kTime, 300, 1, 1),
                                    dimension("y", kSpace, 64, 64, 1),
                                    dimension("x", kSpace, 64, 64, 1) });
    check(plan_pyramid(timed, kMean, 0).size() == 1, "bounded Time is not halved");
}

void
test_cap_and_none()
{
    const ArraySpec base = array({ dimension("y", kSpace, 2048, 256, 8),
                                   dimension("x", kSpace, 2048, 256, 8) });
    check(plan_pyramid(base, kMean, 1).size() == 2, "max_levels 1 -> 2 levels");
    check(plan_pyramid(base, kMean, 2).size() == 3, "max_levels 2 -> 3 levels");
    check(plan_pyramid(base, kMean, 3).size() == 4, "max_levels 3 -> 4 levels");
    check(plan_pyramid(base, kMean, 10).size() == 4, "max_levels 10 -> 4 levels");
    const std::vector<PyramidLevel> capped = plan_pyramid(base, kMean, 2);
    check(capped.back().spec.dimensions[0].size == 512, "capped pyramid ends at 512");

    ArraySpec odd_base = base;
    odd_base.dimensions[0].shard_chunks = 100; // more than the 8 chunks: level 0 keeps it
    odd_base.compression = zarr::CompressionSpec{};
    const std::vector<PyramidLevel> none = plan_pyramid(odd_base, ZarrDownsamplingMethod_None, 0);
    check(none.size() == 1 && !none[0].halves_xy && !none[0].halves_z,
          "method None: level 0 alone");
    check(none[0].spec.dimensions[0].shard_chunks == 100, "level 0 is the base unchanged");
    const std::vector<PyramidLevel> levels = plan_pyramid(odd_base, kMean, 0);
    check(levels[0].spec.dimensions[0].shard_chunks == 100, "level 0 keeps its shard");
    check(levels[1].spec.dimensions[0].shard_chunks == 4, "level 1 shard shrinks to 4");
    check(levels[1].spec.compression.has_value(), "levels keep the compression");

    const ArraySpec small = array({ dimension("y", kSpace, 100, 256, 1),
                                    dimension("x", kSpace, 5000, 256, 1) });
    check(plan_pyramid(small, kMean, 0).size() == 1, "a frame within one chunk: level 0 only");
}

void
test_zarr_v2_shards_stay_one()
{
    const ArraySpec base = array({ dimension("t", kTime, 0, 4, 1),
                                   dimension("y", kSpace, 1024, 256, 1),
                                   dimension("x", kSpace, 1024, 256, 1) },
                                 ZarrVersion_2);
    expect_levels("v2 1024^2/256",
                  base,
                  plan_pyramid(base, kMean, 0),
                  { { false, false, { 0, 1024, 1024 }, { 1, 1, 1 }, { 1, 1, 1 } },
                    { true, false, { 0, 512, 512 }, { 1, 1, 1 }, { 1, 2, 2 } },
                    { true, false, { 0, 256, 256 }, { 1, 1, 1 }, { 1, 4, 4 } } });
}

void
test_invalid()
{
    const auto expect_invalid = [](const std::string& what, const ArraySpec& spec) {
        try {
            plan_pyramid(spec, kMean, 0);
            check(false, what + ": did not throw");
        } catch (const zarr::ZarrError& error) {
            check(error.code() == ZarrStatusCode_InvalidArgument, what + ": wrong code");
        }
    };
    expect_invalid("1-D array", array({ dimension("x", kSpace, 100, 10) }));
    expect_invalid("chunk 0",
                   array({ dimension("y", kSpace, 100, 0), dimension("x", kSpace, 100, 10) }));
}

} // namespace

int
main()
{
    test_square_2d();
    test_unbounded_time_untouched();
    test_rectangular();
    test_odd_sizes_round_up();
    test_unequal_chunks();
    test_z_only_append_dimension();
    test_z_and_xy_4d();
    test_channel_never_halves();
    test_cap_and_none();
    test_zarr_v2_shards_stay_one();
    test_invalid();
    return aqz_test::summary("test_pyramid_plan");
}

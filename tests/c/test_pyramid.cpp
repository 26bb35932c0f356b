// Multiscale pyramids through the C API: downsampling_method, max_levels and
// is_ngff. Each stream is read back independently: the OME-NGFF group and
// level documents parsed with nlohmann::json, every level's shards / chunks
// decoded with store_reader.h (Blosc through the system's c-blosc), and
// every pixel of every level compared with a reference pyramid computed
// here from the contract (ngff_support.hpp), level k+1 from level k.
#include "test_helpers.h"
#include "store_reader.h"
#include "ngff_support.hpp"

#include <climits>
#include <limits>

static char scratch[AQZ_PATH_MAX];

static std::string
store_path(const std::string& name)
{
    return std::string(scratch) + "/" + name;
}

struct PyramidCase
{
    std::string name;
    ZarrVersion version = ZarrVersion_3;
    const char* key = nullptr; // NULL: the store root is the image group
    std::vector<ZarrDimensionProperties> dims;
    ZarrCompressionSettings* compression = nullptr;
    ZarrDownsamplingMethod method = ZarrDownsamplingMethod_Mean;
    uint32_t max_levels = 0;
    uint64_t rows = 0;              // written along the first dimension
    std::size_t expected_levels = 0; // worked out by hand
};

static const char*
method_word(ZarrDownsamplingMethod method)
{
    switch (method) {
        case ZarrDownsamplingMethod_Decimate:
            return "decimate";
        case ZarrDownsamplingMethod_Mean:
            return "mean";
        case ZarrDownsamplingMethod_Min:
            return "min";
        case ZarrDownsamplingMethod_Max:
            return "max";
        default:
            return nullptr;
    }
}

template<typename T>
static ZarrDataType
type_of()
{
    if (std::is_same_v<T, uint8_t>) return ZarrDataType_uint8;
    if (std::is_same_v<T, uint16_t>) return ZarrDataType_uint16;
    if (std::is_same_v<T, uint32_t>) return ZarrDataType_uint32;
    if (std::is_same_v<T, uint64_t>) return ZarrDataType_uint64;
    if (std::is_same_v<T, int8_t>) return ZarrDataType_int8;
    if (std::is_same_v<T, int16_t>) return ZarrDataType_int16;
    if (std::is_same_v<T, int32_t>) return ZarrDataType_int32;
    if (std::is_same_v<T, int64_t>) return ZarrDataType_int64;
    if (std::is_same_v<T, float>) return ZarrDataType_float32;
    return ZarrDataType_float64;
}

// Stream level 0 of `c` (values from `value(i)` at flat index i), then check
// the group document, every level's document and every level's pixels.
// Returns the levels the reference planned.
template<typename T, typename Value>
static std::vector<RefLevel>
run_pyramid(const PyramidCase& c, Value value)
{
    const std::string store = store_path(c.name + ".zarr");
    ArrayOptions options;
    options.key = c.key;
    options.type = type_of<T>();
    options.dims = c.dims;
    options.compression = c.compression;
    options.method = c.method;
    options.max_levels = c.max_levels;
    ZarrStream* stream = open_array(store, c.version, options);
    if (!stream) {
        aqz_fail(__FILE__, __LINE__, "%s: ZarrStream_create: %s", c.name.c_str(),
                 Zarr_get_last_error());
        return {};
    }

    const RefLevel base = base_level(c.dims, c.rows);
    const std::vector<RefLevel> levels = plan_reference(base, c.max_levels);
    if (levels.size() != c.expected_levels) {
        aqz_fail(__FILE__, __LINE__, "%s: the reference plans %zu levels, worked out %zu",
                 c.name.c_str(), levels.size(), c.expected_levels);
    }

    std::vector<T> data(level_pixels(base));
    for (uint64_t i = 0; i < data.size(); ++i) {
        data[i] = value(i);
    }
    // Pieces of one and a half frames plus an odd byte: frames split
    // everywhere, pixels too.
    const size_t frame = c.dims[c.dims.size() - 1].array_size_px *
                         c.dims[c.dims.size() - 2].array_size_px * sizeof(T);
    append_in_pieces(stream, data.data(), data.size() * sizeof(T), frame + frame / 2 + 1,
                     nullptr, estimate_for(c.version, options));
    CHECK_OK(ZarrStream_close(stream));

    const std::string group = c.key ? store + "/" + c.key : store;
    check_multiscales(group, (int)c.version, levels, method_word(c.method));

    const auto expected = reference_pyramid<T>(data, levels, c.method);
    const bool compressed = c.compression && c.compression->compressor != ZarrCompressor_None;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        const std::string array_dir = group + "/" + std::to_string(i);
        check_level_metadata(array_dir, (int)c.version, levels[i]);
        const std::vector<T> actual =
          read_level<T>(array_dir, (int)c.version, levels[i], compressed ? decode_blosc : nullptr);
        compare_levels<T>(actual, expected[i], c.name + " level " + std::to_string(i));
    }
    const std::string beyond = group + "/" + std::to_string(levels.size());
    if (path_exists(beyond.c_str())) {
        aqz_fail(__FILE__, __LINE__, "%s: an extra level at %s", c.name.c_str(), beyond.c_str());
    }
    return levels;
}

static void
check_shape(const RefLevel& level, std::vector<uint64_t> shape, std::vector<uint64_t> shards)
{
    for (std::size_t d = 0; d < level.dims.size(); ++d) {
        CHECK_EQ(level.dims[d].size, shape[d]);
        CHECK_EQ(level.dims[d].shard, shards[d]);
    }
}

// ---- 2-D frames, MEAN, uint16 ---------------------------------------------

static uint16_t
u16_value(uint64_t i)
{
    const uint64_t r = mix64(i);
    // A quarter of the pixels at the very top of the range, so that blocks
    // summing 4 x 65535 occur; the rest anywhere.
    return (r & 3) == 0 ? (uint16_t)(65535 - (r >> 8) % 2) : (uint16_t)(r >> 16);
}

// Uncompressed v3 with 128 x 64 chunks of uint16 (16 KiB tiles): the
// direct (unbuffered) layer writer at every level.
static void
test_mean_u16_direct_v3(void)
{
    PyramidCase c;
    c.name = "mean-u16-direct";
    c.key = "image";
    c.dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 2, "millisecond", 10 },
        { "y", ZarrDimensionType_Space, 523, 128, 2, "micrometer", 0.5 },
        { "x", ZarrDimensionType_Space, 611, 64, 3, "micrometer", 0.25 },
    };
    c.rows = 5;
    // 523 x 611 -> 262 x 306 -> 131 x 153 -> 66 x 77 (min 66 <= 128: stop).
    c.expected_levels = 4;
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    REQUIRE(levels.size() == 4);
    check_shape(levels[1], { 5, 262, 306 }, { 2, 2, 3 });
    check_shape(levels[2], { 5, 131, 153 }, { 2, 2, 3 });
    check_shape(levels[3], { 5, 66, 77 }, { 2, 1, 2 });
    CHECK(levels[3].dims[1].scale == 4.0 && levels[3].dims[2].scale == 2.0);
    CHECK(levels[3].dims[0].scale == 10.0);
}

static ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4,
                                       1, 1 };

static PyramidCase
small_mean_case(const char* name, ZarrVersion version)
{
    PyramidCase c;
    c.name = name;
    c.version = version;
    c.compression = &lz4;
    c.dims = {
        { "t", ZarrDimensionType_Time, 0, 2, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 37, 8, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 29, 8, 3, NULL, 0 },
    };
    c.rows = 5; // two and a half chunks of t
    // 37 x 29 -> 19 x 15 -> 10 x 8 (min 8 <= 8: stop).
    c.expected_levels = 3;
    return c;
}

// Blosc LZ4: the buffered layer writer; the image group at the store root.
static void
test_mean_u16_blosc_v3(void)
{
    auto levels = run_pyramid<uint16_t>(small_mean_case("mean-u16-lz4-v3", ZarrVersion_3),
                                        u16_value);
    REQUIRE(levels.size() == 3);
    check_shape(levels[1], { 5, 19, 15 }, { 2, 2, 2 });
    check_shape(levels[2], { 5, 10, 8 }, { 2, 2, 1 });
}

static void
test_mean_u16_blosc_v2(void)
{
    PyramidCase c = small_mean_case("mean-u16-lz4-v2", ZarrVersion_2);
    c.key = "a/b";
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    REQUIRE(levels.size() == 3);
    // v2: the intermediate group too, and the levels are plain arrays.
    char path[AQZ_PATH_MAX];
    CHECK(path_exists(path_fmt(path, "%s/mean-u16-lz4-v2.zarr/a/.zgroup", scratch)));
    CHECK(path_exists(path_fmt(path, "%s/mean-u16-lz4-v2.zarr/a/b/2/.zarray", scratch)));
    CHECK(path_exists(path_fmt(path, "%s/mean-u16-lz4-v2.zarr/.zgroup", scratch)));
}

// Channels are never downsampled; (t, c, y, x) with odd sizes.
static void
test_mean_u16_channels_v3(void)
{
    PyramidCase c;
    c.name = "mean-u16-tcyx";
    c.key = "img";
    c.dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 1, NULL, 0 },
        { "c", ZarrDimensionType_Channel, 3, 2, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 21, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 11, 4, 2, NULL, 0 },
    };
    c.rows = 2;
    // 21 x 11 -> 11 x 6 -> 6 x 3 (min 3 <= 4: stop).
    c.expected_levels = 3;
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    REQUIRE(levels.size() == 3);
    check_shape(levels[2], { 2, 3, 6, 3 }, { 1, 1, 2, 1 });
}

// ---- wide integer MEAN: never overflowing -----------------------------------

// Frame 0 at the top of the range, frame 1 at the bottom, frame 2 mixing
// the extremes (means near zero, ties included), frame 3 anywhere.
template<typename T>
static T
extreme_value(uint64_t i, uint64_t frame_px)
{
    const uint64_t r = mix64(i * 31 + 7);
    const T hi = std::numeric_limits<T>::max();
    const T lo = std::numeric_limits<T>::min();
    switch ((i / frame_px) % 4) {
        case 0:
            return (T)(hi - (T)(r % 3));
        case 1:
            return (T)(lo + (T)(r % 3));
        case 2:
            return (r & 1) ? (T)(hi - (T)((r >> 1) % 2)) : (T)(lo + (T)((r >> 1) % 2));
        default:
            return (T)r;
    }
}

template<typename T>
static void
extreme_mean(const char* name)
{
    PyramidCase c;
    c.name = name;
    c.dims = {
        { "t", ZarrDimensionType_Time, 0, 2, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 9, 2, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 7, 2, 2, NULL, 0 },
    };
    c.rows = 4;
    // 9 x 7 -> 5 x 4 -> 3 x 2 (min 2 <= 2: stop).
    c.expected_levels = 3;
    run_pyramid<T>(c, [](uint64_t i) { return extreme_value<T>(i, 9 * 7); });
}

static void
test_mean_int32_extremes(void)
{
    extreme_mean<int32_t>("mean-i32");
}

static void
test_mean_uint32_extremes(void)
{
    extreme_mean<uint32_t>("mean-u32");
}

static void
test_mean_int64_extremes(void)
{
    extreme_mean<int64_t>("mean-i64");
}

static void
test_mean_uint64_extremes(void)
{
    extreme_mean<uint64_t>("mean-u64");
}

// Ties round to even, blocks chosen by hand: 2x2 means of 0.5, 1.5, 2.5,
// -0.5, -1.5 and 3.25 / 3.75 (plain rounding) in an int16 4 x 4 frame with
// 2 x 2 chunks (so one level: 4 -> 2).
static void
test_mean_ties_to_even(void)
{
    const std::string store = store_path("ties.zarr");
    ArrayOptions options;
    options.key = "ties";
    options.type = ZarrDataType_int16;
    options.method = ZarrDownsamplingMethod_Mean;
    options.dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 6, 2, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 4, 2, 1, NULL, 0 },
    };
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    REQUIRE(stream != nullptr);
    // Blocks (row-major 2x2 each), their means and the expected results:
    //  {0,0,1,1}=0.5->0   {1,1,2,2}=1.5->2
    //  {2,2,3,3}=2.5->2   {-1,-1,0,0}=-0.5->0
    //  {-2,-2,-1,-1}=-1.5->-2  {3,3,4,3}=3.25->3
    const int16_t frame[6][4] = {
        { 0, 0, 1, 1 },   { 1, 1, 2, 2 },     { 2, 2, -1, -1 },
        { 3, 3, 0, 0 },   { -2, -2, 3, 3 },   { -1, -1, 4, 3 },
    };
    append_in_pieces(stream, frame, sizeof(frame), sizeof(frame));
    CHECK_OK(ZarrStream_close(stream));
    RefLevel level1 = base_level(options.dims, 1);
    level1.dims[1].size = 3;
    level1.dims[2].size = 2;
    const std::vector<int16_t> expected = { 0, 2, 2, 0, -2, 3 };
    const auto actual = read_level<int16_t>(store + "/ties/1", 3, level1, nullptr);
    compare_levels<int16_t>(actual, expected, "ties to even");
}

// ---- 3-D: Z halves too ----------------------------------------------------

static void
zyx_case(ZarrDownsamplingMethod method)
{
    PyramidCase c;
    c.name = std::string("zyx-") + method_word(method);
    c.key = "zyx";
    // Z is the bounded first (append) dimension here.
    c.dims = {
        { "z", ZarrDimensionType_Space, 21, 2, 2, "micrometer", 2 },
        { "y", ZarrDimensionType_Space, 19, 4, 2, "micrometer", 1 },
        { "x", ZarrDimensionType_Space, 23, 4, 2, "micrometer", 1 },
    };
    c.rows = 21;
    c.method = method;
    // z 21 -> 11 -> 6 -> 3 -> 2 (odd last planes at 21, 11, 3); y/x 19 x 23
    // -> 10 x 12 -> 5 x 6 -> 3 x 3, then only Z halves.
    c.expected_levels = 5;
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    REQUIRE(levels.size() == 5);
    check_shape(levels[1], { 11, 10, 12 }, { 2, 2, 2 });
    check_shape(levels[2], { 6, 5, 6 }, { 2, 2, 2 });
    check_shape(levels[3], { 3, 3, 3 }, { 2, 1, 1 });
    check_shape(levels[4], { 2, 3, 3 }, { 1, 1, 1 });
    CHECK(!levels[4].halves_xy && levels[4].halves_z);
    CHECK(levels[4].dims[0].scale == 32.0 && levels[4].dims[1].scale == 8.0);
}

static void
test_zyx_decimate(void)
{
    zyx_case(ZarrDownsamplingMethod_Decimate);
}

static void
test_zyx_min(void)
{
    zyx_case(ZarrDownsamplingMethod_Min);
}

static void
test_zyx_max(void)
{
    zyx_case(ZarrDownsamplingMethod_Max);
}

static void
test_zyx_mean(void)
{
    zyx_case(ZarrDownsamplingMethod_Mean);
}

// (t, z, y, x) with an unbounded t: Z is the bounded third-last; after the
// first level Z fits its chunk and only Y/X halve.
static void
tzyx_case(ZarrDownsamplingMethod method, ZarrVersion version)
{
    PyramidCase c;
    c.name = std::string("tzyx-") + method_word(method) + "-v" + std::to_string((int)version);
    c.version = version;
    c.compression = version == ZarrVersion_2 ? &lz4 : nullptr;
    c.dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 2, NULL, 0 },
        { "z", ZarrDimensionType_Space, 5, 4, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 19, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 23, 4, 2, NULL, 0 },
    };
    c.rows = 3;
    c.method = method;
    // z 5 -> 3 (odd last plane), y/x -> 10 x 12 -> 5 x 6 -> 3 x 3.
    c.expected_levels = 4;
    auto levels = run_pyramid<uint8_t>(c, [](uint64_t i) { return (uint8_t)(mix64(i) >> 40); });
    REQUIRE(levels.size() == 4);
    check_shape(levels[1], { 3, 3, 10, 12 }, { 2, 1, 2, 2 });
    CHECK(levels[2].halves_xy && !levels[2].halves_z);
    check_shape(levels[3], { 3, 3, 3, 3 }, { 2, 1, 1, 1 });
}

static void
test_tzyx_all_methods(void)
{
    const ZarrDownsamplingMethod methods[] = { ZarrDownsamplingMethod_Decimate,
                                               ZarrDownsamplingMethod_Mean,
                                               ZarrDownsamplingMethod_Min,
                                               ZarrDownsamplingMethod_Max };
    for (auto method : methods) {
        tzyx_case(method, ZarrVersion_3);
        tzyx_case(method, ZarrVersion_2);
    }
}

// ---- max_levels -----------------------------------------------------------

static void
test_max_levels_caps(void)
{
    // Natural: 3 levels. A cap of 1 keeps levels 0 and 1; a cap above the
    // natural count changes nothing.
    PyramidCase c = small_mean_case("cap1", ZarrVersion_3);
    c.max_levels = 1;
    c.expected_levels = 2;
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    CHECK_EQ(levels.size(), 2);

    c = small_mean_case("cap1-v2", ZarrVersion_2);
    c.max_levels = 1;
    c.expected_levels = 2;
    levels = run_pyramid<uint16_t>(c, u16_value);
    CHECK_EQ(levels.size(), 2);

    c = small_mean_case("cap2", ZarrVersion_3);
    c.max_levels = 2;
    c.method = ZarrDownsamplingMethod_Max;
    c.expected_levels = 3;
    run_pyramid<uint16_t>(c, u16_value);

    c = small_mean_case("cap200", ZarrVersion_3);
    c.max_levels = 200;
    c.method = ZarrDownsamplingMethod_Decimate;
    c.expected_levels = 3;
    run_pyramid<uint16_t>(c, u16_value);
}

// ---- is_ngff without a method ----------------------------------------------

static void
ngff_only(ZarrVersion version)
{
    const std::string store = store_path("ngff-only-v" + std::to_string((int)version) + ".zarr");
    ArrayOptions options;
    options.key = "img";
    options.type = ZarrDataType_uint16;
    options.is_ngff = true;
    options.dims = {
        { "t", ZarrDimensionType_Time, 0, 2, 2, "second", 0 },
        { "c", ZarrDimensionType_Other, 2, 1, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 64, 8, 2, "micrometer", 0.5 },
        { "x", ZarrDimensionType_Space, 48, 8, 2, "micrometer", 0.5 },
    };
    ZarrStream* stream = open_array(store, version, options);
    REQUIRE(stream != nullptr);
    const RefLevel base = base_level(options.dims, 3);
    std::vector<uint16_t> data(level_pixels(base));
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = u16_value(i);
    }
    append_in_pieces(stream, data.data(), data.size() * 2, 1000);
    CHECK_OK(ZarrStream_close(stream));

    // A multiscales group with one dataset, level 0 only, and no method.
    check_multiscales(store + "/img", (int)version, { base }, nullptr);
    check_level_metadata(store + "/img/0", (int)version, base);
    CHECK(!path_exists((store + "/img/1").c_str()));
    compare_levels<uint16_t>(read_level<uint16_t>(store + "/img/0", (int)version, base, nullptr),
                             data, "is_ngff level 0");
}

static void
test_is_ngff_without_method_v3(void)
{
    ngff_only(ZarrVersion_3);
}

static void
test_is_ngff_without_method_v2(void)
{
    ngff_only(ZarrVersion_2);
}

// Without a method or is_ngff the node is a plain array (no "0" below).
static void
test_plain_array_without_ngff(void)
{
    const std::string store = store_path("plain.zarr");
    ArrayOptions options;
    options.key = "img";
    options.dims = {
        { "t", ZarrDimensionType_Time, 0, 2, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 64, 8, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 48, 8, 2, NULL, 0 },
    };
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    json doc = read_json(store + "/img/zarr.json");
    CHECK_JSON(json_at(doc, { "node_type" }), "array");
    CHECK(json_at(doc, { "attributes", "ome" }).is_null());
    CHECK(!path_exists((store + "/img/0").c_str()));
}

// ---- frames that are not plain data ----------------------------------------

// NULL data appends zeros; a partial last frame is padded with zeros; both
// go through the pyramid like any frame.
static void
test_null_and_partial_frames(void)
{
    const std::string store = store_path("null-partial.zarr");
    PyramidCase c = small_mean_case("null-partial", ZarrVersion_3);
    ArrayOptions options;
    options.key = "img";
    options.type = ZarrDataType_uint16;
    options.dims = c.dims;
    options.compression = c.compression;
    options.method = ZarrDownsamplingMethod_Max;
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    REQUIRE(stream != nullptr);
    const size_t frame_px = 37 * 29;
    // Frame 0 data, frame 1 NULL (zeros), frame 2 data, frame 3 only 100
    // pixels then the stream closes.
    const RefLevel base = base_level(c.dims, 4);
    std::vector<uint16_t> data(level_pixels(base), 0);
    for (size_t i = 0; i < data.size(); ++i) {
        const size_t f = i / frame_px;
        if (f == 0 || f == 2 || (f == 3 && i % frame_px < 100)) {
            data[i] = (uint16_t)(1 + mix64(i) % 60000);
        }
    }
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, data.data(), frame_px * 2, &bytes_out, nullptr));
    CHECK_OK(ZarrStream_append(stream, nullptr, frame_px * 2, &bytes_out, nullptr));
    CHECK_EQ(bytes_out, frame_px * 2);
    CHECK_OK(ZarrStream_append(stream, data.data() + 2 * frame_px, frame_px * 2 + 200,
                               &bytes_out, nullptr));
    CHECK_OK(ZarrStream_close(stream));

    const auto levels = plan_reference(base, 0);
    REQUIRE(levels.size() == 3);
    const auto expected = reference_pyramid<uint16_t>(data, levels, ZarrDownsamplingMethod_Max);
    for (size_t i = 0; i < levels.size(); ++i) {
        const std::string dir = store + "/img/" + std::to_string(i);
        check_level_metadata(dir, 3, levels[i]);
        compare_levels<uint16_t>(read_level<uint16_t>(dir, 3, levels[i], decode_blosc),
                                 expected[i], "null/partial level " + std::to_string(i));
    }
}

// A 2-D array (one image) has a pyramid too.
static void
test_two_dimensional_image(void)
{
    PyramidCase c;
    c.name = "yx-mean";
    c.key = "yx";
    c.dims = {
        { "y", ZarrDimensionType_Space, 37, 8, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 45, 8, 2, NULL, 0 },
    };
    c.rows = 37;
    // 37 x 45 -> 19 x 23 -> 10 x 12 (min 10 > 8) -> 5 x 6.
    c.expected_levels = 4;
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    REQUIRE(levels.size() == 4);
    check_shape(levels[3], { 5, 6 }, { 1, 1 });
}

// Floats: MEAN of values exact in binary (quarters), MIN and MAX.
template<typename T>
static void
float_case(const char* name, ZarrDownsamplingMethod method)
{
    PyramidCase c;
    c.name = name;
    c.method = method;
    c.dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 11, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 9, 4, 2, NULL, 0 },
    };
    c.rows = 2;
    // 11 x 9 -> 6 x 5 -> 3 x 3.
    c.expected_levels = 3;
    run_pyramid<T>(c, [](uint64_t i) { return (T)((double)(mix64(i) % 4001) / 4.0 - 500.0); });
}

static void
test_float_methods(void)
{
    float_case<float>("f32-mean", ZarrDownsamplingMethod_Mean);
    float_case<float>("f32-min", ZarrDownsamplingMethod_Min);
    float_case<double>("f64-max", ZarrDownsamplingMethod_Max);
    float_case<double>("f64-mean", ZarrDownsamplingMethod_Mean);
}

// A bounded Z (the first dimension) stopped early: each level holds what
// its planes reduce to, the last odd written plane passing through, and its
// shape counts the planes written.
static void
test_bounded_z_stopped_early(void)
{
    const std::string store = store_path("z-early.zarr");
    const std::vector<ZarrDimensionProperties> dims = {
        { "z", ZarrDimensionType_Space, 21, 2, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 19, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 23, 4, 2, NULL, 0 },
    };
    ArrayOptions options;
    options.key = "img";
    options.dims = dims;
    options.method = ZarrDownsamplingMethod_Mean;
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    REQUIRE(stream != nullptr);
    const uint64_t written = 5;
    const std::vector<RefLevel> planned = plan_reference(base_level(dims, 21), 0);
    REQUIRE(planned.size() == 5);
    // The levels as written: Z counts what was written.
    std::vector<RefLevel> levels = planned;
    uint64_t planes = written;
    for (size_t i = 0; i < levels.size(); ++i) {
        if (i > 0 && levels[i].halves_z) {
            planes = ceil_half(planes);
        }
        levels[i].dims[0].size = planes;
    }
    std::vector<uint16_t> data(level_pixels(levels[0]));
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = u16_value(i);
    }
    append_in_pieces(stream, data.data(), data.size() * 2, 1234);
    CHECK_OK(ZarrStream_close(stream));
    const auto expected =
      reference_pyramid<uint16_t>(data, levels, ZarrDownsamplingMethod_Mean);
    for (size_t i = 0; i < levels.size(); ++i) {
        const std::string dir = store + "/img/" + std::to_string(i);
        check_level_metadata(dir, 3, levels[i]);
        compare_levels<uint16_t>(read_level<uint16_t>(dir, 3, levels[i], nullptr), expected[i],
                                 "early z level " + std::to_string(i));
    }
}

// A bounded pyramid refuses what does not fit and keeps what was written.
static void
test_out_of_bounds_keeps_levels(void)
{
    const std::string store = store_path("bounded.zarr");
    const std::vector<ZarrDimensionProperties> dims = {
        { "t", ZarrDimensionType_Time, 3, 2, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 17, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 9, 4, 2, NULL, 0 },
    };
    ArrayOptions options;
    options.key = "img";
    options.dims = dims;
    options.method = ZarrDownsamplingMethod_Min;
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    REQUIRE(stream != nullptr);
    const RefLevel base = base_level(dims, 3);
    std::vector<uint16_t> data(level_pixels(base) + 17 * 9);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = u16_value(i);
    }
    size_t bytes_out = 0;
    CHECK_STATUS(ZarrStream_append(stream, data.data(), data.size() * 2, &bytes_out, nullptr),
                 ZarrStatusCode_WriteOutOfBounds);
    CHECK_EQ(bytes_out, level_pixels(base) * 2);
    CHECK_OK(ZarrStream_close(stream));
    data.resize(level_pixels(base));
    const auto levels = plan_reference(base, 0);
    REQUIRE(levels.size() == 3); // 17 x 9 -> 9 x 5 -> 5 x 3
    const auto expected = reference_pyramid<uint16_t>(data, levels, ZarrDownsamplingMethod_Min);
    for (size_t i = 0; i < levels.size(); ++i) {
        const std::string dir = store + "/img/" + std::to_string(i);
        check_level_metadata(dir, 3, levels[i]);
        compare_levels<uint16_t>(read_level<uint16_t>(dir, 3, levels[i], nullptr), expected[i],
                                 "bounded level " + std::to_string(i));
    }
}

// Custom metadata on an image goes to its group, beside "ome" (v3) or
// "multiscales" (v2), which it may not replace.
static void
custom_metadata_on_image(ZarrVersion version)
{
    const std::string store = store_path("custom-v" + std::to_string((int)version) + ".zarr");
    PyramidCase c = small_mean_case("custom", version);
    ArrayOptions options;
    options.key = "img";
    options.dims = c.dims;
    options.method = ZarrDownsamplingMethod_Mean;
    ZarrStream* stream = open_array(store, version, options);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_write_custom_metadata(stream, "img", "acquisition",
                                              R"({"objective":"20x"})"));
    CHECK_OK(ZarrStream_write_custom_metadata(stream, "img", nullptr, R"({"operator":"me"})"));
    CHECK_STATUS(ZarrStream_write_custom_metadata(stream, "img", "ome", "{}"),
                 ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStream_write_custom_metadata(stream, "img", nullptr, R"({"ome":1})"),
                 ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStream_write_custom_metadata(stream, "img/0", nullptr, "{}"),
                 ZarrStatusCode_KeyNotFound);
    std::vector<uint16_t> frame(37 * 29, 7);
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame.data(), frame.size() * 2, &bytes_out, "img"));
    CHECK_OK(ZarrStream_close(stream));

    json attributes = version == ZarrVersion_3
                        ? json_at(read_json(store + "/img/zarr.json"), { "attributes" })
                        : read_json(store + "/img/.zattrs");
    CHECK_JSON(json_at(attributes, { "acquisition" }), json::parse(R"({"objective":"20x"})"));
    CHECK_JSON(json_at(attributes, { "operator" }), "me");
    const json multiscales = version == ZarrVersion_3
                               ? json_at(attributes, { "ome", "multiscales" })
                               : json_at(attributes, { "multiscales" });
    CHECK(multiscales.is_array() && multiscales.size() == 1);
    CHECK_EQ(json_at(multiscales, { 0, "datasets" }).size(), 3);
}

static void
test_custom_metadata_on_image_v3(void)
{
    custom_metadata_on_image(ZarrVersion_3);
}

static void
test_custom_metadata_on_image_v2(void)
{
    custom_metadata_on_image(ZarrVersion_2);
}

// Two pyramids and a plain array in one stream, appended in turn.
static void
test_several_pyramids_in_one_stream(void)
{
    const std::string store = store_path("several.zarr");
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = store.c_str();
    settings.version = ZarrVersion_3;
    settings.overwrite = true;
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 3));
    PyramidCase c = small_mean_case("several", ZarrVersion_3);
    const char* keys[3] = { "a", "b/c", "plain" };
    const ZarrDownsamplingMethod methods[3] = { ZarrDownsamplingMethod_Mean,
                                                ZarrDownsamplingMethod_Decimate,
                                                ZarrDownsamplingMethod_None };
    for (int i = 0; i < 3; ++i) {
        ArrayOptions options;
        options.key = keys[i];
        options.dims = c.dims;
        options.compression = i == 0 ? &lz4 : nullptr;
        options.method = methods[i];
        REQUIRE(fill_array_settings(&settings.arrays[i], options));
    }
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    REQUIRE(stream != nullptr);
    const RefLevel base = base_level(c.dims, 5);
    std::vector<std::vector<uint16_t>> data(3, std::vector<uint16_t>(level_pixels(base)));
    for (int a = 0; a < 3; ++a) {
        for (size_t i = 0; i < data[a].size(); ++i) {
            data[a][i] = u16_value(i * 3 + a);
        }
    }
    const size_t bytes = data[0].size() * 2, piece = 999;
    for (size_t at = 0; at < bytes; at += piece) {
        for (int a = 0; a < 3; ++a) {
            size_t bytes_out = 0;
            CHECK_OK(ZarrStream_append(stream, (const unsigned char*)data[a].data() + at,
                                       std::min(piece, bytes - at), &bytes_out, keys[a]));
        }
    }
    CHECK_OK(ZarrStream_close(stream));
    const auto levels = plan_reference(base, 0);
    for (int a = 0; a < 2; ++a) {
        const auto expected = reference_pyramid<uint16_t>(data[a], levels, methods[a]);
        for (size_t i = 0; i < levels.size(); ++i) {
            const std::string dir = store + "/" + keys[a] + "/" + std::to_string(i);
            compare_levels<uint16_t>(
              read_level<uint16_t>(dir, 3, levels[i], a == 0 ? decode_blosc : nullptr),
              expected[i], dir.substr(store.size()));
        }
    }
    compare_levels<uint16_t>(read_level<uint16_t>(store + "/plain", 3, base, nullptr), data[2],
                             "plain");
}

// An unbounded Z (the append dimension) is not halved: only Y/X are.
static void
test_unbounded_z_not_halved(void)
{
    PyramidCase c;
    c.name = "unbounded-z";
    c.key = "img";
    c.method = ZarrDownsamplingMethod_Mean;
    c.dims = {
        { "z", ZarrDimensionType_Space, 0, 2, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 19, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 23, 4, 2, NULL, 0 },
    };
    c.rows = 7;
    // 19 x 23 -> 10 x 12 -> 5 x 6 -> 3 x 3; z stays 7.
    c.expected_levels = 4;
    auto levels = run_pyramid<uint16_t>(c, u16_value);
    REQUIRE(levels.size() == 4);
    check_shape(levels[3], { 7, 3, 3 }, { 2, 1, 1 });
}

// A pyramid stream closed before any frame: every level exists, empty.
static void
test_empty_pyramid_stream(void)
{
    for (ZarrVersion version : { ZarrVersion_3, ZarrVersion_2 }) {
        const std::string store = store_path("empty-v" + std::to_string((int)version) + ".zarr");
        ArrayOptions options;
        options.key = "img";
        options.method = ZarrDownsamplingMethod_Mean;
        options.dims = {
            { "t", ZarrDimensionType_Time, 0, 2, 2, NULL, 0 },
            { "z", ZarrDimensionType_Space, 7, 2, 2, NULL, 0 },
            { "y", ZarrDimensionType_Space, 19, 4, 2, NULL, 0 },
            { "x", ZarrDimensionType_Space, 23, 4, 2, NULL, 0 },
        };
        ZarrStream* stream = open_array(store, version, options);
        REQUIRE(stream != nullptr);
        CHECK_OK(ZarrStream_close(stream));
        const auto levels = plan_reference(base_level(options.dims, 0), 0);
        CHECK_EQ(levels.size(), 4); // z 7 -> 4 -> 2, y/x -> 10 x 12 -> 5 x 6 -> 3 x 3
        check_multiscales(store + "/img", (int)version, levels, "mean");
        for (size_t i = 0; i < levels.size(); ++i) {
            check_level_metadata(store + "/img/" + std::to_string(i), (int)version, levels[i]);
        }
    }
}

// ---- memory estimate --------------------------------------------------------

static size_t
estimate(ZarrDownsamplingMethod method, bool is_ngff)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = "unused.zarr";
    settings.version = ZarrVersion_3;
    settings.max_threads = 2;
    ArrayOptions options;
    options.method = method;
    options.is_ngff = is_ngff;
    options.dims = {
        { "t", ZarrDimensionType_Time, 0, 4, 1, NULL, 0 },
        { "z", ZarrDimensionType_Space, 16, 4, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 512, 64, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 512, 64, 2, NULL, 0 },
    };
    size_t usage = 0;
    if (ZarrStreamSettings_create_arrays(&settings, 1) == ZarrStatusCode_Success &&
        fill_array_settings(&settings.arrays[0], options)) {
        CHECK_OK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &usage));
    }
    ZarrStreamSettings_destroy_arrays(&settings);
    return usage;
}

static void
test_memory_estimate_counts_levels(void)
{
    const size_t plain = estimate(ZarrDownsamplingMethod_None, false);
    const size_t ngff = estimate(ZarrDownsamplingMethod_None, true);
    const size_t mean = estimate(ZarrDownsamplingMethod_Mean, false);
    const size_t decimate = estimate(ZarrDownsamplingMethod_Decimate, true);
    fprintf(stderr, "   estimates: plain %zu, ngff %zu, mean %zu, decimate %zu\n", plain,
            ngff, mean, decimate);
    CHECK(plain > 0);
    CHECK_EQ(ngff, plain);
    CHECK(mean > plain);
    CHECK(decimate > plain);
    CHECK(!path_exists("unused.zarr"));
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }

    RUN_TEST(test_mean_u16_direct_v3);
    RUN_TEST(test_mean_u16_blosc_v3);
    RUN_TEST(test_mean_u16_blosc_v2);
    RUN_TEST(test_mean_u16_channels_v3);
    RUN_TEST(test_mean_int32_extremes);
    RUN_TEST(test_mean_uint32_extremes);
    RUN_TEST(test_mean_int64_extremes);
    RUN_TEST(test_mean_uint64_extremes);
    RUN_TEST(test_mean_ties_to_even);
    RUN_TEST(test_zyx_decimate);
    RUN_TEST(test_zyx_min);
    RUN_TEST(test_zyx_max);
    RUN_TEST(test_zyx_mean);
    RUN_TEST(test_tzyx_all_methods);
    RUN_TEST(test_max_levels_caps);
    RUN_TEST(test_is_ngff_without_method_v3);
    RUN_TEST(test_is_ngff_without_method_v2);
    RUN_TEST(test_plain_array_without_ngff);
    RUN_TEST(test_memory_estimate_counts_levels);
    RUN_TEST(test_null_and_partial_frames);
    RUN_TEST(test_two_dimensional_image);
    RUN_TEST(test_float_methods);
    RUN_TEST(test_bounded_z_stopped_early);
    RUN_TEST(test_out_of_bounds_keeps_levels);
    RUN_TEST(test_custom_metadata_on_image_v3);
    RUN_TEST(test_custom_metadata_on_image_v2);
    RUN_TEST(test_several_pyramids_in_one_stream);
    RUN_TEST(test_unbounded_z_not_halved);
    RUN_TEST(test_empty_pyramid_stream);

    remove_tree(scratch);
    return test_summary();
}

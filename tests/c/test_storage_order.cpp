// storage_dimension_order through the C API: frames acquired in one order
// are stored in another (order[i] = acquisition index of stored dimension
// i). The stored arrays are read back with store_reader.h and compared with
// the acquisition permuted here; a swap of Y and X transposes each frame;
// with a pyramid, Z moved to third-last halves. Bad permutations are refused
// (NULL, InvalidSettings, a message naming the culprit, nothing on disk).
#include "test_helpers.h"
#include "store_reader.h"
#include "ngff_support.hpp"

#include <sys/stat.h>

static char scratch[AQZ_PATH_MAX];

static std::string
store_path(const std::string& name)
{
    return std::string(scratch) + "/" + name;
}

// Acquired (t, z, c, y, x); t unbounded.
static const std::vector<ZarrDimensionProperties> tzcyx = {
    { "t", ZarrDimensionType_Time, 0, 2, 2, "second", 0 },
    { "z", ZarrDimensionType_Space, 3, 2, 2, "micrometer", 3 },
    { "c", ZarrDimensionType_Channel, 2, 1, 2, NULL, 0 },
    { "y", ZarrDimensionType_Space, 6, 4, 2, "micrometer", 0.5 },
    { "x", ZarrDimensionType_Space, 5, 4, 1, "micrometer", 0.5 },
};

static std::vector<ZarrDimensionProperties>
permuted_dims(const std::vector<ZarrDimensionProperties>& acquired,
              const std::vector<size_t>& order)
{
    std::vector<ZarrDimensionProperties> stored;
    for (size_t index : order) {
        stored.push_back(acquired[index]);
    }
    return stored;
}

// The acquisition `data` (C order over `sizes`) in storage order.
template<typename T>
static std::vector<T>
permute(const std::vector<T>& data,
        const std::vector<uint64_t>& sizes,
        const std::vector<size_t>& order)
{
    const size_t rank = sizes.size();
    std::vector<uint64_t> stored_sizes(rank);
    for (size_t i = 0; i < rank; ++i) {
        stored_sizes[i] = sizes[order[i]];
    }
    std::vector<T> out(data.size());
    std::vector<uint64_t> s(rank, 0), a(rank, 0);
    for (size_t flat = 0; flat < data.size(); ++flat) {
        for (size_t i = 0; i < rank; ++i) {
            a[order[i]] = s[i];
        }
        uint64_t from = 0;
        for (size_t i = 0; i < rank; ++i) {
            from = from * sizes[i] + a[i];
        }
        out[flat] = data[from];
        aqz_next_index(s.data(), stored_sizes.data(), (int)rank);
    }
    return out;
}

static std::vector<uint64_t>
acquired_sizes(const std::vector<ZarrDimensionProperties>& dims, uint64_t rows)
{
    std::vector<uint64_t> sizes;
    for (size_t i = 0; i < dims.size(); ++i) {
        sizes.push_back(i == 0 && dims[i].array_size_px == 0 ? rows : dims[i].array_size_px);
    }
    return sizes;
}

// Stream `rows` of `dims` acquired in order, stored in `order`, and compare
// what is on disk with the permuted acquisition.
static void
stored_as_permuted(const char* name,
                   ZarrVersion version,
                   const std::vector<ZarrDimensionProperties>& dims,
                   std::vector<size_t> order,
                   uint64_t rows,
                   ZarrCompressionSettings* compression,
                   size_t piece = 37)
{
    const std::string store = store_path(name);
    ArrayOptions options;
    options.key = "data";
    options.type = ZarrDataType_uint16;
    options.dims = dims;
    options.compression = compression;
    options.storage_order = order.data();
    ZarrStream* stream = open_array(store, version, options);
    REQUIRE(stream != nullptr);

    const auto sizes = acquired_sizes(dims, rows);
    uint64_t count = 1;
    for (auto n : sizes) {
        count *= n;
    }
    std::vector<uint16_t> data(count);
    for (size_t i = 0; i < count; ++i) {
        data[i] = (uint16_t)(1 + i); // the acquisition index, never 0
    }
    append_in_pieces(stream, data.data(), data.size() * 2, piece, nullptr,
                     estimate_for(version, options));
    CHECK_OK(ZarrStream_close(stream));

    const auto stored_dims = permuted_dims(dims, order);
    const RefLevel stored = base_level(
      stored_dims, stored_dims[0].array_size_px ? stored_dims[0].array_size_px : rows);
    check_level_metadata(store + "/data", (int)version, stored);
    if (version == ZarrVersion_3) {
        json doc = read_json(store + "/data/zarr.json");
        json names = json::array();
        for (auto& d : stored_dims) {
            names.push_back(d.name);
        }
        CHECK_JSON(json_at(doc, { "dimension_names" }), names);
    }
    const auto expected = permute(data, sizes, order);
    const bool compressed = compression && compression->compressor != ZarrCompressor_None;
    const auto actual = read_level<uint16_t>(store + "/data", (int)version, stored,
                                             compressed ? decode_blosc : nullptr);
    compare_levels<uint16_t>(actual, expected, name);
}

static ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4,
                                       1, 1 };

// (t, z, c, y, x) acquired, (t, c, z, y, x) stored; 3 timepoints (the last
// t chunk half full).
static void
test_tczyx_from_tzcyx_v3(void)
{
    stored_as_permuted("tczyx-v3.zarr", ZarrVersion_3, tzcyx, { 0, 2, 1, 3, 4 }, 3, nullptr);
}

static void
test_tczyx_from_tzcyx_v3_blosc(void)
{
    stored_as_permuted("tczyx-v3-lz4.zarr", ZarrVersion_3, tzcyx, { 0, 2, 1, 3, 4 }, 3, &lz4);
}

static void
test_tczyx_from_tzcyx_v2(void)
{
    stored_as_permuted("tczyx-v2.zarr", ZarrVersion_2, tzcyx, { 0, 2, 1, 3, 4 }, 3, nullptr);
}

// Y and X swapped: every frame transposed.
static void
test_yx_swap_transposes(void)
{
    stored_as_permuted("tzcxy-v3.zarr", ZarrVersion_3, tzcyx, { 0, 1, 2, 4, 3 }, 3, nullptr);
    stored_as_permuted("tzcxy-v2.zarr", ZarrVersion_2, tzcyx, { 0, 1, 2, 4, 3 }, 2, &lz4);
}

// Both at once, with a bounded first dimension.
static void
test_reorder_and_transpose(void)
{
    std::vector<ZarrDimensionProperties> dims = tzcyx;
    dims[0].array_size_px = 3;
    stored_as_permuted("tcz-xy-v3.zarr", ZarrVersion_3, dims, { 0, 2, 1, 4, 3 }, 3, nullptr);
}

// Four frame dimensions reordered in a cycle.
static void
test_cycle_of_middle_dimensions(void)
{
    const std::vector<ZarrDimensionProperties> dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 1, NULL, 0 },
        { "a", ZarrDimensionType_Other, 2, 1, 2, NULL, 0 },
        { "c", ZarrDimensionType_Channel, 3, 2, 1, NULL, 0 },
        { "z", ZarrDimensionType_Space, 4, 3, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 3, 2, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 7, 4, 2, NULL, 0 },
    };
    stored_as_permuted("cycle-v3.zarr", ZarrVersion_3, dims, { 0, 3, 1, 2, 4, 5 }, 2, nullptr);
    stored_as_permuted("cycle-v2.zarr", ZarrVersion_2, dims, { 0, 2, 3, 1, 5, 4 }, 2, nullptr);
}

// Frames big enough for the direct (unbuffered) writer, transposed: stored
// (t, x, y) with 64 x 128 chunks of uint16 (16 KiB tiles).
static void
test_large_frames_transposed(void)
{
    const std::vector<ZarrDimensionProperties> dims = {
        { "t", ZarrDimensionType_Time, 0, 1, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 300, 128, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 201, 64, 2, NULL, 0 },
    };
    stored_as_permuted("large-t-v3.zarr", ZarrVersion_3, dims, { 0, 2, 1 }, 3, nullptr,
                       300 * 201 + 5);
}

// A 2-D array is one image: it may be transposed.
static void
test_two_dimensions_transpose(void)
{
    const std::vector<ZarrDimensionProperties> dims = {
        { "y", ZarrDimensionType_Space, 6, 4, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 9, 4, 2, NULL, 0 },
    };
    stored_as_permuted("yx-t-v3.zarr", ZarrVersion_3, dims, { 1, 0 }, 6, nullptr);
}

// The identity permutation is the acquisition order.
static void
test_identity_is_acquisition_order(void)
{
    stored_as_permuted("identity.zarr", ZarrVersion_3, tzcyx, { 0, 1, 2, 3, 4 }, 2, nullptr);
}

// With a pyramid: (t, z, c, y, x) acquired, (t, c, z, y, x) stored, so Z is
// the third-last and halves (2x2x2 blocks) although the two planes of a
// block arrive with a channel between them.
static const std::vector<ZarrDimensionProperties> pyramid_dims = {
    { "t", ZarrDimensionType_Time, 0, 1, 2, "second", 0 },
    { "z", ZarrDimensionType_Space, 9, 2, 2, "micrometer", 2 },
    { "c", ZarrDimensionType_Channel, 3, 1, 3, NULL, 0 },
    { "y", ZarrDimensionType_Space, 13, 4, 2, "micrometer", 0.5 },
    { "x", ZarrDimensionType_Space, 10, 4, 2, "micrometer", 0.5 },
};

static void
pyramid_case(ZarrVersion version,
             ZarrDownsamplingMethod method,
             const std::vector<ZarrDimensionProperties>& dims,
             const std::vector<size_t>& order,
             size_t expected_levels)
{
    std::string name = "pyramid-v" + std::to_string((int)version) + "-m" +
                       std::to_string(method) + "-o";
    for (size_t i : order) {
        name += std::to_string(i);
    }
    const std::string store = store_path(name + ".zarr");
    ArrayOptions options;
    options.key = "img";
    options.type = ZarrDataType_uint16;
    options.dims = dims;
    options.method = method;
    options.storage_order = order.data();
    options.compression = version == ZarrVersion_2 ? &lz4 : nullptr;
    ZarrStream* stream = open_array(store, version, options);
    REQUIRE(stream != nullptr);

    const uint64_t rows = 3;
    const auto sizes = acquired_sizes(dims, rows);
    uint64_t count = 1;
    for (auto n : sizes) {
        count *= n;
    }
    std::vector<uint16_t> data(count);
    for (size_t i = 0; i < count; ++i) {
        data[i] = (uint16_t)(mix64(i) >> 48);
    }
    const size_t frame = dims[dims.size() - 1].array_size_px * dims[dims.size() - 2].array_size_px;
    append_in_pieces(stream, data.data(), data.size() * 2, frame * 2, nullptr,
                     estimate_for(version, options));
    CHECK_OK(ZarrStream_close(stream));

    const auto stored_dims = permuted_dims(dims, order);
    const RefLevel base = base_level(
      stored_dims, stored_dims[0].array_size_px ? stored_dims[0].array_size_px : rows);
    const auto levels = plan_reference(base, 0);
    CHECK_EQ(levels.size(), expected_levels);
    check_multiscales(store + "/img", (int)version, levels,
                      method == ZarrDownsamplingMethod_Mean       ? "mean"
                      : method == ZarrDownsamplingMethod_Decimate ? "decimate"
                      : method == ZarrDownsamplingMethod_Min      ? "min"
                                                                  : "max");
    const auto expected = reference_pyramid<uint16_t>(permute(data, sizes, order), levels, method);
    for (size_t i = 0; i < levels.size(); ++i) {
        const std::string dir = store + "/img/" + std::to_string(i);
        check_level_metadata(dir, (int)version, levels[i]);
        const auto actual = read_level<uint16_t>(
          dir, (int)version, levels[i], version == ZarrVersion_2 ? decode_blosc : nullptr);
        compare_levels<uint16_t>(actual, expected[i], name + " level " + std::to_string(i));
    }
}

static void
test_pyramid_in_storage_order(void)
{
    // Stored (t, c, z, y, x): z 9 -> 5 -> 3 -> 2, y/x 13 x 10 -> 7 x 5 ->
    // 4 x 3 (min 3 <= 4: stop); the last step halves only Z (3 -> 2).
    const std::vector<size_t> tczyx = { 0, 2, 1, 3, 4 };
    pyramid_case(ZarrVersion_3, ZarrDownsamplingMethod_Mean, pyramid_dims, tczyx, 4);
    pyramid_case(ZarrVersion_3, ZarrDownsamplingMethod_Decimate, pyramid_dims, tczyx, 4);
    pyramid_case(ZarrVersion_2, ZarrDownsamplingMethod_Max, pyramid_dims, tczyx, 4);
    // And transposed, stored (t, c, z, x, y): x 10 x y 13 halve alike.
    pyramid_case(ZarrVersion_3, ZarrDownsamplingMethod_Mean, pyramid_dims, { 0, 2, 1, 4, 3 }, 4);
    pyramid_case(ZarrVersion_3, ZarrDownsamplingMethod_Min, pyramid_dims, { 0, 2, 1, 4, 3 }, 4);
    // (t, y, x) transposed: 37 x 21 stored as 21 x 37 with chunks 8 (y) and 4
    // (x) following their dimensions: 21 x 37 -> 11 x 19 -> 6 x 10 (min 6 <= 8).
    const std::vector<ZarrDimensionProperties> tyx = {
        { "t", ZarrDimensionType_Time, 0, 2, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 37, 8, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 21, 4, 3, NULL, 0 },
    };
    pyramid_case(ZarrVersion_3, ZarrDownsamplingMethod_Mean, tyx, { 0, 2, 1 }, 3);
    pyramid_case(ZarrVersion_2, ZarrDownsamplingMethod_Decimate, tyx, { 0, 2, 1 }, 3);
    // A 2-D image transposed: 21 x 37 as above.
    const std::vector<ZarrDimensionProperties> yx(tyx.begin() + 1, tyx.end());
    pyramid_case(ZarrVersion_3, ZarrDownsamplingMethod_Max, yx, { 1, 0 }, 3);
}

// ---- refusals ----------------------------------------------------------------

static void
expect_refused(const char* what, std::vector<size_t> order, std::vector<const char*> names)
{
    char dir[AQZ_PATH_MAX];
    path_fmt(dir, "%s/refused", scratch);
    mkdir(dir, 0755);
    const std::string store = std::string(dir) + "/store.zarr";
    ArrayOptions options;
    options.key = "data";
    options.dims = tzcyx;
    options.storage_order = order.data();
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    const ZarrStatusCode status = Zarr_get_last_status();
    const std::string error = Zarr_get_last_error();
    if (stream) {
        aqz_fail(__FILE__, __LINE__, "[%s] ZarrStream_create succeeded", what);
        ZarrStream_destroy(stream);
    } else {
        if (status != ZarrStatusCode_InvalidSettings) {
            aqz_fail(__FILE__, __LINE__, "[%s] status %d, expected InvalidSettings", what,
                     (int)status);
        }
        for (const char* name : names) {
            if (!contains_ci(error.c_str(), name)) {
                aqz_fail(__FILE__, __LINE__, "[%s] \"%s\" does not name %s", what,
                         error.c_str(), name);
            }
        }
        fprintf(stderr, "   [%s] -> %s\n", what, error.c_str());
    }
    if (tree_entry_count(dir) != 0) {
        aqz_fail(__FILE__, __LINE__, "[%s] files created on disk", what);
    }
    remove_tree(dir);
}

static void
test_refusals(void)
{
    expect_refused("out of range", { 0, 1, 2, 3, 5 }, { "storage_dimension_order", "5" });
    expect_refused("huge index", { 0, 1, 2, 3, SIZE_MAX }, { "storage_dimension_order" });
    expect_refused("repeated", { 0, 1, 1, 3, 4 }, { "storage_dimension_order", "1" });
    expect_refused("repeated Y", { 0, 1, 2, 3, 3 }, { "storage_dimension_order", "3" });
    expect_refused("first moved", { 1, 0, 2, 3, 4 }, { "storage_dimension_order", "'t'" });
    expect_refused("first moved last", { 4, 1, 2, 3, 0 }, { "storage_dimension_order" });
    expect_refused("Y moved", { 0, 1, 3, 2, 4 }, { "storage_dimension_order", "'y'" });
    expect_refused("X moved", { 0, 4, 2, 3, 1 }, { "storage_dimension_order", "'x'" });
    expect_refused("C into frame", { 0, 1, 3, 4, 2 }, { "storage_dimension_order" });
}

// The estimate refuses what the stream refuses.
static void
test_estimate_refuses_bad_order(void)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = "unused.zarr";
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    ArrayOptions options;
    options.dims = tzcyx;
    const size_t bad[] = { 1, 0, 2, 3, 4 };
    options.storage_order = bad;
    REQUIRE(fill_array_settings(&settings.arrays[0], options));
    size_t usage = 0;
    CHECK_STATUS(ZarrStreamSettings_estimate_max_memory_usage(&settings, &usage),
                 ZarrStatusCode_InvalidSettings);
    const size_t good[] = { 0, 2, 1, 4, 3 };
    settings.arrays[0].storage_dimension_order = good;
    CHECK_OK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &usage));
    CHECK(usage > 0);
    ZarrStreamSettings_destroy_arrays(&settings);
}

// An OME-NGFF image must order its axes time, channel, space: acquired
// (t, z, c, y, x) with a pyramid is refused as it comes, naming the axis,
// and accepted once the storage order puts c before z.
static void
test_ngff_axis_order_needs_storage_order(void)
{
    char dir[AQZ_PATH_MAX];
    path_fmt(dir, "%s/ngff-order", scratch);
    mkdir(dir, 0755);
    const std::string store = std::string(dir) + "/store.zarr";
    ArrayOptions options;
    options.key = "img";
    options.dims = tzcyx;
    options.method = ZarrDownsamplingMethod_Mean;
    ZarrStream* stream = open_array(store, ZarrVersion_3, options);
    CHECK(stream == nullptr);
    CHECK_EQ(Zarr_get_last_status(), ZarrStatusCode_InvalidSettings);
    CHECK(contains_ci(Zarr_get_last_error(), "'c'"));
    fprintf(stderr, "   -> %s\n", Zarr_get_last_error());
    CHECK_EQ(tree_entry_count(dir), 0);
    if (stream) {
        ZarrStream_destroy(stream);
    }

    options.method = ZarrDownsamplingMethod_None;
    options.is_ngff = true;
    stream = open_array(store, ZarrVersion_2, options);
    CHECK(stream == nullptr);
    CHECK_EQ(tree_entry_count(dir), 0);
    if (stream) {
        ZarrStream_destroy(stream);
    }

    const size_t order[] = { 0, 2, 1, 3, 4 };
    options.storage_order = order;
    stream = open_array(store, ZarrVersion_3, options);
    CHECK(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    json doc = read_json(store + "/img/zarr.json");
    json names = json::array();
    for (const auto& axis : json_at(doc, { "attributes", "ome", "multiscales", 0, "axes" })) {
        names.push_back(axis["name"]);
    }
    CHECK_JSON(names, json::parse(R"(["t","c","z","y","x"])"));
    remove_tree(dir);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }

    RUN_TEST(test_tczyx_from_tzcyx_v3);
    RUN_TEST(test_tczyx_from_tzcyx_v3_blosc);
    RUN_TEST(test_tczyx_from_tzcyx_v2);
    RUN_TEST(test_yx_swap_transposes);
    RUN_TEST(test_reorder_and_transpose);
    RUN_TEST(test_cycle_of_middle_dimensions);
    RUN_TEST(test_large_frames_transposed);
    RUN_TEST(test_two_dimensions_transpose);
    RUN_TEST(test_identity_is_acquisition_order);
    RUN_TEST(test_pyramid_in_storage_order);
    RUN_TEST(test_refusals);
    RUN_TEST(test_estimate_refuses_bad_order);
    RUN_TEST(test_ngff_axis_order_needs_storage_order);

    remove_tree(scratch);
    return test_summary();
}

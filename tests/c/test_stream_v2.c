/* Zarr v2 streams: one file per chunk, at <array>/i/j/k, each a full chunk;
 * metadata files for the array and its groups. */
#include "test_helpers.h"
#include "store_reader.h"

static char scratch[AQZ_PATH_MAX];

static const ZarrDimensionProperties ragged_tyx[3] = {
    { "t", ZarrDimensionType_Time, 0, 2, 0, NULL, 0 },
    { "y", ZarrDimensionType_Space, 5, 2, 0, NULL, 0 },
    { "x", ZarrDimensionType_Space, 6, 4, 0, NULL, 0 },
};

static void
test_chunk_files_exist_with_full_chunk_sizes(void)
{
    char store[AQZ_PATH_MAX], path[AQZ_PATH_MAX];
    path_fmt(store, "%s/ragged.zarr", scratch);
    ZarrStream* stream = open_stream(store, ZarrVersion_2, NULL, ZarrDataType_uint16,
                                     ragged_tyx, 3, NULL);
    REQUIRE(stream != NULL);

    const size_t frames = 5, count = frames * 5 * 6;
    uint16_t data[5 * 5 * 6];
    for (size_t i = 0; i < count; ++i) {
        data[i] = (uint16_t)(1000 + i);
    }
    /* One frame and a half, then the rest. */
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, data, 90, &bytes_out, NULL));
    CHECK_EQ(bytes_out, 90);
    CHECK_OK(ZarrStream_append(stream, (unsigned char*)data + 90, sizeof(data) - 90,
                               &bytes_out, NULL));
    CHECK_EQ(bytes_out, sizeof(data) - 90);
    CHECK_OK(ZarrStream_close(stream));

    CHECK(path_exists(path_fmt(path, "%s/.zarray", store)));
    CHECK(path_exists(path_fmt(path, "%s/.zattrs", store)));

    /* 3 x 3 x 2 chunks of 2*2*4 uint16 = 32 bytes, edge chunks included. */
    for (int t = 0; t < 3; ++t) {
        for (int y = 0; y < 3; ++y) {
            for (int x = 0; x < 2; ++x) {
                path_fmt(path, "%s/%d/%d/%d", store, t, y, x);
                long long size = file_size(path);
                if (size != 32) {
                    aqz_fail(__FILE__, __LINE__, "%s: size %lld, expected 32",
                             path, size);
                }
            }
        }
    }
    CHECK(!path_exists(path_fmt(path, "%s/3", store)));
    CHECK(!path_exists(path_fmt(path, "%s/0/3", store)));
    CHECK(!path_exists(path_fmt(path, "%s/0/0/2", store)));

    ArrayLayout layout = layout_of(2, ragged_tyx, 3, ZarrDataType_uint16, frames);
    unsigned char* actual = read_array(store, &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, (const unsigned char*)data, count, 2, "v2 ragged");
    free(actual);
}

static void
test_nested_key_has_group_files(void)
{
    char store[AQZ_PATH_MAX], path[AQZ_PATH_MAX], array_dir[AQZ_PATH_MAX];
    path_fmt(store, "%s/nested.zarr", scratch);
    ZarrStream* stream = open_stream(store, ZarrVersion_2, "a/b", ZarrDataType_uint16,
                                     ragged_tyx, 3, NULL);
    REQUIRE(stream != NULL);
    uint16_t frame[30];
    for (int i = 0; i < 30; ++i) {
        frame[i] = (uint16_t)(i + 1);
    }
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame, sizeof(frame), &bytes_out, NULL));
    CHECK_OK(ZarrStream_close(stream));

    CHECK(path_exists(path_fmt(path, "%s/.zgroup", store)));
    CHECK(path_exists(path_fmt(path, "%s/a/.zgroup", store)));
    CHECK(path_exists(path_fmt(path, "%s/a/b/.zarray", store)));
    CHECK(!path_exists(path_fmt(path, "%s/a/b/.zgroup", store)));
    CHECK(!path_exists(path_fmt(path, "%s/zarr.json", store)));

    ArrayLayout layout = layout_of(2, ragged_tyx, 3, ZarrDataType_uint16, 1);
    unsigned char* actual = read_array(path_fmt(array_dir, "%s/a/b", store), &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, (const unsigned char*)frame, 30, 2, "v2 nested");
    free(actual);
}

static void
test_every_data_type_round_trips(void)
{
    const ZarrDimensionProperties dims[3] = {
        { "t", ZarrDimensionType_Time, 0, 2, 0, NULL, 0 },
        { "y", ZarrDimensionType_Space, 3, 2, 0, NULL, 0 },
        { "x", ZarrDimensionType_Space, 5, 2, 0, NULL, 0 },
    };
    for (int type = 0; type < ZarrDataTypeCount; ++type) {
        char store[AQZ_PATH_MAX];
        path_fmt(store, "%s/dtype-%d.zarr", scratch, type);
        ZarrStream* stream = open_stream(store, ZarrVersion_2, NULL,
                                         (ZarrDataType)type, dims, 3, NULL);
        REQUIRE(stream != NULL);
        const size_t px = dtype_size((ZarrDataType)type);
        const size_t bytes = 3 * 3 * 5 * px;
        unsigned char* data = (unsigned char*)malloc(bytes);
        REQUIRE(data != NULL);
        for (size_t i = 0; i < bytes; ++i) {
            data[i] = (unsigned char)(i * 53 + 5 + type);
        }
        size_t bytes_out = 0;
        CHECK_OK(ZarrStream_append(stream, data, bytes, &bytes_out, NULL));
        CHECK_OK(ZarrStream_close(stream));

        ArrayLayout layout = layout_of(2, dims, 3, (ZarrDataType)type, 3);
        unsigned char* actual = read_array(store, &layout);
        REQUIRE(actual != NULL);
        char what[64];
        snprintf(what, sizeof(what), "v2 data type %d", type);
        compare_pixels(actual, data, 3 * 3 * 5, px, what);
        free(actual);
        free(data);
    }
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_Warning);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_TEST(test_chunk_files_exist_with_full_chunk_sizes);
    RUN_TEST(test_nested_key_has_group_files);
    RUN_TEST(test_every_data_type_round_trips);
    remove_tree(scratch);
    return test_summary();
}

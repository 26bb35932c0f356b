/* Bounded arrays (WriteOutOfBounds keeps what was written), the memory
 * estimate against the live usage, ZarrStream_close's status, unwritable
 * store paths, and settings freed right after ZarrStream_create. */
#include "test_helpers.h"
#include "store_reader.h"

static char scratch[AQZ_PATH_MAX];

static void
test_appending_past_a_bounded_array(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/bounded.zarr", scratch);
    const ZarrDimensionProperties dims[3] = {
        { "t", ZarrDimensionType_Time, 3, 2, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 4, 4, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 4, 4, 1, NULL, 0 },
    };
    ZarrStream* stream = open_stream(store, ZarrVersion_3, NULL, ZarrDataType_uint8,
                                     dims, 3, NULL);
    REQUIRE(stream != NULL);

    unsigned char frames[5 * 16];
    for (size_t i = 0; i < sizeof(frames); ++i) {
        frames[i] = (unsigned char)(i + 1);
    }
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frames, 16, &bytes_out, NULL));
    CHECK_EQ(bytes_out, 16);

    /* Three more frames for the two places left: two fit, then the error. */
    CHECK_STATUS(ZarrStream_append(stream, frames + 16, 48, &bytes_out, NULL),
                 ZarrStatusCode_WriteOutOfBounds);
    CHECK_EQ(bytes_out, 32);

    /* The array is full: nothing more is taken, not even a byte. */
    CHECK_STATUS(ZarrStream_append(stream, frames + 48, 1, &bytes_out, NULL),
                 ZarrStatusCode_WriteOutOfBounds);
    CHECK_EQ(bytes_out, 0);
    CHECK_STATUS(ZarrStream_append(stream, NULL, 16, &bytes_out, NULL),
                 ZarrStatusCode_WriteOutOfBounds);
    CHECK_EQ(bytes_out, 0);

    /* Refusing extra bytes is not a failed write: close succeeds. */
    CHECK_OK(ZarrStream_close(stream));

    ArrayLayout layout = layout_of(3, dims, 3, ZarrDataType_uint8, 3);
    unsigned char* actual = read_array(store, &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, frames, 48, 1, "bounded array");
    free(actual);
}

static void
test_bounded_v2_array_keeps_its_data_too(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/bounded-v2.zarr", scratch);
    const ZarrDimensionProperties dims[3] = {
        { "t", ZarrDimensionType_Time, 2, 1, 0, NULL, 0 },
        { "y", ZarrDimensionType_Space, 4, 4, 0, NULL, 0 },
        { "x", ZarrDimensionType_Space, 4, 4, 0, NULL, 0 },
    };
    ZarrStream* stream = open_stream(store, ZarrVersion_2, NULL, ZarrDataType_uint8,
                                     dims, 3, NULL);
    REQUIRE(stream != NULL);
    unsigned char frames[3 * 16];
    for (size_t i = 0; i < sizeof(frames); ++i) {
        frames[i] = (unsigned char)(200 - i);
    }
    size_t bytes_out = 0;
    CHECK_STATUS(ZarrStream_append(stream, frames, sizeof(frames), &bytes_out, NULL),
                 ZarrStatusCode_WriteOutOfBounds);
    CHECK_EQ(bytes_out, 32);
    CHECK_OK(ZarrStream_close(stream));

    ArrayLayout layout = layout_of(2, dims, 3, ZarrDataType_uint8, 2);
    unsigned char* actual = read_array(store, &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, frames, 32, 1, "bounded v2 array");
    free(actual);
}

static void
test_memory_usage_stays_within_the_estimate(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/memory.zarr", scratch);

    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = store;
    settings.max_threads = 2;
    ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1,
                                    ZarrCompressionCodec_BloscLZ4, 1, 1 };
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    ZarrArraySettings* array = &settings.arrays[0];
    array->data_type = ZarrDataType_uint16;
    array->compression_settings = &lz4;
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(array, 3));
    array->dimensions[0] = dim("t", ZarrDimensionType_Time, 0, 16, 2);
    array->dimensions[1] = dim("y", ZarrDimensionType_Space, 512, 128, 2);
    array->dimensions[2] = dim("x", ZarrDimensionType_Space, 512, 128, 2);

    size_t estimate = 0;
    REQUIRE_OK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &estimate));
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    REQUIRE(stream != NULL);

    const size_t frame = 512 * 512 * 2;
    unsigned char* data = (unsigned char*)malloc(frame);
    REQUIRE(data != NULL);
    size_t peak = 0;
    for (int t = 0; t < 80; ++t) {
        for (size_t i = 0; i < frame; ++i) {
            data[i] = (unsigned char)(i * 13 + t);
        }
        size_t bytes_out = 0;
        CHECK_OK(ZarrStream_append(stream, data, frame, &bytes_out, NULL));
        size_t usage = 0;
        CHECK_OK(ZarrStream_get_current_memory_usage(stream, &usage));
        if (usage > peak) {
            peak = usage;
        }
    }
    fprintf(stderr, "   estimate %zu bytes, peak usage %zu bytes\n", estimate, peak);
    CHECK(peak > 0); /* frames are buffered until a chunk is full */
    CHECK(peak <= estimate);
    CHECK_OK(ZarrStream_close(stream));
    free(data);
}

static void
test_close_reports_success_and_frees(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/close.zarr", scratch);
    const ZarrDimensionProperties dims[3] = {
        { "t", ZarrDimensionType_Time, 0, 4, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 8, 8, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 8, 8, 1, NULL, 0 },
    };
    /* Closing a stream that never got data, and one with half a frame. */
    ZarrStream* stream = open_stream(store, ZarrVersion_3, NULL, ZarrDataType_uint8,
                                     dims, 3, NULL);
    REQUIRE(stream != NULL);
    CHECK_OK(ZarrStream_close(stream));

    /* Accepted bytes are never dropped: half a frame is written, the rest
     * of the frame zero (the append extent counts rows, rounded up). */
    stream = open_stream(store, ZarrVersion_3, NULL, ZarrDataType_uint8, dims, 3, NULL);
    REQUIRE(stream != NULL);
    unsigned char half[32];
    memset(half, 9, sizeof(half));
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, half, sizeof(half), &bytes_out, NULL));
    CHECK_OK(ZarrStream_close(stream));

    unsigned char expected[64];
    memset(expected, 0, sizeof(expected));
    memcpy(expected, half, sizeof(half));
    ArrayLayout layout = layout_of(3, dims, 3, ZarrDataType_uint8, 1);
    unsigned char* actual = read_array(store, &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, expected, 64, 1, "half a frame at close");
    free(actual);

    /* ZarrStream_destroy works the same way, without a status. */
    stream = open_stream(store, ZarrVersion_2, NULL, ZarrDataType_uint8, dims, 3, NULL);
    REQUIRE(stream != NULL);
    CHECK_OK(ZarrStream_append(stream, half, sizeof(half), &bytes_out, NULL));
    ZarrStream_destroy(stream);
}

static void
test_unwritable_store_path_fails_clearly(void)
{
    /* The parent of the store is a regular file: nothing can go there. */
    char blocker[AQZ_PATH_MAX], store[AQZ_PATH_MAX];
    path_fmt(blocker, "%s/not-a-directory", scratch);
    REQUIRE(write_text_file(blocker, "just a file\n"));
    path_fmt(store, "%s/store.zarr", blocker);

    const ZarrDimensionProperties dims[3] = {
        { "t", ZarrDimensionType_Time, 0, 1, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 4, 4, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 4, 4, 1, NULL, 0 },
    };
    ZarrStream* stream = open_stream(store, ZarrVersion_3, NULL, ZarrDataType_uint8,
                                     dims, 3, NULL);
    if (stream == NULL) {
        CHECK(strlen(Zarr_get_last_error()) > 0);
        fprintf(stderr, "   -> %s\n", Zarr_get_last_error());
        return;
    }
    /* Failing later is acceptable, but it must be reported. */
    unsigned char frame[16] = { 1 };
    size_t bytes_out = 0;
    ZarrStatusCode append = ZarrStream_append(stream, frame, 16, &bytes_out, NULL);
    ZarrStatusCode close = ZarrStream_close(stream);
    CHECK(append != ZarrStatusCode_Success || close != ZarrStatusCode_Success);
}

static void
test_stream_does_not_keep_pointers_into_the_settings(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/copied.zarr", scratch);

    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    char* store_path = strdup(store);
    char* key = strdup("camera");
    char* name = strdup("t");
    ZarrCompressionSettings* zstd =
      (ZarrCompressionSettings*)malloc(sizeof(ZarrCompressionSettings));
    REQUIRE(store_path && key && name && zstd);
    zstd->compressor = ZarrCompressor_Zstd;
    zstd->codec = ZarrCompressionCodec_Zstd;
    zstd->level = 1;
    zstd->shuffle = 0;
    settings.store_path = store_path;
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    settings.arrays[0].output_key = key;
    settings.arrays[0].data_type = ZarrDataType_uint16;
    settings.arrays[0].compression_settings = zstd;
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3));
    settings.arrays[0].dimensions[0] = dim(name, ZarrDimensionType_Time, 0, 2, 1);
    settings.arrays[0].dimensions[1] = dim("y", ZarrDimensionType_Space, 6, 3, 2);
    settings.arrays[0].dimensions[2] = dim("x", ZarrDimensionType_Space, 6, 3, 2);

    ZarrStream* stream = ZarrStream_create(&settings);
    /* Scribble over and free everything the settings pointed to. */
    memset(store_path, 'X', strlen(store_path));
    memset(key, 'X', strlen(key));
    name[0] = 'X';
    zstd->level = 99;
    free(store_path);
    free(key);
    free(name);
    free(zstd);
    ZarrStreamSettings_destroy_arrays(&settings);
    REQUIRE(stream != NULL);

    uint16_t frames[3 * 36];
    for (int i = 0; i < 3 * 36; ++i) {
        frames[i] = (uint16_t)(i * 3 + 1);
    }
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frames, sizeof(frames), &bytes_out, "camera"));
    CHECK_OK(ZarrStream_close(stream));

    char path[AQZ_PATH_MAX];
    CHECK(path_exists(path_fmt(path, "%s/camera/zarr.json", store)));
    CHECK(path_exists(path_fmt(path, "%s/camera/c/0/0/0", store)));
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_Error);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_TEST(test_appending_past_a_bounded_array);
    RUN_TEST(test_bounded_v2_array_keeps_its_data_too);
    RUN_TEST(test_memory_usage_stays_within_the_estimate);
    RUN_TEST(test_close_reports_success_and_frees);
    RUN_TEST(test_unwritable_store_path_fails_clearly);
    RUN_TEST(test_stream_does_not_keep_pointers_into_the_settings);
    remove_tree(scratch);
    return test_summary();
}

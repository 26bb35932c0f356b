/* Several arrays in one stream, selected by key; overwrite true/false. */
#include "test_helpers.h"
#include "store_reader.h"

static char scratch[AQZ_PATH_MAX];

static const ZarrDimensionProperties tyx[3] = {
    { "t", ZarrDimensionType_Time, 0, 2, 2, NULL, 0 },
    { "y", ZarrDimensionType_Space, 6, 4, 2, NULL, 0 },
    { "x", ZarrDimensionType_Space, 5, 4, 2, NULL, 0 },
};
static const ZarrDimensionProperties tcyx[4] = {
    { "t", ZarrDimensionType_Time, 0, 1, 4, NULL, 0 },
    { "c", ZarrDimensionType_Channel, 2, 1, 2, NULL, 0 },
    { "y", ZarrDimensionType_Space, 3, 3, 1, NULL, 0 },
    { "x", ZarrDimensionType_Space, 4, 2, 2, NULL, 0 },
};

/* Two arrays: "group/mono" uint8 t/y/x and "group/sub/color" uint16 t/c/y/x. */
static ZarrStream*
open_two_arrays(const char* store, ZarrVersion version)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = store;
    settings.version = version;
    settings.overwrite = true;
    ZarrStreamSettings_create_arrays(&settings, 2);
    settings.arrays[0].output_key = "group/mono";
    settings.arrays[0].data_type = ZarrDataType_uint8;
    ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3);
    memcpy(settings.arrays[0].dimensions, tyx, sizeof(tyx));
    settings.arrays[1].output_key = "group/sub/color";
    settings.arrays[1].data_type = ZarrDataType_uint16;
    ZarrArraySettings_create_dimension_array(&settings.arrays[1], 4);
    memcpy(settings.arrays[1].dimensions, tcyx, sizeof(tcyx));
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    return stream;
}

static void
interleaved_appends(ZarrVersion version)
{
    char store[AQZ_PATH_MAX], path[AQZ_PATH_MAX], array_dir[AQZ_PATH_MAX];
    path_fmt(store, "%s/two-v%d.zarr", scratch, (int)version);
    ZarrStream* stream = open_two_arrays(store, version);
    REQUIRE(stream != NULL);

    enum { MONO_FRAMES = 5, COLOR_T = 3 };
    unsigned char mono[MONO_FRAMES * 30];
    uint16_t color[COLOR_T * 2 * 12];
    for (size_t i = 0; i < sizeof(mono); ++i) {
        mono[i] = (unsigned char)(i % 251 + 1);
    }
    for (size_t i = 0; i < sizeof(color) / 2; ++i) {
        color[i] = (uint16_t)(40000 + i);
    }

    /* Alternate between the arrays, in pieces that split frames. */
    size_t mono_at = 0, color_at = 0, bytes_out = 0;
    while (mono_at < sizeof(mono) || color_at < sizeof(color)) {
        size_t n = sizeof(mono) - mono_at < 17 ? sizeof(mono) - mono_at : 17;
        if (n) {
            CHECK_OK(ZarrStream_append(stream, mono + mono_at, n, &bytes_out,
                                       "group/mono"));
            CHECK_EQ(bytes_out, n);
            mono_at += n;
        }
        n = sizeof(color) - color_at < 20 ? sizeof(color) - color_at : 20;
        if (n) {
            CHECK_OK(ZarrStream_append(stream, (unsigned char*)color + color_at, n,
                                       &bytes_out, "group/sub/color"));
            CHECK_EQ(bytes_out, n);
            color_at += n;
        }
    }

    /* Unknown keys, and no key when there is more than one array. */
    CHECK_STATUS(ZarrStream_append(stream, mono, 1, &bytes_out, "group/nope"),
                 ZarrStatusCode_KeyNotFound);
    CHECK_STATUS(ZarrStream_append(stream, mono, 1, &bytes_out, "group"),
                 ZarrStatusCode_KeyNotFound);
    ZarrStatusCode no_key = ZarrStream_append(stream, mono, 1, &bytes_out, NULL);
    CHECK(no_key == ZarrStatusCode_KeyNotFound ||
          no_key == ZarrStatusCode_InvalidArgument);

    CHECK_OK(ZarrStream_close(stream));

    if (version == ZarrVersion_3) {
        CHECK(path_exists(path_fmt(path, "%s/zarr.json", store)));
        CHECK(path_exists(path_fmt(path, "%s/group/zarr.json", store)));
        CHECK(path_exists(path_fmt(path, "%s/group/sub/zarr.json", store)));
    } else {
        CHECK(path_exists(path_fmt(path, "%s/.zgroup", store)));
        CHECK(path_exists(path_fmt(path, "%s/group/.zgroup", store)));
        CHECK(path_exists(path_fmt(path, "%s/group/sub/.zgroup", store)));
        CHECK(path_exists(path_fmt(path, "%s/group/mono/.zarray", store)));
    }

    ArrayLayout layout = layout_of((int)version, tyx, 3, ZarrDataType_uint8, MONO_FRAMES);
    unsigned char* actual = read_array(path_fmt(array_dir, "%s/group/mono", store), &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, mono, sizeof(mono), 1, "group/mono");
    free(actual);

    layout = layout_of((int)version, tcyx, 4, ZarrDataType_uint16, COLOR_T);
    actual = read_array(path_fmt(array_dir, "%s/group/sub/color", store), &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, (unsigned char*)color, sizeof(color) / 2, 2, "group/sub/color");
    free(actual);
}

static void
test_interleaved_appends_v3(void)
{
    interleaved_appends(ZarrVersion_3);
}

static void
test_interleaved_appends_v2(void)
{
    interleaved_appends(ZarrVersion_2);
}

static void
test_single_array_accepts_its_key_or_null(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/single.zarr", scratch);
    ZarrStream* stream = open_stream(store, ZarrVersion_3, "only", ZarrDataType_uint8,
                                     tyx, 3, NULL);
    REQUIRE(stream != NULL);
    unsigned char frame[30] = { 1 };
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame, 30, &bytes_out, NULL));
    CHECK_OK(ZarrStream_append(stream, frame, 30, &bytes_out, "only"));
    CHECK_STATUS(ZarrStream_append(stream, frame, 30, &bytes_out, "other"),
                 ZarrStatusCode_KeyNotFound);
    CHECK_OK(ZarrStream_close(stream));
}

/* One uint8 t/y/x array at `key` in `store`, `frames` frames of `value`. */
static ZarrStatusCode
write_array(const char* store, const char* key, bool overwrite, unsigned char value,
            int frames)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = store;
    settings.overwrite = overwrite;
    ZarrStreamSettings_create_arrays(&settings, 1);
    settings.arrays[0].output_key = key;
    settings.arrays[0].data_type = ZarrDataType_uint8;
    ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3);
    memcpy(settings.arrays[0].dimensions, tyx, sizeof(tyx));
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    if (!stream) {
        return ZarrStatusCode_InvalidSettings;
    }
    unsigned char frame[30];
    memset(frame, value, sizeof(frame));
    for (int t = 0; t < frames; ++t) {
        size_t bytes_out = 0;
        ZarrStatusCode status = ZarrStream_append(stream, frame, 30, &bytes_out, NULL);
        if (status != ZarrStatusCode_Success) {
            ZarrStream_destroy(stream);
            return status;
        }
    }
    return ZarrStream_close(stream);
}

static void
check_array_is(const char* store, const char* key, unsigned char value, int frames)
{
    char array_dir[AQZ_PATH_MAX];
    ArrayLayout layout = layout_of(3, tyx, 3, ZarrDataType_uint8, (uint64_t)frames);
    unsigned char* actual = read_array(path_fmt(array_dir, "%s/%s", store, key), &layout);
    REQUIRE(actual != NULL);
    unsigned char* expected = (unsigned char*)malloc((size_t)frames * 30);
    REQUIRE(expected != NULL);
    memset(expected, value, (size_t)frames * 30);
    compare_pixels(actual, expected, (size_t)frames * 30, 1, array_dir);
    free(expected);
    free(actual);
}

static void
test_overwrite_false_adds_to_the_store(void)
{
    char store[AQZ_PATH_MAX], path[AQZ_PATH_MAX];
    path_fmt(store, "%s/shared.zarr", scratch);
    CHECK_OK(write_array(store, "sample/a", true, 11, 2));
    CHECK_OK(write_array(store, "sample/b", false, 22, 3));
    check_array_is(store, "sample/a", 11, 2);
    check_array_is(store, "sample/b", 22, 3);
    CHECK(path_exists(path_fmt(path, "%s/sample/zarr.json", store)));

    /* The same key again without overwrite is refused; nothing changes. */
    CHECK(write_array(store, "sample/a", false, 33, 1) != ZarrStatusCode_Success);
    CHECK(strlen(Zarr_get_last_error()) > 0);
    fprintf(stderr, "   -> %s\n", Zarr_get_last_error());
    check_array_is(store, "sample/a", 11, 2);
}

static void
test_overwrite_true_replaces_the_store(void)
{
    char store[AQZ_PATH_MAX], path[AQZ_PATH_MAX];
    path_fmt(store, "%s/replaced.zarr", scratch);
    CHECK_OK(write_array(store, "old", true, 5, 1));
    REQUIRE(write_text_file(path_fmt(path, "%s/stray.txt", store), "left over\n"));

    CHECK_OK(write_array(store, "new", true, 6, 1));
    CHECK(!path_exists(path_fmt(path, "%s/stray.txt", store)));
    CHECK(!path_exists(path_fmt(path, "%s/old", store)));
    check_array_is(store, "new", 6, 1);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_TEST(test_interleaved_appends_v3);
    RUN_TEST(test_interleaved_appends_v2);
    RUN_TEST(test_single_array_accepts_its_key_or_null);
    RUN_TEST(test_overwrite_false_adds_to_the_store);
    RUN_TEST(test_overwrite_true_replaces_the_store);
    remove_tree(scratch);
    return test_summary();
}

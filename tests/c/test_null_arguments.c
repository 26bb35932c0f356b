/* NULL passed to every function of the C API: InvalidArgument (or NULL, or
 * nothing for the void functions), never a crash. */
#include "test_helpers.h"

static void
test_settings_helpers_reject_null(void)
{
    CHECK_STATUS(ZarrStreamSettings_create_arrays(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrStreamSettings_destroy_arrays(NULL);

    CHECK_STATUS(ZarrArraySettings_create_dimension_array(NULL, 3),
                 ZarrStatusCode_InvalidArgument);
    ZarrArraySettings_destroy_dimension_array(NULL);

    size_t usage = 0;
    CHECK_STATUS(ZarrStreamSettings_estimate_max_memory_usage(NULL, &usage),
                 ZarrStatusCode_InvalidArgument);
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    CHECK_STATUS(ZarrStreamSettings_estimate_max_memory_usage(&settings, NULL),
                 ZarrStatusCode_InvalidArgument);

    CHECK_EQ(ZarrStreamSettings_get_array_count(NULL), 0);

    char* key = NULL;
    CHECK_STATUS(ZarrStreamSettings_get_array_key(NULL, 0, &key),
                 ZarrStatusCode_InvalidArgument);
    CHECK(key == NULL);
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    CHECK_STATUS(ZarrStreamSettings_get_array_key(&settings, 0, NULL),
                 ZarrStatusCode_InvalidArgument);
    ZarrStreamSettings_destroy_arrays(&settings);
}

static void
test_hcs_helpers_reject_null(void)
{
    CHECK_STATUS(ZarrHCSSettings_create_plate_array(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrHCSSettings_destroy_plate_array(NULL);
    CHECK_STATUS(ZarrHCSPlate_create_well_array(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrHCSPlate_destroy_well_array(NULL);
    CHECK_STATUS(ZarrHCSPlate_create_acquisition_array(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrHCSPlate_destroy_acquisition_array(NULL);
    CHECK_STATUS(ZarrHCSPlate_create_row_name_array(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrHCSPlate_destroy_row_name_array(NULL);
    CHECK_STATUS(ZarrHCSPlate_create_column_name_array(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrHCSPlate_destroy_column_name_array(NULL);
    CHECK_STATUS(ZarrHCSWell_create_image_array(NULL, 1),
                 ZarrStatusCode_InvalidArgument);
    ZarrHCSWell_destroy_image_array(NULL);
}

static void
test_stream_functions_reject_a_null_stream(void)
{
    CHECK(ZarrStream_create(NULL) == NULL);
    CHECK(strlen(Zarr_get_last_error()) > 0);

    /* NULL is nothing to close: Success, as the published library returns */
    CHECK_STATUS(ZarrStream_close(NULL), ZarrStatusCode_Success);
    CHECK(strlen(Zarr_get_last_error()) == 0);
    ZarrStream_destroy(NULL);

    const unsigned char data[4] = { 1, 2, 3, 4 };
    size_t bytes_out = 0;
    CHECK_STATUS(ZarrStream_append(NULL, data, sizeof(data), &bytes_out, NULL),
                 ZarrStatusCode_InvalidArgument);

    CHECK_STATUS(ZarrStream_write_custom_metadata(NULL, NULL, "k", "{}"),
                 ZarrStatusCode_InvalidArgument);

    size_t usage = 0;
    CHECK_STATUS(ZarrStream_get_current_memory_usage(NULL, &usage),
                 ZarrStatusCode_InvalidArgument);
}

/* A real stream, to pass NULL for each of its other arguments. */
static void
test_stream_functions_reject_other_null_arguments(void)
{
    char dir[AQZ_PATH_MAX], store[AQZ_PATH_MAX];
    REQUIRE(make_scratch_dir(dir));

    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = path_fmt(store, "%s/store.zarr", dir);
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    settings.arrays[0].data_type = ZarrDataType_uint8;
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3));
    settings.arrays[0].dimensions[0] = dim("t", ZarrDimensionType_Time, 0, 1, 1);
    settings.arrays[0].dimensions[1] = dim("y", ZarrDimensionType_Space, 4, 4, 1);
    settings.arrays[0].dimensions[2] = dim("x", ZarrDimensionType_Space, 4, 4, 1);

    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    REQUIRE(stream != NULL);

    unsigned char frame[16];
    memset(frame, 7, sizeof(frame));
    CHECK_STATUS(ZarrStream_append(stream, frame, sizeof(frame), NULL, NULL),
                 ZarrStatusCode_InvalidArgument);

    /* NULL data is not an error: it appends zeros (see test_stream_v3). */
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, NULL, sizeof(frame), &bytes_out, NULL));
    CHECK_EQ(bytes_out, sizeof(frame));

    CHECK_STATUS(ZarrStream_write_custom_metadata(stream, NULL, "k", NULL),
                 ZarrStatusCode_InvalidArgument);

    CHECK_STATUS(ZarrStream_get_current_memory_usage(stream, NULL),
                 ZarrStatusCode_InvalidArgument);

    CHECK_OK(ZarrStream_close(stream));
    remove_tree(dir);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    RUN_TEST(test_settings_helpers_reject_null);
    RUN_TEST(test_hcs_helpers_reject_null);
    RUN_TEST(test_stream_functions_reject_a_null_stream);
    RUN_TEST(test_stream_functions_reject_other_null_arguments);
    return test_summary();
}

/* Settings of later milestones (S3) are refused with a "not yet implemented" error naming the setting, never
 * silently ignored; nothing is created on disk. */
#include "test_helpers.h"

static char scratch[AQZ_PATH_MAX];
static char store[AQZ_PATH_MAX];

static void
make_valid(ZarrStreamSettings* settings)
{
    memset(settings, 0, sizeof(*settings));
    settings->store_path = store;
    ZarrStreamSettings_create_arrays(settings, 1);
    ZarrArraySettings* array = &settings->arrays[0];
    array->data_type = ZarrDataType_uint8;
    ZarrArraySettings_create_dimension_array(array, 3);
    array->dimensions[0] = dim("t", ZarrDimensionType_Time, 0, 1, 1);
    array->dimensions[1] = dim("y", ZarrDimensionType_Space, 64, 32, 1);
    array->dimensions[2] = dim("x", ZarrDimensionType_Space, 64, 32, 1);
}

/* Create with `settings`; expect NULL, an error naming one of `fields`
 * ('|'-separated) and saying "not implemented", and an empty scratch dir. */
static void
expect_not_yet_implemented(ZarrStreamSettings* settings,
                           const char* what,
                           const char* fields)
{
    ZarrStream* stream = ZarrStream_create(settings);
    const char* error = Zarr_get_last_error();
    if (stream) {
        aqz_fail(__FILE__, __LINE__, "[%s] ZarrStream_create succeeded", what);
        ZarrStream_destroy(stream);
    } else {
        char buffer[256];
        int named = 0;
        snprintf(buffer, sizeof(buffer), "%s", fields);
        for (char* w = strtok(buffer, "|"); w; w = strtok(NULL, "|")) {
            named |= contains_ci(error, w);
        }
        if (!named) {
            aqz_fail(__FILE__, __LINE__, "[%s] \"%s\" names none of %s", what,
                     error, fields);
        }
        if (!contains_ci(error, "implemented")) {
            aqz_fail(__FILE__, __LINE__, "[%s] \"%s\" does not say it is not "
                     "implemented", what, error);
        }
        fprintf(stderr, "   [%s] -> %s\n", what, error);
    }
    if (tree_entry_count(scratch) != 0) {
        aqz_fail(__FILE__, __LINE__, "[%s] files created on disk", what);
        remove_tree(store);
    }
}

static void
test_s3(void)
{
    ZarrStreamSettings settings;
    make_valid(&settings);
    ZarrS3Settings s3 = { "http://127.0.0.1:9", "bucket", "us-east-1" };
    settings.s3_settings = &s3;
    settings.store_path = "store.zarr";
    expect_not_yet_implemented(&settings, "S3", "s3");
    CHECK(!path_exists("store.zarr"));
    ZarrStreamSettings_destroy_arrays(&settings);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    path_fmt(store, "%s/store.zarr", scratch);

    RUN_TEST(test_s3);

    remove_tree(scratch);
    return test_summary();
}

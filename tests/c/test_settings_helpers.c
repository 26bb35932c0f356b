/* The settings helpers: array and dimension allocation, HCS arrays, array
 * count and keys, the memory estimate. */
#include "test_helpers.h"

static int
all_zero(const void* p, size_t n)
{
    const unsigned char* bytes = (const unsigned char*)p;
    for (size_t i = 0; i < n; ++i) {
        if (bytes[i]) {
            return 0;
        }
    }
    return 1;
}

static void
test_create_and_destroy_arrays(void)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));

    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 3));
    REQUIRE(settings.arrays != NULL);
    CHECK_EQ(settings.array_count, 3);
    CHECK(all_zero(settings.arrays, 3 * sizeof(ZarrArraySettings)));

    /* Creating again replaces (and frees) the previous arrays. */
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3));
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 2));
    CHECK_EQ(settings.array_count, 2);
    CHECK(all_zero(settings.arrays, 2 * sizeof(ZarrArraySettings)));

    ZarrStreamSettings_destroy_arrays(&settings);
    CHECK(settings.arrays == NULL);
    CHECK_EQ(settings.array_count, 0);

    /* Destroying twice, or settings that never had arrays, is harmless. */
    ZarrStreamSettings_destroy_arrays(&settings);
    CHECK(settings.arrays == NULL);
}

static void
test_destroy_arrays_frees_dimensions_but_not_caller_memory(void)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 2));

    /* Caller-owned data hanging off the arrays: a stack compression struct
     * and string literals. Freeing any of them would crash (or trip ASan). */
    ZarrCompressionSettings compression = {
        ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4, 1, 1
    };
    settings.arrays[0].output_key = "a";
    settings.arrays[0].compression_settings = &compression;
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3));
    settings.arrays[0].dimensions[0].name = "t";
    settings.arrays[0].dimensions[0].unit = "second";
    settings.arrays[1].output_key = "b";
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&settings.arrays[1], 5));

    ZarrStreamSettings_destroy_arrays(&settings);
    CHECK(settings.arrays == NULL);
    CHECK_EQ(settings.array_count, 0);
    CHECK_EQ(compression.level, 1); /* still ours, untouched */
}

static void
test_create_and_destroy_dimension_array(void)
{
    ZarrArraySettings array;
    memset(&array, 0, sizeof(array));

    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&array, 4));
    REQUIRE(array.dimensions != NULL);
    CHECK_EQ(array.dimension_count, 4);
    CHECK(all_zero(array.dimensions, 4 * sizeof(ZarrDimensionProperties)));

    /* Replaced by a second call. */
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&array, 2));
    CHECK_EQ(array.dimension_count, 2);

    ZarrArraySettings_destroy_dimension_array(&array);
    CHECK(array.dimensions == NULL);
    CHECK_EQ(array.dimension_count, 0);
    ZarrArraySettings_destroy_dimension_array(&array);
}

static void
test_hcs_helpers_allocate_zeroed_items_and_free_only_their_own(void)
{
    ZarrHCSSettings hcs;
    memset(&hcs, 0, sizeof(hcs));

    REQUIRE_OK(ZarrHCSSettings_create_plate_array(&hcs, 2));
    REQUIRE(hcs.plates != NULL);
    CHECK_EQ(hcs.plate_count, 2);
    CHECK(all_zero(hcs.plates, 2 * sizeof(ZarrHCSPlate)));

    ZarrHCSPlate* plate = &hcs.plates[0];
    REQUIRE_OK(ZarrHCSPlate_create_row_name_array(plate, 2));
    REQUIRE(plate->row_names != NULL);
    CHECK_EQ(plate->row_count, 2);
    CHECK(plate->row_names[0] == NULL && plate->row_names[1] == NULL);
    plate->row_names[0] = "A"; /* literals: the destroy must not free them */
    plate->row_names[1] = "B";

    REQUIRE_OK(ZarrHCSPlate_create_column_name_array(plate, 3));
    REQUIRE(plate->column_names != NULL);
    CHECK_EQ(plate->column_count, 3);
    plate->column_names[0] = "1";

    REQUIRE_OK(ZarrHCSPlate_create_acquisition_array(plate, 1));
    REQUIRE(plate->acquisitions != NULL);
    CHECK_EQ(plate->acquisition_count, 1);
    CHECK(all_zero(plate->acquisitions, sizeof(ZarrHCSAcquisition)));
    plate->acquisitions[0].name = "first";

    REQUIRE_OK(ZarrHCSPlate_create_well_array(plate, 2));
    REQUIRE(plate->wells != NULL);
    CHECK_EQ(plate->well_count, 2);
    CHECK(all_zero(plate->wells, 2 * sizeof(ZarrHCSWell)));

    ZarrHCSWell* well = &plate->wells[0];
    REQUIRE_OK(ZarrHCSWell_create_image_array(well, 2));
    REQUIRE(well->images != NULL);
    CHECK_EQ(well->image_count, 2);
    CHECK(all_zero(well->images, 2 * sizeof(ZarrHCSFieldOfView)));
    ZarrArraySettings fov_array;
    memset(&fov_array, 0, sizeof(fov_array));
    well->images[0].path = "fov0";
    well->images[0].array_settings = &fov_array; /* caller's, not freed */

    ZarrHCSWell_destroy_image_array(well);
    CHECK(well->images == NULL);
    CHECK_EQ(well->image_count, 0);

    ZarrHCSPlate_destroy_well_array(plate);
    CHECK(plate->wells == NULL);
    CHECK_EQ(plate->well_count, 0);
    ZarrHCSPlate_destroy_acquisition_array(plate);
    CHECK(plate->acquisitions == NULL);
    CHECK_EQ(plate->acquisition_count, 0);
    ZarrHCSPlate_destroy_column_name_array(plate);
    CHECK(plate->column_names == NULL);
    CHECK_EQ(plate->column_count, 0);
    ZarrHCSPlate_destroy_row_name_array(plate);
    CHECK(plate->row_names == NULL);
    CHECK_EQ(plate->row_count, 0);

    ZarrHCSSettings_destroy_plate_array(&hcs);
    CHECK(hcs.plates == NULL);
    CHECK_EQ(hcs.plate_count, 0);

    /* Destroying what is already gone is harmless. */
    ZarrHCSSettings_destroy_plate_array(&hcs);
    ZarrHCSWell empty_well;
    memset(&empty_well, 0, sizeof(empty_well));
    ZarrHCSWell_destroy_image_array(&empty_well);
}

static void
test_array_count_and_keys(void)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    CHECK_EQ(ZarrStreamSettings_get_array_count(&settings), 0);

    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 3));
    settings.arrays[0].output_key = "a/b";
    settings.arrays[1].output_key = "labels";
    settings.arrays[2].output_key = NULL; /* the root */
    CHECK_EQ(ZarrStreamSettings_get_array_count(&settings), 3);

    char* key = NULL;
    CHECK_OK(ZarrStreamSettings_get_array_key(&settings, 0, &key));
    CHECK(key != NULL && strcmp(key, "a/b") == 0);
    free(key);
    key = NULL;
    CHECK_OK(ZarrStreamSettings_get_array_key(&settings, 1, &key));
    CHECK(key != NULL && strcmp(key, "labels") == 0);
    free(key);
    key = NULL;
    CHECK_OK(ZarrStreamSettings_get_array_key(&settings, 2, &key));
    CHECK(key != NULL); /* the root's key, however spelled */
    free(key);
    key = NULL;

    const ZarrStatusCode out_of_range =
      ZarrStreamSettings_get_array_key(&settings, 3, &key);
    CHECK(out_of_range == ZarrStatusCode_InvalidIndex ||
          out_of_range == ZarrStatusCode_InvalidArgument);
    CHECK(key == NULL);

    ZarrStreamSettings_destroy_arrays(&settings);
}

static void
test_array_count_includes_hcs_fields_of_view(void)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    settings.arrays[0].output_key = "overview";

    ZarrHCSSettings hcs;
    memset(&hcs, 0, sizeof(hcs));
    REQUIRE_OK(ZarrHCSSettings_create_plate_array(&hcs, 1));
    ZarrHCSPlate* plate = &hcs.plates[0];
    plate->path = "plate";
    REQUIRE_OK(ZarrHCSPlate_create_well_array(plate, 2));
    plate->wells[0].row_name = "A";
    plate->wells[0].column_name = "1";
    plate->wells[1].row_name = "A";
    plate->wells[1].column_name = "2";
    ZarrArraySettings fov;
    memset(&fov, 0, sizeof(fov));
    REQUIRE_OK(ZarrHCSWell_create_image_array(&plate->wells[0], 2));
    plate->wells[0].images[0].path = "0";
    plate->wells[0].images[0].array_settings = &fov;
    plate->wells[0].images[1].path = "1";
    plate->wells[0].images[1].array_settings = &fov;
    REQUIRE_OK(ZarrHCSWell_create_image_array(&plate->wells[1], 1));
    plate->wells[1].images[0].path = "0";
    plate->wells[1].images[0].array_settings = &fov;
    settings.hcs_settings = &hcs;

    CHECK_EQ(ZarrStreamSettings_get_array_count(&settings), 1 + 3);

    ZarrHCSWell_destroy_image_array(&plate->wells[0]);
    ZarrHCSWell_destroy_image_array(&plate->wells[1]);
    ZarrHCSPlate_destroy_well_array(plate);
    ZarrHCSSettings_destroy_plate_array(&hcs);
    ZarrStreamSettings_destroy_arrays(&settings);
}

static void
test_memory_estimate_covers_at_least_a_chunk(void)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = "never-created.zarr";
    REQUIRE_OK(ZarrStreamSettings_create_arrays(&settings, 1));
    settings.arrays[0].data_type = ZarrDataType_uint16;
    REQUIRE_OK(ZarrArraySettings_create_dimension_array(&settings.arrays[0], 3));
    settings.arrays[0].dimensions[0] = dim("t", ZarrDimensionType_Time, 0, 8, 1);
    settings.arrays[0].dimensions[1] = dim("y", ZarrDimensionType_Space, 256, 64, 2);
    settings.arrays[0].dimensions[2] = dim("x", ZarrDimensionType_Space, 256, 64, 2);

    size_t usage = 0;
    CHECK_OK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &usage));
    CHECK(usage >= (size_t)8 * 64 * 64 * 2); /* one chunk */

    /* Bigger chunks never need less. */
    settings.arrays[0].dimensions[0].chunk_size_px = 32;
    size_t bigger = 0;
    CHECK_OK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &bigger));
    CHECK(bigger >= usage);

    CHECK(!path_exists("never-created.zarr"));
    ZarrStreamSettings_destroy_arrays(&settings);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    RUN_TEST(test_create_and_destroy_arrays);
    RUN_TEST(test_destroy_arrays_frees_dimensions_but_not_caller_memory);
    RUN_TEST(test_create_and_destroy_dimension_array);
    RUN_TEST(test_hcs_helpers_allocate_zeroed_items_and_free_only_their_own);
    RUN_TEST(test_array_count_and_keys);
    RUN_TEST(test_array_count_includes_hcs_fields_of_view);
    RUN_TEST(test_memory_estimate_covers_at_least_a_chunk);
    return test_summary();
}

// The HCS settings structs written with C++20 designated initializers in the
// field order of the published headers (designators must follow declaration
// order, so this file compiling is the check), then used for a real stream:
// ZarrHCSFieldOfView {path, acquisition_id, has_acquisition_id,
// array_settings} and ZarrHCSAcquisition {id, name, description, start_time,
// has_start_time, end_time, has_end_time}, plus the other settings structs.
#include "test_helpers.h"
#include "store_reader.h"

#include <string>

static char scratch[AQZ_PATH_MAX];

static void
test_designated_initializers_stream(void)
{
    ZarrDimensionProperties dims[3] = {
        { .name = "t",
          .type = ZarrDimensionType_Time,
          .array_size_px = 0,
          .chunk_size_px = 1,
          .shard_size_chunks = 1,
          .unit = "second",
          .scale = 1.0 },
        { .name = "y",
          .type = ZarrDimensionType_Space,
          .array_size_px = 8,
          .chunk_size_px = 4,
          .shard_size_chunks = 2,
          .unit = "micrometer",
          .scale = 0.5 },
        { .name = "x",
          .type = ZarrDimensionType_Space,
          .array_size_px = 6,
          .chunk_size_px = 4,
          .shard_size_chunks = 2,
          .unit = "micrometer",
          .scale = 0.5 },
    };
    ZarrArraySettings field_array = {
        .output_key = nullptr,
        .compression_settings = nullptr,
        .dimensions = dims,
        .dimension_count = 3,
        .data_type = ZarrDataType_uint8,
        .downsampling_method = ZarrDownsamplingMethod_None,
        .max_levels = 0,
        .storage_dimension_order = nullptr,
        .is_ngff = false,
    };
    ZarrHCSFieldOfView fields[2] = {
        { .path = "fov",
          .acquisition_id = 3,
          .has_acquisition_id = true,
          .array_settings = &field_array },
        { .path = "bare", .acquisition_id = 0, .has_acquisition_id = false,
          .array_settings = &field_array },
    };
    ZarrHCSWell well = {
        .row_name = "B",
        .column_name = "2",
        .images = fields,
        .image_count = 2,
    };
    ZarrHCSAcquisition acquisition = {
        .id = 3,
        .name = "scan",
        .description = "designated",
        .start_time = 100,
        .has_start_time = true,
        .end_time = 200,
        .has_end_time = true,
    };
    const char* rows[] = { "A", "B" };
    const char* columns[] = { "1", "2" };
    ZarrHCSPlate plate = {
        .path = "screen",
        .name = "designated plate",
        .row_names = rows,
        .row_count = 2,
        .column_names = columns,
        .column_count = 2,
        .wells = &well,
        .well_count = 1,
        .acquisitions = &acquisition,
        .acquisition_count = 1,
    };
    ZarrHCSSettings hcs = { .plates = &plate, .plate_count = 1 };
    const std::string store = std::string(scratch) + "/designated.zarr";
    ZarrStreamSettings settings = {
        .store_path = store.c_str(),
        .s3_settings = nullptr,
        .version = ZarrVersion_3,
        .max_threads = 1,
        .overwrite = true,
        .arrays = nullptr,
        .array_count = 0,
        .hcs_settings = &hcs,
    };

    CHECK_EQ(ZarrStreamSettings_get_array_count(&settings), 2);
    char* key = nullptr;
    CHECK_OK(ZarrStreamSettings_get_array_key(&settings, 1, &key));
    CHECK(key && strcmp(key, "screen/B/2/bare") == 0);
    free(key);

    ZarrStream* stream = ZarrStream_create(&settings);
    REQUIRE(stream != nullptr);
    unsigned char frame[48];
    for (int i = 0; i < 48; ++i) {
        frame[i] = (unsigned char)(i + 1);
    }
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame, sizeof(frame), &bytes_out, "screen/B/2/fov"));
    CHECK_EQ(bytes_out, sizeof(frame));
    CHECK_OK(ZarrStream_close(stream));

    // The well lists both fields, the first with its acquisition.
    char path[AQZ_PATH_MAX];
    size_t size = 0;
    unsigned char* text = read_file(path_fmt(path, "%s/screen/B/2/zarr.json", store.c_str()),
                                    &size);
    REQUIRE(text != nullptr);
    CHECK(strstr((const char*)text, "\"acquisition\":3") != nullptr ||
          strstr((const char*)text, "\"acquisition\": 3") != nullptr);
    CHECK(strstr((const char*)text, "\"bare\"") != nullptr);
    free(text);

    ArrayLayout layout = layout_of(3, dims, 3, ZarrDataType_uint8, 1);
    unsigned char* actual =
      read_array(path_fmt(path, "%s/screen/B/2/fov/0", store.c_str()), &layout);
    REQUIRE(actual != nullptr);
    compare_pixels(actual, frame, sizeof(frame), 1, "designated fov");
    free(actual);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_TEST(test_designated_initializers_stream);
    remove_tree(scratch);
    return test_summary();
}

/* multi_array.c: one stream, two arrays under nested keys
 * ("sample1/brightfield" and "sample1/fluorescence"; the group "sample1" is
 * created for them), each fed by key, plus custom metadata on one of them.
 *
 *   multi_array <store path>
 */
#include "acquire.zarr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAMES 10
#define HEIGHT 256
#define WIDTH 256

#define CHECK(call)                                                            \
    do {                                                                       \
        ZarrStatusCode status_ = (call);                                       \
        if (status_ != ZarrStatusCode_Success) {                               \
            fprintf(stderr,                                                    \
                    "%s:%d: %s failed: %s (%s)\n",                             \
                    __FILE__,                                                  \
                    __LINE__,                                                  \
                    #call,                                                     \
                    Zarr_get_status_message(status_),                          \
                    Zarr_get_last_error());                                    \
            goto cleanup;                                                      \
        }                                                                      \
    } while (0)

/* Give `array` three dimensions: unbounded t, then a y, x frame. */
static ZarrStatusCode
set_tyx(ZarrArraySettings* array)
{
    ZarrStatusCode status = ZarrArraySettings_create_dimension_array(array, 3);
    if (status != ZarrStatusCode_Success) {
        return status;
    }
    array->dimensions[0] = (ZarrDimensionProperties){
        .name = "t", .type = ZarrDimensionType_Time,
        .array_size_px = 0, .chunk_size_px = 5, .shard_size_chunks = 2,
    };
    array->dimensions[1] = (ZarrDimensionProperties){
        .name = "y", .type = ZarrDimensionType_Space,
        .array_size_px = HEIGHT, .chunk_size_px = 128, .shard_size_chunks = 2,
    };
    array->dimensions[2] = (ZarrDimensionProperties){
        .name = "x", .type = ZarrDimensionType_Space,
        .array_size_px = WIDTH, .chunk_size_px = 128, .shard_size_chunks = 2,
    };
    return ZarrStatusCode_Success;
}

int
main(int argc, char** argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <store path>\n", argv[0]);
        return 2;
    }

    int result = 1;
    ZarrStream* stream = NULL;
    uint16_t* brightfield = NULL;
    float* fluorescence = NULL;
    char* key = NULL;
    ZarrStreamSettings settings = { 0 };

    Zarr_set_log_level(ZarrLogLevel_Warning);

    settings.store_path = argv[1];
    settings.version = ZarrVersion_3;
    settings.overwrite = true;

    CHECK(ZarrStreamSettings_create_arrays(&settings, 2));
    settings.arrays[0].output_key = "sample1/brightfield";
    settings.arrays[0].data_type = ZarrDataType_uint16;
    CHECK(set_tyx(&settings.arrays[0]));
    settings.arrays[1].output_key = "sample1/fluorescence";
    settings.arrays[1].data_type = ZarrDataType_float32;
    CHECK(set_tyx(&settings.arrays[1]));

    printf("arrays:");
    for (size_t i = 0; i < ZarrStreamSettings_get_array_count(&settings); ++i) {
        CHECK(ZarrStreamSettings_get_array_key(&settings, i, &key));
        printf(" %s", key);
        free(key);
        key = NULL;
    }
    printf("\n");

    stream = ZarrStream_create(&settings);
    if (!stream) {
        fprintf(stderr, "ZarrStream_create failed: %s\n", Zarr_get_last_error());
        goto cleanup;
    }
    ZarrStreamSettings_destroy_arrays(&settings);

    const size_t pixels = (size_t)HEIGHT * WIDTH;
    brightfield = malloc(pixels * sizeof(*brightfield));
    fluorescence = malloc(pixels * sizeof(*fluorescence));
    if (!brightfield || !fluorescence) {
        fprintf(stderr, "out of memory\n");
        goto cleanup;
    }

    /* Interleave the two cameras; each append names its array. */
    for (int t = 0; t < FRAMES; ++t) {
        for (size_t i = 0; i < pixels; ++i) {
            brightfield[i] = (uint16_t)(t * 100 + i % 100);
            fluorescence[i] = (float)t + (float)(i % WIDTH) / WIDTH;
        }
        size_t bytes_out = 0;
        CHECK(ZarrStream_append(stream, brightfield, pixels * sizeof(*brightfield),
                                &bytes_out, "sample1/brightfield"));
        CHECK(ZarrStream_append(stream, fluorescence, pixels * sizeof(*fluorescence),
                                &bytes_out, "sample1/fluorescence"));
    }

    CHECK(ZarrStream_write_custom_metadata(
      stream, "sample1/fluorescence", "acquisition",
      "{\"laser_nm\": 488, \"exposure_ms\": 12.5}"));

    ZarrStream* closing = stream;
    stream = NULL;
    CHECK(ZarrStream_close(closing));

    printf("wrote %d frames to each array in %s\n", FRAMES, argv[1]);
    result = 0;

cleanup:
    free(key);
    free(brightfield);
    free(fluorescence);
    if (stream) {
        ZarrStream_destroy(stream);
    }
    ZarrStreamSettings_destroy_arrays(&settings);
    return result;
}

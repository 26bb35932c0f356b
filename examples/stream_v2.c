/* stream_v2.c: stream a bounded 3-D (t, y, x) uint8 time series into a
 * Zarr v2 store (one file per chunk), Zstd compressed. Frames are handed
 * over in pieces of any size, as a camera driver might deliver them.
 *
 *   stream_v2 <store path>
 */
#include "acquire.zarr.h"

#include <stdio.h>
#include <stdlib.h>

#define FRAMES 24
#define HEIGHT 300 /* not a multiple of the chunk: the edge chunk is padded */
#define WIDTH 400

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

int
main(int argc, char** argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s <store path>\n", argv[0]);
        return 2;
    }

    int result = 1;
    ZarrStream* stream = NULL;
    uint8_t* frames = NULL;
    ZarrStreamSettings settings = { 0 };

    Zarr_set_log_level(ZarrLogLevel_Warning);

    settings.store_path = argv[1];
    settings.version = ZarrVersion_2;
    settings.overwrite = true;

    ZarrCompressionSettings compression = {
        .compressor = ZarrCompressor_Zstd,
        .codec = ZarrCompressionCodec_Zstd,
        .level = 3,
    };

    CHECK(ZarrStreamSettings_create_arrays(&settings, 1));
    ZarrArraySettings* array = &settings.arrays[0];
    array->output_key = "timeseries";
    array->data_type = ZarrDataType_uint8;
    array->compression_settings = &compression;

    CHECK(ZarrArraySettings_create_dimension_array(array, 3));
    array->dimensions[0] = (ZarrDimensionProperties){
        .name = "t",
        .type = ZarrDimensionType_Time,
        .array_size_px = FRAMES, /* bounded */
        .chunk_size_px = 8,
    };
    array->dimensions[1] = (ZarrDimensionProperties){
        .name = "y",
        .type = ZarrDimensionType_Space,
        .array_size_px = HEIGHT,
        .chunk_size_px = 128,
    };
    array->dimensions[2] = (ZarrDimensionProperties){
        .name = "x",
        .type = ZarrDimensionType_Space,
        .array_size_px = WIDTH,
        .chunk_size_px = 128,
    };

    stream = ZarrStream_create(&settings);
    if (!stream) {
        fprintf(stderr, "ZarrStream_create failed: %s\n", Zarr_get_last_error());
        goto cleanup;
    }
    ZarrStreamSettings_destroy_arrays(&settings);

    const size_t frame_bytes = (size_t)HEIGHT * WIDTH;
    const size_t total_bytes = FRAMES * frame_bytes;
    frames = malloc(total_bytes);
    if (!frames) {
        fprintf(stderr, "out of memory\n");
        goto cleanup;
    }
    for (size_t i = 0; i < total_bytes; ++i) {
        size_t t = i / frame_bytes, y = (i % frame_bytes) / WIDTH, x = i % WIDTH;
        frames[i] = (uint8_t)(t * 10 + (x / 16 + y / 16) % 8);
    }

    /* Any split works: a third of a frame, then whatever is left. */
    size_t offset = 0;
    while (offset < total_bytes) {
        size_t piece = frame_bytes / 3 + 17;
        if (piece > total_bytes - offset) {
            piece = total_bytes - offset;
        }
        size_t bytes_out = 0;
        CHECK(ZarrStream_append(stream, frames + offset, piece, &bytes_out, NULL));
        offset += bytes_out;
    }

    ZarrStream* closing = stream;
    stream = NULL;
    CHECK(ZarrStream_close(closing));

    printf("wrote %d frames of %dx%d to %s/timeseries\n", FRAMES, HEIGHT, WIDTH, argv[1]);
    result = 0;

cleanup:
    free(frames);
    if (stream) {
        ZarrStream_destroy(stream);
    }
    ZarrStreamSettings_destroy_arrays(&settings);
    return result;
}

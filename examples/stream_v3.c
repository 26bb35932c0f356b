/* stream_v3.c: stream a 4-D (t, c, y, x) uint16 acquisition into a Zarr v3
 * store, Blosc-LZ4 compressed and sharded, with an unbounded time axis.
 *
 *   stream_v3 <store path>
 */
#include "acquire.zarr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNELS 3
#define HEIGHT 480
#define WIDTH 640
#define TIMEPOINTS 40

/* Stop with a message when an acquire-zarr call fails. */
#define CHECK(call)                                                            \
    do {                                                                       \
        ZarrStatusCode status_ = (call);                                       \
        if (status_ != ZarrStatusCode_Success) {                               \
            fprintf(stderr,                                                    \
                    "%s:%d: %s failed: %s (%s)\n",                             \
                    __FILE__,                                                  \
                    __LINE__,                                                  \
                    #call,                                                     \
                    Zarr_get_status_message(status_),                         \
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
    uint16_t* frame = NULL;
    ZarrStreamSettings settings = { 0 };

    Zarr_set_log_level(ZarrLogLevel_Warning);

    settings.store_path = argv[1];
    settings.version = ZarrVersion_3;
    settings.overwrite = true;

    /* Compression settings are the caller's: they may live on the stack. */
    ZarrCompressionSettings compression = {
        .compressor = ZarrCompressor_Blosc1,
        .codec = ZarrCompressionCodec_BloscLZ4,
        .level = 1,
        .shuffle = 1,
    };

    CHECK(ZarrStreamSettings_create_arrays(&settings, 1));
    ZarrArraySettings* array = &settings.arrays[0];
    array->data_type = ZarrDataType_uint16;
    array->compression_settings = &compression;

    CHECK(ZarrArraySettings_create_dimension_array(array, 4));
    array->dimensions[0] = (ZarrDimensionProperties){
        .name = "t",
        .type = ZarrDimensionType_Time,
        .array_size_px = 0, /* unbounded: the append dimension */
        .chunk_size_px = 16,
        .shard_size_chunks = 2,
        .unit = "millisecond",
        .scale = 50.0,
    };
    array->dimensions[1] = (ZarrDimensionProperties){
        .name = "c",
        .type = ZarrDimensionType_Channel,
        .array_size_px = CHANNELS,
        .chunk_size_px = 1,
        .shard_size_chunks = 1,
    };
    array->dimensions[2] = (ZarrDimensionProperties){
        .name = "y",
        .type = ZarrDimensionType_Space,
        .array_size_px = HEIGHT,
        .chunk_size_px = 240,
        .shard_size_chunks = 2,
        .unit = "micrometer",
        .scale = 0.5,
    };
    array->dimensions[3] = (ZarrDimensionProperties){
        .name = "x",
        .type = ZarrDimensionType_Space,
        .array_size_px = WIDTH,
        .chunk_size_px = 320,
        .shard_size_chunks = 2,
        .unit = "micrometer",
        .scale = 0.5,
    };

    size_t max_memory = 0;
    CHECK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &max_memory));
    printf("estimated maximum memory: %.1f MiB\n", max_memory / 1048576.0);

    stream = ZarrStream_create(&settings);
    if (!stream) {
        fprintf(stderr, "ZarrStream_create failed: %s\n", Zarr_get_last_error());
        goto cleanup;
    }
    /* The stream keeps its own copy of the settings. */
    ZarrStreamSettings_destroy_arrays(&settings);

    const size_t frame_bytes = (size_t)HEIGHT * WIDTH * sizeof(uint16_t);
    frame = malloc(frame_bytes);
    if (!frame) {
        fprintf(stderr, "out of memory\n");
        goto cleanup;
    }

    /* Frames arrive in C order over (t, c): t0c0, t0c1, t0c2, t1c0, ... */
    for (int t = 0; t < TIMEPOINTS; ++t) {
        for (int c = 0; c < CHANNELS; ++c) {
            for (int y = 0; y < HEIGHT; ++y) {
                for (int x = 0; x < WIDTH; ++x) {
                    frame[(size_t)y * WIDTH + x] =
                      (uint16_t)(1000 * c + ((x + y + 8 * t) % 256));
                }
            }
            size_t bytes_out = 0;
            CHECK(ZarrStream_append(stream, frame, frame_bytes, &bytes_out, NULL));
            if (bytes_out != frame_bytes) {
                fprintf(stderr, "append took %zu of %zu bytes\n", bytes_out, frame_bytes);
                goto cleanup;
            }
        }
    }

    size_t memory = 0;
    CHECK(ZarrStream_get_current_memory_usage(stream, &memory));
    printf("memory in use before close: %.1f MiB\n", memory / 1048576.0);

    /* close flushes everything and reports any failed write. */
    ZarrStream* closing = stream;
    stream = NULL;
    CHECK(ZarrStream_close(closing));

    printf("wrote %d timepoints x %d channels of %dx%d to %s\n",
           TIMEPOINTS, CHANNELS, HEIGHT, WIDTH, argv[1]);
    result = 0;

cleanup:
    free(frame);
    if (stream) {
        ZarrStream_destroy(stream); /* only after a failure */
    }
    ZarrStreamSettings_destroy_arrays(&settings);
    return result;
}

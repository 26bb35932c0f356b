/* The published acquire-zarr README's C example "a typical use case for a
 * single-array, 4-dimensional acquisition" (acquire-project/acquire-zarr,
 * README.md, "Usage"), reproduced as the compatibility contract: code
 * written for the published library must compile and run against this one.
 *
 * The published lines are kept as they are. Added around them, and marked
 * "added": the includes, main(), the frame buffer the fragment calls
 * my_frame_data / my_frame_size, the three dimensions its "... rest of
 * dimensions configuration ..." leaves to the reader (small ones, so that it
 * runs in a moment), and the clean-up and checks at the end.
 *
 * One line cannot be the same in both languages: the README writes
 * `ZarrArraySettings array{` (C++ list-initialisation), which C spells
 * `ZarrArraySettings array = {`. Everything else is compiled unchanged as
 * C11 and as C++20 (designated initialisers in declaration order).
 *
 * Writes my_stream.zarr in the current directory.
 */
#include <acquire.zarr.h> /* added */

#include <assert.h> /* added */
#include <stdint.h> /* added */
#include <stdio.h>  /* added */
#include <stdlib.h> /* added */
#include <string.h> /* added */

int
main(void)
{
    /* added: one time point of the 3 x 108 x 192 uint16 acquisition below */
    const size_t my_frame_size = 3 * 108 * 192 * sizeof(uint16_t);
    uint16_t* my_frame_data = (uint16_t*)malloc(my_frame_size);
    if (!my_frame_data) {
        return 1;
    }
    for (size_t i = 0; i < my_frame_size / sizeof(uint16_t); ++i) {
        my_frame_data[i] = (uint16_t)(i % 4096);
    }

    /* ---- the published README, unchanged ------------------------------- */
#ifdef __cplusplus
ZarrArraySettings array{
#else
ZarrArraySettings array = { /* C for the README's C++ `array{` */
#endif
    .output_key =
      "my-array", // Optional: path within Zarr where data should be stored
    .data_type = ZarrDataType_uint16,
};

ZarrArraySettings_create_dimension_array(&array, 4);
array.dimensions[0] = (ZarrDimensionProperties){
    .name = "t",
    .type = ZarrDimensionType_Time,
    .array_size_px = 0,      // this is the append dimension
    .chunk_size_px = 100,    // 100 time points per chunk
    .shard_size_chunks = 10, // 10 chunks per shard
};

// ... rest of dimensions configuration ...
    /* added: the rest of the dimensions, in the README's style */
    array.dimensions[1] = (ZarrDimensionProperties){
        .name = "c",
        .type = ZarrDimensionType_Channel,
        .array_size_px = 3,
        .chunk_size_px = 1,
        .shard_size_chunks = 1,
    };
    array.dimensions[2] = (ZarrDimensionProperties){
        .name = "y",
        .type = ZarrDimensionType_Space,
        .array_size_px = 108,
        .chunk_size_px = 27,
        .shard_size_chunks = 2,
    };
    array.dimensions[3] = (ZarrDimensionProperties){
        .name = "x",
        .type = ZarrDimensionType_Space,
        .array_size_px = 192,
        .chunk_size_px = 48,
        .shard_size_chunks = 2,
    };

ZarrStreamSettings settings = (ZarrStreamSettings){
    .store_path = "my_stream.zarr",
    .version = ZarrVersion_3,
    .overwrite = true, // Optional: remove existing data at store_path if true
    .arrays = &array,
    .array_count = 1, // Number of arrays in the stream
};

ZarrStream* stream = ZarrStream_create(&settings);

// You can now safely free the dimensions array
ZarrArraySettings_destroy_dimension_array(&array);

size_t bytes_written;
ZarrStream_append(stream,
                  my_frame_data,
                  my_frame_size,
                  &bytes_written,
                  "my-array"); // if you have just one array configured, this can be NULL
assert(bytes_written == my_frame_size);
    /* ---- end of the published README ----------------------------------- */

    /* added: checks that hold without assert (NDEBUG), and clean-up */
    free(my_frame_data);
    if (!stream) {
        fprintf(stderr, "ZarrStream_create failed\n");
        return 1;
    }
    if (bytes_written != my_frame_size) {
        fprintf(stderr, "appended %zu of %zu bytes\n", bytes_written, my_frame_size);
        ZarrStream_destroy(stream);
        return 1;
    }
    const ZarrStatusCode status = ZarrStream_close(stream);
    if (status != ZarrStatusCode_Success) {
        fprintf(stderr, "ZarrStream_close: %s\n", Zarr_get_status_message(status));
        return 1;
    }
    printf("wrote one time point to my_stream.zarr/my-array\n");
    return 0;
}

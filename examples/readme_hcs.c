/* The published acquire-zarr README's C example of a high-content screening
 * (HCS) workflow (acquire-project/acquire-zarr, README.md, "High-content
 * screening workflows": "In C, the equivalent HCS workflow would look like
 * this"), reproduced as the compatibility contract: code written for the
 * published library must compile and run against this one.
 *
 * The published lines are kept as they are, compiled as C11 and as C++20
 * (where designated initialisers must follow the declaration order of
 * ZarrArraySettings, ZarrHCSWell, ZarrHCSFieldOfView, ZarrHCSPlate,
 * ZarrHCSAcquisition, ZarrHCSSettings and ZarrStreamSettings). Added around
 * them, and marked "added": the includes, main(), the image data, the
 * checks, and the clean-up the fragment leaves out. Two things differ:
 *
 * - `uint16_t* frame_data = / * your image data * /;` is a placeholder, not
 *   C; here it points at a buffer made beforehand.
 * - The fragment gives the field of view's array an output_key ("fov1").
 *   A field of view's key is its place in the plate, so neither the
 *   published library (it fails at the first append) nor this one (it
 *   refuses the settings) streams with it. An added line clears it before
 *   the stream is created, so that the program also shows the data arriving.
 *
 * Writes hcs_experiment.zarr in the current directory.
 */
#include "acquire.zarr.h"

#include <stdint.h> /* added */
#include <stdio.h>  /* added */
#include <stdlib.h> /* added */

int
main(void)
{
    /* added: one time point (3 channels of 512 x 512) of image data */
    const size_t n_pixels = 3 * 512 * 512;
    uint16_t* image_data = (uint16_t*)malloc(n_pixels * sizeof(uint16_t));
    if (!image_data) {
        return 1;
    }
    for (size_t i = 0; i < n_pixels; ++i) {
        image_data[i] = (uint16_t)(i % 65521);
    }

    /* ---- the published README, unchanged ------------------------------- */
// Create array settings for field of view
ZarrArraySettings fov_array = {
    .output_key = "fov1",  // Relative to well: plate/A/1/fov1
    .data_type = ZarrDataType_uint16,
};

ZarrArraySettings_create_dimension_array(&fov_array, 4);
fov_array.dimensions[0] = (ZarrDimensionProperties){
    .name = "t",
    .type = ZarrDimensionType_Time,
    .array_size_px = 0,
    .chunk_size_px = 10,
    .shard_size_chunks = 1,
};
fov_array.dimensions[1] = (ZarrDimensionProperties){
    .name = "c", 
    .type = ZarrDimensionType_Channel,
    .array_size_px = 3,
    .chunk_size_px = 1,
    .shard_size_chunks = 1,
};
fov_array.dimensions[2] = (ZarrDimensionProperties){
    .name = "y",
    .type = ZarrDimensionType_Space,
    .array_size_px = 512,
    .chunk_size_px = 256,
    .shard_size_chunks = 2,
};
fov_array.dimensions[3] = (ZarrDimensionProperties){
    .name = "x",
    .type = ZarrDimensionType_Space,
    .array_size_px = 512,
    .chunk_size_px = 256,
    .shard_size_chunks = 2,
};
    /* added: a field of view's array takes its key from the plate */
    fov_array.output_key = NULL;

// Create well with field of view
ZarrHCSWell well = {
    .row_name = "A",
    .column_name = "1",
};

ZarrHCSWell_create_image_array(&well, 1);
well.images[0] = (ZarrHCSFieldOfView){
    .path = "fov1",
    .acquisition_id = 0,
    .has_acquisition_id = true,
    .array_settings = &fov_array,
};

// Create plate
ZarrHCSPlate plate = {
    .path = "experiment_plate",
    .name = "My HCS Experiment",
};

// Set up row and column names
ZarrHCSPlate_create_row_name_array(&plate, 8);
const char* row_names[] = {"A", "B", "C", "D", "E", "F", "G", "H"};
for (int i = 0; i < 8; i++) {
    plate.row_names[i] = row_names[i];
}

ZarrHCSPlate_create_column_name_array(&plate, 12);
const char* col_names[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"};
for (int i = 0; i < 12; i++) {
    plate.column_names[i] = col_names[i];
}

// Add wells and acquisitions
ZarrHCSPlate_create_well_array(&plate, 1);
plate.wells[0] = well;

ZarrHCSPlate_create_acquisition_array(&plate, 1);
plate.acquisitions[0] = (ZarrHCSAcquisition){
    .id = 0,
    .name = "Measurement_01",
    .start_time = 1343731272000,
    .has_start_time = true,
    .end_time = 1343737645000,
    .has_end_time = true,
};

// Create HCS settings
ZarrHCSSettings hcs_settings = {
    .plates = &plate,
    .plate_count = 1,
};

// Configure stream
ZarrStreamSettings settings = {
    .store_path = "hcs_experiment.zarr",
    .version = ZarrVersion_3,
    .overwrite = true,
    .arrays = NULL,
    .array_count = 0,
    .hcs_settings = &hcs_settings,
};

ZarrStream* stream = ZarrStream_create(&settings);
    const int stream_created = stream != NULL; /* added */

// Write data
uint16_t* frame_data = /* your image data */ image_data; /* added: image_data */
size_t frame_size = 3 * 512 * 512 * sizeof(uint16_t);
size_t bytes_written;

ZarrStream_append(stream, frame_data, frame_size, &bytes_written, "experiment_plate/A/1/fov1");

// Cleanup
ZarrStream_destroy(stream);
ZarrHCSPlate_destroy_well_array(&plate);
ZarrArraySettings_destroy_dimension_array(&fov_array);
    /* ---- end of the published README ----------------------------------- */

    /* added: what the fragment's clean-up leaves allocated */
    ZarrHCSWell_destroy_image_array(&well);
    ZarrHCSPlate_destroy_row_name_array(&plate);
    ZarrHCSPlate_destroy_column_name_array(&plate);
    ZarrHCSPlate_destroy_acquisition_array(&plate);
    free(image_data);

    /* added: the checks */
    if (!stream_created) {
        fprintf(stderr, "ZarrStream_create failed\n");
        return 1;
    }
    if (bytes_written != frame_size) {
        fprintf(stderr, "appended %zu of %zu bytes\n", bytes_written, frame_size);
        return 1;
    }
    printf("wrote one time point to hcs_experiment.zarr/experiment_plate/A/1/fov1\n");
    return 0;
}

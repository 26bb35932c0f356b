/* The public settings structs have the published library's fields, in its
 * order, with its types: code written for the published headers (positional
 * or designated initialisers, field access, sizeof) must compile and behave
 * the same against these.
 *
 * Each Published* struct below restates the declaration of the published
 * acquire-zarr 0.10.0 headers (include/zarr.types.h, include/acquire.zarr.h),
 * checked against its shared library by probing (its
 * ZarrStreamSettings_dump_to_string reads every field back by offset). The
 * checks are static: this file compiling is the test. Field for field:
 * the same offset, size and type, and the same overall size.
 */
#include "test_helpers.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct
{
    const char* endpoint;
    const char* bucket_name;
    const char* region;
} PublishedS3Settings;

typedef struct
{
    ZarrCompressor compressor;
    ZarrCompressionCodec codec;
    uint8_t level;
    uint8_t shuffle;
} PublishedCompressionSettings;

typedef struct
{
    const char* name;
    ZarrDimensionType type;
    uint32_t array_size_px;
    uint32_t chunk_size_px;
    uint32_t shard_size_chunks;
    const char* unit;
    double scale;
} PublishedDimensionProperties;

typedef struct
{
    const char* output_key;
    ZarrCompressionSettings* compression_settings;
    ZarrDimensionProperties* dimensions;
    size_t dimension_count;
    ZarrDataType data_type;
    ZarrDownsamplingMethod downsampling_method;
    uint32_t max_levels;
    const size_t* storage_dimension_order;
    bool is_ngff;
} PublishedArraySettings;

typedef struct
{
    const char* path;
    uint32_t acquisition_id;
    bool has_acquisition_id;
    ZarrArraySettings* array_settings;
} PublishedHCSFieldOfView;

typedef struct
{
    const char* row_name;
    const char* column_name;
    ZarrHCSFieldOfView* images;
    size_t image_count;
} PublishedHCSWell;

typedef struct
{
    uint32_t id;
    const char* name;
    const char* description;
    uint64_t start_time;
    bool has_start_time;
    uint64_t end_time;
    bool has_end_time;
} PublishedHCSAcquisition;

typedef struct
{
    const char* path;
    const char* name;
    const char** row_names;
    size_t row_count;
    const char** column_names;
    size_t column_count;
    ZarrHCSWell* wells;
    size_t well_count;
    ZarrHCSAcquisition* acquisitions;
    size_t acquisition_count;
} PublishedHCSPlate;

typedef struct
{
    ZarrHCSPlate* plates;
    size_t plate_count;
} PublishedHCSSettings;

typedef struct
{
    const char* store_path;
    ZarrS3Settings* s3_settings;
    ZarrVersion version;
    unsigned int max_threads;
    bool overwrite;
    ZarrArraySettings* arrays;
    size_t array_count;
    ZarrHCSSettings* hcs_settings;
} PublishedStreamSettings;

/* ours.field has the type `type` (not merely one of the same size) */
#define AQZ_HAS_TYPE(ours, field, type)                                        \
    _Generic(((ours*)0)->field, type: 1, default: 0)

#define SAME_FIELD(ours, published, field, type)                               \
    _Static_assert(offsetof(ours, field) == offsetof(published, field),        \
                   #ours "." #field ": offset differs from the published one"); \
    _Static_assert(sizeof(((ours*)0)->field) == sizeof(((published*)0)->field), \
                   #ours "." #field ": size differs from the published one");  \
    _Static_assert(AQZ_HAS_TYPE(ours, field, type),                            \
                   #ours "." #field ": type differs from the published one")

#define SAME_STRUCT(ours, published)                                           \
    _Static_assert(sizeof(ours) == sizeof(published),                          \
                   #ours ": size differs from the published one");             \
    _Static_assert(alignof(ours) == alignof(published),                        \
                   #ours ": alignment differs from the published one")

SAME_STRUCT(ZarrS3Settings, PublishedS3Settings);
SAME_FIELD(ZarrS3Settings, PublishedS3Settings, endpoint, const char*);
SAME_FIELD(ZarrS3Settings, PublishedS3Settings, bucket_name, const char*);
SAME_FIELD(ZarrS3Settings, PublishedS3Settings, region, const char*);

SAME_STRUCT(ZarrCompressionSettings, PublishedCompressionSettings);
SAME_FIELD(ZarrCompressionSettings, PublishedCompressionSettings, compressor, ZarrCompressor);
SAME_FIELD(ZarrCompressionSettings, PublishedCompressionSettings, codec, ZarrCompressionCodec);
SAME_FIELD(ZarrCompressionSettings, PublishedCompressionSettings, level, uint8_t);
SAME_FIELD(ZarrCompressionSettings, PublishedCompressionSettings, shuffle, uint8_t);

SAME_STRUCT(ZarrDimensionProperties, PublishedDimensionProperties);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, name, const char*);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, type, ZarrDimensionType);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, array_size_px, uint32_t);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, chunk_size_px, uint32_t);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, shard_size_chunks, uint32_t);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, unit, const char*);
SAME_FIELD(ZarrDimensionProperties, PublishedDimensionProperties, scale, double);

SAME_STRUCT(ZarrArraySettings, PublishedArraySettings);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, output_key, const char*);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, compression_settings, ZarrCompressionSettings*);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, dimensions, ZarrDimensionProperties*);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, dimension_count, size_t);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, data_type, ZarrDataType);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, downsampling_method, ZarrDownsamplingMethod);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, max_levels, uint32_t);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, storage_dimension_order, const size_t*);
SAME_FIELD(ZarrArraySettings, PublishedArraySettings, is_ngff, bool);

SAME_STRUCT(ZarrHCSFieldOfView, PublishedHCSFieldOfView);
SAME_FIELD(ZarrHCSFieldOfView, PublishedHCSFieldOfView, path, const char*);
SAME_FIELD(ZarrHCSFieldOfView, PublishedHCSFieldOfView, acquisition_id, uint32_t);
SAME_FIELD(ZarrHCSFieldOfView, PublishedHCSFieldOfView, has_acquisition_id, bool);
SAME_FIELD(ZarrHCSFieldOfView, PublishedHCSFieldOfView, array_settings, ZarrArraySettings*);

SAME_STRUCT(ZarrHCSWell, PublishedHCSWell);
SAME_FIELD(ZarrHCSWell, PublishedHCSWell, row_name, const char*);
SAME_FIELD(ZarrHCSWell, PublishedHCSWell, column_name, const char*);
SAME_FIELD(ZarrHCSWell, PublishedHCSWell, images, ZarrHCSFieldOfView*);
SAME_FIELD(ZarrHCSWell, PublishedHCSWell, image_count, size_t);

SAME_STRUCT(ZarrHCSAcquisition, PublishedHCSAcquisition);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, id, uint32_t);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, name, const char*);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, description, const char*);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, start_time, uint64_t);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, has_start_time, bool);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, end_time, uint64_t);
SAME_FIELD(ZarrHCSAcquisition, PublishedHCSAcquisition, has_end_time, bool);

SAME_STRUCT(ZarrHCSPlate, PublishedHCSPlate);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, path, const char*);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, name, const char*);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, row_names, const char**);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, row_count, size_t);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, column_names, const char**);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, column_count, size_t);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, wells, ZarrHCSWell*);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, well_count, size_t);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, acquisitions, ZarrHCSAcquisition*);
SAME_FIELD(ZarrHCSPlate, PublishedHCSPlate, acquisition_count, size_t);

SAME_STRUCT(ZarrHCSSettings, PublishedHCSSettings);
SAME_FIELD(ZarrHCSSettings, PublishedHCSSettings, plates, ZarrHCSPlate*);
SAME_FIELD(ZarrHCSSettings, PublishedHCSSettings, plate_count, size_t);

SAME_STRUCT(ZarrStreamSettings, PublishedStreamSettings);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, store_path, const char*);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, s3_settings, ZarrS3Settings*);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, version, ZarrVersion);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, max_threads, unsigned int);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, overwrite, bool);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, arrays, ZarrArraySettings*);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, array_count, size_t);
SAME_FIELD(ZarrStreamSettings, PublishedStreamSettings, hcs_settings, ZarrHCSSettings*);

/* Positional initialisers, as code for the published headers writes them,
 * land in the fields they name there. */
static void
test_positional_initialisers(void)
{
    const size_t order[3] = { 0, 2, 1 };
    ZarrDimensionProperties dim = { "y", ZarrDimensionType_Space, 64, 16, 2,
                                    "micrometer", 0.5 };
    CHECK(dim.array_size_px == 64 && dim.chunk_size_px == 16 &&
          dim.shard_size_chunks == 2 && dim.scale == 0.5);

    ZarrArraySettings array = { "key", NULL, &dim, 1, ZarrDataType_int16,
                                ZarrDownsamplingMethod_Mean, 300, order, true };
    CHECK_EQ(array.max_levels, 300); /* not truncated to 8 bits */
    CHECK(array.storage_dimension_order == order);
    CHECK(array.is_ngff);
    CHECK_EQ(array.downsampling_method, ZarrDownsamplingMethod_Mean);

    ZarrStreamSettings settings = { "store.zarr", NULL, ZarrVersion_3, 4, true,
                                    &array, 1, NULL };
    CHECK_EQ(settings.max_threads, 4);
    CHECK(settings.overwrite && settings.arrays == &array && settings.array_count == 1);
}

int
main(void)
{
    RUN_TEST(test_positional_initialisers);
    return test_summary();
}

/* zarr.types.h: the enums and settings structs of the acquire-zarr C API.
 *
 * Every struct is plain data owned by the caller. Zero-initialising a struct
 * gives its documented defaults (e.g. a dimension `scale` of 0 means 1.0).
 */
#ifndef H_ACQUIRE_ZARR_TYPES_V0
#define H_ACQUIRE_ZARR_TYPES_V0

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

    typedef enum
    {
        ZarrStatusCode_Success = 0,
        ZarrStatusCode_InvalidArgument,
        ZarrStatusCode_Overflow,
        ZarrStatusCode_InvalidIndex,
        ZarrStatusCode_NotYetImplemented,
        ZarrStatusCode_InternalError,
        ZarrStatusCode_OutOfMemory,
        ZarrStatusCode_IOError,
        ZarrStatusCode_CompressionError,
        ZarrStatusCode_InvalidSettings,
        ZarrStatusCode_WillNotOverwrite,
        ZarrStatusCode_PartialWrite,
        ZarrStatusCode_WriteOutOfBounds,
        ZarrStatusCode_KeyNotFound,
        ZarrStatusCodeCount,
    } ZarrStatusCode;

    typedef enum
    {
        ZarrVersion_2 = 2, /* deprecated, but fully supported */
        ZarrVersion_3,
        ZarrVersionCount
    } ZarrVersion;

    typedef enum
    {
        ZarrLogLevel_Debug = 0,
        ZarrLogLevel_Info,
        ZarrLogLevel_Warning,
        ZarrLogLevel_Error,
        ZarrLogLevel_None,
        ZarrLogLevelCount
    } ZarrLogLevel;

    typedef enum
    {
        ZarrDataType_uint8 = 0,
        ZarrDataType_uint16,
        ZarrDataType_uint32,
        ZarrDataType_uint64,
        ZarrDataType_int8,
        ZarrDataType_int16,
        ZarrDataType_int32,
        ZarrDataType_int64,
        ZarrDataType_float32,
        ZarrDataType_float64,
        ZarrDataTypeCount
    } ZarrDataType;

    typedef enum
    {
        ZarrCompressor_None = 0,
        ZarrCompressor_Blosc1,
        ZarrCompressor_Zstd,
        ZarrCompressorCount
    } ZarrCompressor;

    typedef enum
    {
        ZarrCompressionCodec_None = 0,
        ZarrCompressionCodec_BloscLZ4,
        ZarrCompressionCodec_BloscZstd,
        ZarrCompressionCodec_Zstd,
        ZarrCompressionCodecCount
    } ZarrCompressionCodec;

    typedef enum
    {
        ZarrDimensionType_Space = 0,
        ZarrDimensionType_Channel,
        ZarrDimensionType_Time,
        ZarrDimensionType_Other,
        ZarrDimensionTypeCount
    } ZarrDimensionType;

    typedef enum
    {
        ZarrDownsamplingMethod_None = 0,
        ZarrDownsamplingMethod_Decimate,
        ZarrDownsamplingMethod_Mean,
        ZarrDownsamplingMethod_Min,
        ZarrDownsamplingMethod_Max,
        ZarrDownsamplingMethodCount
    } ZarrDownsamplingMethod;

    /* The format of a settings document (ZarrStreamSettings_dump_to_string).
     * Loading accepts either: JSON is a subset of YAML. */
    typedef enum
    {
        ZarrConfigFormat_Yaml = 0,
        ZarrConfigFormat_Json,
        ZarrConfigFormatCount
    } ZarrConfigFormat;

    /* Where an S3 store lives. Credentials come from the environment
     * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or the
     * shared credentials file. */
    typedef struct
    {
        const char* endpoint;    /* with scheme and optional port */
        const char* bucket_name;
        const char* region;      /* optional */
    } ZarrS3Settings;

    typedef struct
    {
        ZarrCompressor compressor;
        ZarrCompressionCodec codec;
        uint8_t level;   /* Blosc 0-9, Zstd 1-22 */
        uint8_t shuffle; /* 0 none, 1 byte, 2 bit (Blosc only) */
    } ZarrCompressionSettings;

    /* One dimension of an array, listed slowest to fastest. */
    typedef struct
    {
        const char* name;
        ZarrDimensionType type;
        uint32_t array_size_px;     /* 0 on the first dimension: unbounded */
        uint32_t chunk_size_px;     /* > 0 */
        uint32_t shard_size_chunks; /* > 0 for Zarr v3, ignored for v2 */
        const char* unit;           /* optional UDUNITS name, e.g. "micrometer" */
        double scale;               /* physical size of one pixel; 0 = 1.0 */
    } ZarrDimensionProperties;

    typedef struct
    {
        const char* output_key; /* path in the store; NULL or "" = root */
        ZarrCompressionSettings* compression_settings; /* NULL = none */
        ZarrDimensionProperties* dimensions;
        size_t dimension_count;
        ZarrDataType data_type;
        ZarrDownsamplingMethod downsampling_method; /* None = no pyramid */
        uint32_t max_levels; /* cap on pyramid levels; 0 = no cap */
        /* Optional permutation of [0, dimension_count): the order the
         * dimensions are stored in. NULL = acquisition order. */
        const size_t* storage_dimension_order;
        bool is_ngff; /* wrap in an OME-NGFF multiscales group */
    } ZarrArraySettings;

    /* High-content screening (OME-NGFF plate) layout. */
    typedef struct
    {
        const char* path;
        uint32_t acquisition_id;
        bool has_acquisition_id; /* false: the field has no acquisition */
        ZarrArraySettings* array_settings; /* its output_key must be unset */
    } ZarrHCSFieldOfView;

    typedef struct
    {
        const char* row_name;
        const char* column_name;
        ZarrHCSFieldOfView* images;
        size_t image_count;
    } ZarrHCSWell;

    typedef struct
    {
        uint32_t id;
        const char* name;
        const char* description;
        uint64_t start_time; /* epoch */
        bool has_start_time;
        uint64_t end_time; /* epoch */
        bool has_end_time;
    } ZarrHCSAcquisition;

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
    } ZarrHCSPlate;

    typedef struct
    {
        ZarrHCSPlate* plates;
        size_t plate_count;
    } ZarrHCSSettings;

    typedef struct
    {
        const char* store_path;
        ZarrS3Settings* s3_settings; /* NULL = local filesystem */
        ZarrVersion version;         /* 0 = ZarrVersion_3 */
        unsigned int max_threads; /* 0 = $ZARR_MAX_THREADS, else all cores */
        bool overwrite;           /* remove store_path first */
        ZarrArraySettings* arrays;
        size_t array_count;
        ZarrHCSSettings* hcs_settings; /* NULL = no plates */
    } ZarrStreamSettings;

    typedef struct ZarrStream_s ZarrStream;

#ifdef __cplusplus
}
#endif

#endif /* H_ACQUIRE_ZARR_TYPES_V0 */

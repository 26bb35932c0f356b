/* acquire.zarr.h: stream frames into a Zarr store.
 *
 * Functions never throw and never crash on NULL: a NULL argument returns
 * ZarrStatusCode_InvalidArgument (or NULL) and logs why.
 */
#ifndef H_ACQUIRE_ZARR_V0
#define H_ACQUIRE_ZARR_V0

#include "zarr.types.h"

#if defined(_WIN32) && defined(ACQUIRE_ZARR_SHARED)
#if defined(ACQUIRE_ZARR_BUILDING)
#define ACQUIRE_ZARR_API __declspec(dllexport)
#else
#define ACQUIRE_ZARR_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define ACQUIRE_ZARR_API __attribute__((visibility("default")))
#else
#define ACQUIRE_ZARR_API
#endif

#ifdef __cplusplus
extern "C"
{
#endif

    /* ---- global ---------------------------------------------------------- */

    /* The library version, a semver string such as "0.1.0"; never NULL,
     * owned by the library (as in the published API). */
    ACQUIRE_ZARR_API const char* Zarr_get_api_version(void);

    ACQUIRE_ZARR_API ZarrStatusCode Zarr_set_log_level(ZarrLogLevel level);
    ACQUIRE_ZARR_API ZarrLogLevel Zarr_get_log_level(void);

    /* A sentence describing `code`; never NULL. */
    ACQUIRE_ZARR_API const char* Zarr_get_status_message(ZarrStatusCode code);

    /* Extensions of this implementation (not in the published library). */

    /* The message of the last failure on the calling thread, naming the
     * field or value at fault; "" when the last call succeeded. */
    ACQUIRE_ZARR_API const char* Zarr_get_last_error(void);

    /* The status of the last call on the calling thread; useful after
     * ZarrStream_create returned NULL. */
    ACQUIRE_ZARR_API ZarrStatusCode Zarr_get_last_status(void);

    typedef void (*ZarrLogCallback)(ZarrLogLevel level,
                                    const char* message,
                                    void* user_data);
    /* Hand every log line at or above the log level to `callback` (from any
     * thread, one call per line, without the timestamp and level prefix)
     * instead of printing it to stderr: while a callback is set, nothing is
     * printed to stderr. NULL removes the callback and restores stderr. */
    ACQUIRE_ZARR_API void Zarr_set_log_callback(ZarrLogCallback callback,
                                                void* user_data);

    /* ---- settings helpers ------------------------------------------------ */

    /* Allocate `array_count` zeroed arrays in settings->arrays (freeing any
     * previous ones). Free with ZarrStreamSettings_destroy_arrays. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_create_arrays(ZarrStreamSettings* settings,
                                     size_t array_count);
    /* Frees settings->arrays, their dimension arrays and compression
     * settings allocated by these helpers. */
    ACQUIRE_ZARR_API void ZarrStreamSettings_destroy_arrays(
      ZarrStreamSettings* settings);

    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrArraySettings_create_dimension_array(ZarrArraySettings* settings,
                                             size_t dimension_count);
    ACQUIRE_ZARR_API void ZarrArraySettings_destroy_dimension_array(
      ZarrArraySettings* settings);

    /* The most memory a stream with these settings will hold, in bytes. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_estimate_max_memory_usage(
      const ZarrStreamSettings* settings,
      size_t* usage);

    /* Number of arrays the settings describe (including HCS fields). */
    ACQUIRE_ZARR_API size_t
    ZarrStreamSettings_get_array_count(const ZarrStreamSettings* settings);

    /* The key of array `index`; *key is malloc'd, the caller frees it. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_get_array_key(const ZarrStreamSettings* settings,
                                     size_t index,
                                     char** key);

    /* ---- settings documents (YAML or JSON) ------------------------------- */

    /* Fill *settings from a YAML or JSON settings document (JSON is a subset
     * of YAML, so either is accepted; see the README for the schema). Every
     * string, array, dimension, compression, S3 and plate struct reachable
     * from *settings is then allocated by the loader and owned by it: free
     * them with ZarrStreamSettings_destroy_loaded, not with the piecemeal
     * destroy helpers. Whatever *settings held before is overwritten, not
     * freed. On failure (InvalidSettings, naming the bad field and value in
     * the log and Zarr_get_last_error) nothing stays allocated and *settings
     * is zeroed. Credentials are never read from a document. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_load_from_file(ZarrStreamSettings* settings,
                                      const char* path);
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_load_from_string(ZarrStreamSettings* settings,
                                        const char* text);

    /* Free what ZarrStreamSettings_load_from_file or _load_from_string
     * allocated and zero *settings. NULL is ignored. */
    ACQUIRE_ZARR_API void ZarrStreamSettings_destroy_loaded(
      ZarrStreamSettings* settings);

    /* Write `settings` as a settings document to `path`: JSON when the path
     * ends in ".json", YAML otherwise. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_dump_to_file(const ZarrStreamSettings* settings,
                                    const char* path);

    /* Write `settings` as a settings document in `format` to *text, a
     * malloc'd NUL-terminated string the caller frees with `free`. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStreamSettings_dump_to_string(const ZarrStreamSettings* settings,
                                      char** text,
                                      ZarrConfigFormat format);

    /* HCS helpers: each create allocates a zeroed array of `count` items,
     * each destroy frees it (and nothing the caller allocated). */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrHCSSettings_create_plate_array(ZarrHCSSettings* settings,
                                       size_t plate_count);
    ACQUIRE_ZARR_API void ZarrHCSSettings_destroy_plate_array(
      ZarrHCSSettings* settings);
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrHCSPlate_create_well_array(ZarrHCSPlate* plate, size_t well_count);
    ACQUIRE_ZARR_API void ZarrHCSPlate_destroy_well_array(ZarrHCSPlate* plate);
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrHCSPlate_create_acquisition_array(ZarrHCSPlate* plate,
                                          size_t acquisition_count);
    ACQUIRE_ZARR_API void ZarrHCSPlate_destroy_acquisition_array(
      ZarrHCSPlate* plate);
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrHCSPlate_create_row_name_array(ZarrHCSPlate* plate, size_t row_count);
    ACQUIRE_ZARR_API void ZarrHCSPlate_destroy_row_name_array(
      ZarrHCSPlate* plate);
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrHCSPlate_create_column_name_array(ZarrHCSPlate* plate,
                                          size_t column_count);
    ACQUIRE_ZARR_API void ZarrHCSPlate_destroy_column_name_array(
      ZarrHCSPlate* plate);
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrHCSWell_create_image_array(ZarrHCSWell* well, size_t image_count);
    ACQUIRE_ZARR_API void ZarrHCSWell_destroy_image_array(ZarrHCSWell* well);

    /* ---- the stream ------------------------------------------------------ */

    /* Validate `settings` and open a stream. Returns NULL (and logs which
     * field is wrong) on failure; nothing is created on disk then. */
    ACQUIRE_ZARR_API ZarrStream* ZarrStream_create(ZarrStreamSettings* settings);

    /* Flush everything, finalise the store and free the stream. Returns the
     * first failure of any write; the stream is freed either way. NULL is
     * nothing to close: Success (as the published library returns). */
    ACQUIRE_ZARR_API ZarrStatusCode ZarrStream_close(ZarrStream* stream);

    /* As ZarrStream_close, but only logs failures. */
    ACQUIRE_ZARR_API void ZarrStream_destroy(ZarrStream* stream);

    /* Append `bytes_in` bytes (any part of a frame, or many frames) to the
     * array `key` (NULL for the only array). `data` NULL appends zeros.
     * *bytes_out is how many bytes were accepted. Appending past the end
     * of a bounded array returns WriteOutOfBounds after accepting what
     * fits. */
    ACQUIRE_ZARR_API ZarrStatusCode ZarrStream_append(ZarrStream* stream,
                                                      const void* data,
                                                      size_t bytes_in,
                                                      size_t* bytes_out,
                                                      const char* key);

    /* Merge the JSON object `metadata` into the attributes of the node
     * `array_key` (NULL = the only array), under `metadata_key` (NULL or ""
     * = merged into the attributes directly). The key "ome" is refused. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStream_write_custom_metadata(ZarrStream* stream,
                                     const char* array_key,
                                     const char* metadata_key,
                                     const char* metadata);

    /* Bytes the stream currently holds in buffers. */
    ACQUIRE_ZARR_API ZarrStatusCode
    ZarrStream_get_current_memory_usage(const ZarrStream* stream,
                                        size_t* usage);

#ifdef __cplusplus
}
#endif

#endif /* H_ACQUIRE_ZARR_V0 */

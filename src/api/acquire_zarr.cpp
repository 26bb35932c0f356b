// The C API. Every function catches every exception: failures become a
// status code, a logged message and the thread's last-error text.

#include "acquire.zarr.h"

#include "api/SettingsDocument.hpp"
#include "api/SettingsValidator.hpp"
#include "api/ZarrStreamHandle.hpp"
#include "spec/NodeKey.hpp"
#include "util/Logger.hpp"
#include "util/RawEnum.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace {

using zarr::fail;
using zarr::ZarrError;

#ifndef ACQUIRE_ZARR_VERSION
#error "ACQUIRE_ZARR_VERSION must be defined by the build (the CMake project version)"
#endif
constexpr const char* kApiVersion = ACQUIRE_ZARR_VERSION;

thread_local std::string t_last_error;
thread_local ZarrStatusCode t_last_status = ZarrStatusCode_Success;

ZarrStatusCode
report(ZarrStatusCode code, const std::string& message)
{
    t_last_error = message;
    t_last_status = code;
    zarr::log_error(message);
    return code;
}

/// Runs `body`, turning any exception into a status (and last error).
template<typename Body>
ZarrStatusCode
guarded(const char* function, Body&& body)
{
    try {
        t_last_error.clear();
        t_last_status = ZarrStatusCode_Success;
        body();
        return ZarrStatusCode_Success;
    } catch (const ZarrError& error) {
        return report(error.code(), std::string(function) + ": " + error.what());
    } catch (const std::bad_alloc&) {
        return report(ZarrStatusCode_OutOfMemory, std::string(function) + ": out of memory");
    } catch (const std::exception& error) {
        return report(ZarrStatusCode_InternalError,
                      std::string(function) + ": " + error.what());
    } catch (...) {
        return report(ZarrStatusCode_InternalError,
                      std::string(function) + ": unknown failure");
    }
}

void
require(const void* pointer, const char* name)
{
    if (!pointer) {
        fail(ZarrStatusCode_InvalidArgument, name, " is NULL");
    }
}

/// Replaces `*items` with `count` zeroed items (freeing the old ones).
template<typename T>
void
allocate_array(T** items, size_t* length, size_t count)
{
    std::free(*items);
    *items = nullptr;
    if (length) {
        *length = 0;
    }
    if (count == 0) {
        return;
    }
    *items = static_cast<T*>(std::calloc(count, sizeof(T)));
    if (!*items) {
        throw std::bad_alloc();
    }
    if (length) {
        *length = count;
    }
}

template<typename T>
void
free_array(T** items, size_t* length)
{
    std::free(*items);
    *items = nullptr;
    if (length) {
        *length = 0;
    }
}

/// Copies `text` into a malloc'd string the caller frees with `free`.
char*
malloc_copy(const std::string& text)
{
    auto* out = static_cast<char*>(std::malloc(text.size() + 1));
    if (!out) {
        throw std::bad_alloc();
    }
    std::memcpy(out, text.c_str(), text.size() + 1);
    return out;
}

/// Fills `*settings` from a settings document, all or nothing: on failure
/// nothing stays allocated and `*settings` is zeroed.
void
load_settings(const std::string& text, ZarrStreamSettings* settings, const std::string& source)
{
    namespace doc = zarr::settings_document;
    ZarrStreamSettings loaded;
    std::memset(&loaded, 0, sizeof loaded);
    try {
        doc::load(doc::parse(text), &loaded);
    } catch (const ZarrError& error) {
        doc::destroy_loaded(&loaded);
        fail(error.code(), source, error.what());
    } catch (...) {
        doc::destroy_loaded(&loaded);
        throw;
    }
    *settings = loaded;
}

bool
ends_with_json(const std::string& path)
{
    if (path.size() < 5) {
        return false;
    }
    std::string suffix = path.substr(path.size() - 5);
    for (char& c : suffix) {
        c = char(std::tolower(static_cast<unsigned char>(c)));
    }
    return suffix == ".json";
}

} // namespace

extern "C"
{
    const char* Zarr_get_api_version(void)
    {
        return kApiVersion;
    }

    ZarrStatusCode Zarr_set_log_level(ZarrLogLevel level)
    {
        return guarded("Zarr_set_log_level", [&] {
            if (!zarr::enum_in_range(level, ZarrLogLevelCount)) {
                fail(ZarrStatusCode_InvalidArgument,
                     "log level ",
                     zarr::raw_enum(level),
                     " is not a ZarrLogLevel");
            }
            zarr::Logger::set_level(level);
        });
    }

    ZarrLogLevel Zarr_get_log_level(void)
    {
        return zarr::Logger::level();
    }

    const char* Zarr_get_status_message(ZarrStatusCode code)
    {
        if (!zarr::enum_in_range(code, ZarrStatusCodeCount)) {
            return "Unknown status code.";
        }
        switch (code) {
            case ZarrStatusCode_Success:
                return "Success.";
            case ZarrStatusCode_InvalidArgument:
                return "An argument was invalid (for example NULL).";
            case ZarrStatusCode_Overflow:
                return "A size or count overflowed.";
            case ZarrStatusCode_InvalidIndex:
                return "An index was out of range.";
            case ZarrStatusCode_NotYetImplemented:
                return "This feature is not yet implemented.";
            case ZarrStatusCode_InternalError:
                return "An internal error occurred.";
            case ZarrStatusCode_OutOfMemory:
                return "Out of memory.";
            case ZarrStatusCode_IOError:
                return "Reading or writing storage failed.";
            case ZarrStatusCode_CompressionError:
                return "Compressing data failed.";
            case ZarrStatusCode_InvalidSettings:
                return "The settings are invalid.";
            case ZarrStatusCode_WillNotOverwrite:
                return "Existing data would be overwritten, and overwrite is off.";
            case ZarrStatusCode_PartialWrite:
                return "Only part of the data was written.";
            case ZarrStatusCode_WriteOutOfBounds:
                return "The write goes past the end of the array.";
            case ZarrStatusCode_KeyNotFound:
                return "No array has that key.";
            default:
                return "Unknown status code.";
        }
    }

    const char* Zarr_get_last_error(void)
    {
        return t_last_error.c_str();
    }

    ZarrStatusCode Zarr_get_last_status(void)
    {
        return t_last_status;
    }

    void Zarr_set_log_callback(ZarrLogCallback callback, void* user_data)
    {
        zarr::Logger::set_callback(callback, user_data);
    }

    /* ---- settings helpers ---------------------------------------------- */

    ZarrStatusCode ZarrStreamSettings_create_arrays(ZarrStreamSettings* settings,
                                                    size_t array_count)
    {
        return guarded("ZarrStreamSettings_create_arrays", [&] {
            require(settings, "settings");
            ZarrStreamSettings_destroy_arrays(settings);
            allocate_array(&settings->arrays, &settings->array_count, array_count);
        });
    }

    void ZarrStreamSettings_destroy_arrays(ZarrStreamSettings* settings)
    {
        if (!settings) {
            return;
        }
        if (settings->arrays) {
            for (size_t i = 0; i < settings->array_count; ++i) {
                ZarrArraySettings_destroy_dimension_array(&settings->arrays[i]);
            }
        }
        free_array(&settings->arrays, &settings->array_count);
    }

    ZarrStatusCode ZarrArraySettings_create_dimension_array(ZarrArraySettings* settings,
                                                            size_t dimension_count)
    {
        return guarded("ZarrArraySettings_create_dimension_array", [&] {
            require(settings, "settings");
            allocate_array(
              &settings->dimensions, &settings->dimension_count, dimension_count);
        });
    }

    void ZarrArraySettings_destroy_dimension_array(ZarrArraySettings* settings)
    {
        if (settings) {
            free_array(&settings->dimensions, &settings->dimension_count);
        }
    }

    ZarrStatusCode ZarrStreamSettings_estimate_max_memory_usage(
      const ZarrStreamSettings* settings,
      size_t* usage)
    {
        return guarded("ZarrStreamSettings_estimate_max_memory_usage", [&] {
            require(settings, "settings");
            require(usage, "usage");
            *usage = zarr::Stream::estimate_memory(
              zarr::SettingsValidator::validate(settings, true));
        });
    }

    size_t ZarrStreamSettings_get_array_count(const ZarrStreamSettings* settings)
    {
        if (!settings) {
            report(ZarrStatusCode_InvalidArgument,
                   "ZarrStreamSettings_get_array_count: settings is NULL");
            return 0;
        }
        size_t count = settings->arrays ? settings->array_count : 0;
        if (settings->hcs_settings && settings->hcs_settings->plates) {
            const auto& hcs = *settings->hcs_settings;
            for (size_t p = 0; p < hcs.plate_count; ++p) {
                const auto& plate = hcs.plates[p];
                for (size_t w = 0; plate.wells && w < plate.well_count; ++w) {
                    count += plate.wells[w].images ? plate.wells[w].image_count : 0;
                }
            }
        }
        return count;
    }

    ZarrStatusCode ZarrStreamSettings_get_array_key(const ZarrStreamSettings* settings,
                                                    size_t index,
                                                    char** key)
    {
        return guarded("ZarrStreamSettings_get_array_key", [&] {
            require(settings, "settings");
            require(key, "key");
            *key = nullptr;
            std::string text;
            if (settings->arrays && index < settings->array_count) {
                const char* raw = settings->arrays[index].output_key;
                text = zarr::normalise_key(raw ? raw : "");
            } else {
                // Fields of view follow the arrays: plate/row/column/fov.
                size_t remaining = index - (settings->arrays ? settings->array_count : 0);
                bool found = false;
                const ZarrHCSSettings* hcs = settings->hcs_settings;
                for (size_t p = 0; hcs && hcs->plates && p < hcs->plate_count && !found; ++p) {
                    const auto& plate = hcs->plates[p];
                    for (size_t w = 0; plate.wells && w < plate.well_count && !found; ++w) {
                        const auto& well = plate.wells[w];
                        if (well.images && remaining < well.image_count) {
                            const auto* fov = &well.images[remaining];
                            // As the stream names it (see PlateValidator).
                            text = zarr::concat(
                              zarr::normalise_key(plate.path ? plate.path : ""),
                              "/",
                              well.row_name ? well.row_name : "",
                              "/",
                              well.column_name ? well.column_name : "",
                              "/",
                              zarr::normalise_key(fov->path ? fov->path : ""));
                            found = true;
                        } else if (well.images) {
                            remaining -= well.image_count;
                        }
                    }
                }
                if (!found) {
                    fail(ZarrStatusCode_InvalidIndex,
                         "index ",
                         index,
                         " is out of range: the settings describe ",
                         ZarrStreamSettings_get_array_count(settings),
                         " arrays");
                }
            }
            *key = static_cast<char*>(std::malloc(text.size() + 1));
            if (!*key) {
                throw std::bad_alloc();
            }
            std::memcpy(*key, text.c_str(), text.size() + 1);
        });
    }

    ZarrStatusCode ZarrStreamSettings_load_from_file(ZarrStreamSettings* settings,
                                                     const char* path)
    {
        return guarded("ZarrStreamSettings_load_from_file", [&] {
            require(settings, "settings");
            require(path, "path");
            std::memset(settings, 0, sizeof *settings);
            std::FILE* file = std::fopen(path, "rb");
            if (!file) {
                fail(ZarrStatusCode_IOError,
                     "cannot open the settings file '", path, "': ", std::strerror(errno));
            }
            std::string text;
            char buffer[65536];
            size_t n;
            while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
                text.append(buffer, n);
            }
            const bool failed = std::ferror(file);
            const int error = errno;
            std::fclose(file);
            if (failed) {
                fail(ZarrStatusCode_IOError,
                     "cannot read the settings file '", path, "': ", std::strerror(error));
            }
            load_settings(text, settings, zarr::concat(path, ": "));
        });
    }

    ZarrStatusCode ZarrStreamSettings_load_from_string(ZarrStreamSettings* settings,
                                                       const char* text)
    {
        return guarded("ZarrStreamSettings_load_from_string", [&] {
            require(settings, "settings");
            require(text, "text");
            std::memset(settings, 0, sizeof *settings);
            load_settings(text, settings, "");
        });
    }

    void ZarrStreamSettings_destroy_loaded(ZarrStreamSettings* settings)
    {
        if (settings) {
            zarr::settings_document::destroy_loaded(settings);
        }
    }

    ZarrStatusCode ZarrStreamSettings_dump_to_file(const ZarrStreamSettings* settings,
                                                   const char* path)
    {
        return guarded("ZarrStreamSettings_dump_to_file", [&] {
            namespace doc = zarr::settings_document;
            require(settings, "settings");
            require(path, "path");
            const auto document = doc::dump(*settings);
            const std::string text =
              ends_with_json(path) ? doc::to_json(document) + "\n" : doc::to_yaml(document);
            std::FILE* file = std::fopen(path, "wb");
            if (!file) {
                fail(ZarrStatusCode_IOError,
                     "cannot create the settings file '", path, "': ", std::strerror(errno));
            }
            const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
            const int error = errno;
            if (std::fclose(file) != 0 || !written) {
                fail(ZarrStatusCode_IOError,
                     "cannot write the settings file '", path, "': ",
                     std::strerror(written ? errno : error));
            }
        });
    }

    ZarrStatusCode ZarrStreamSettings_dump_to_string(const ZarrStreamSettings* settings,
                                                     char** text,
                                                     ZarrConfigFormat format)
    {
        return guarded("ZarrStreamSettings_dump_to_string", [&] {
            namespace doc = zarr::settings_document;
            require(settings, "settings");
            require(text, "text");
            *text = nullptr;
            if (!zarr::enum_in_range(format, ZarrConfigFormatCount)) {
                fail(ZarrStatusCode_InvalidArgument,
                     "format ", zarr::raw_enum(format),
                     " is not a ZarrConfigFormat (ZarrConfigFormat_Yaml or ZarrConfigFormat_Json)");
            }
            const auto document = doc::dump(*settings);
            *text = malloc_copy(zarr::raw_enum(format) == ZarrConfigFormat_Json
                                  ? doc::to_json(document)
                                  : doc::to_yaml(document));
        });
    }

    ZarrStatusCode ZarrHCSSettings_create_plate_array(ZarrHCSSettings* settings,
                                                      size_t plate_count)
    {
        return guarded("ZarrHCSSettings_create_plate_array", [&] {
            require(settings, "settings");
            allocate_array(&settings->plates, &settings->plate_count, plate_count);
        });
    }

    void ZarrHCSSettings_destroy_plate_array(ZarrHCSSettings* settings)
    {
        if (settings) {
            free_array(&settings->plates, &settings->plate_count);
        }
    }

    ZarrStatusCode ZarrHCSPlate_create_well_array(ZarrHCSPlate* plate, size_t well_count)
    {
        return guarded("ZarrHCSPlate_create_well_array", [&] {
            require(plate, "plate");
            allocate_array(&plate->wells, &plate->well_count, well_count);
        });
    }

    void ZarrHCSPlate_destroy_well_array(ZarrHCSPlate* plate)
    {
        if (plate) {
            free_array(&plate->wells, &plate->well_count);
        }
    }

    ZarrStatusCode ZarrHCSPlate_create_acquisition_array(ZarrHCSPlate* plate,
                                                         size_t acquisition_count)
    {
        return guarded("ZarrHCSPlate_create_acquisition_array", [&] {
            require(plate, "plate");
            allocate_array(
              &plate->acquisitions, &plate->acquisition_count, acquisition_count);
        });
    }

    void ZarrHCSPlate_destroy_acquisition_array(ZarrHCSPlate* plate)
    {
        if (plate) {
            free_array(&plate->acquisitions, &plate->acquisition_count);
        }
    }

    ZarrStatusCode ZarrHCSPlate_create_row_name_array(ZarrHCSPlate* plate, size_t row_count)
    {
        return guarded("ZarrHCSPlate_create_row_name_array", [&] {
            require(plate, "plate");
            allocate_array(&plate->row_names, &plate->row_count, row_count);
        });
    }

    void ZarrHCSPlate_destroy_row_name_array(ZarrHCSPlate* plate)
    {
        if (plate) {
            free_array(&plate->row_names, &plate->row_count);
        }
    }

    ZarrStatusCode ZarrHCSPlate_create_column_name_array(ZarrHCSPlate* plate,
                                                         size_t column_count)
    {
        return guarded("ZarrHCSPlate_create_column_name_array", [&] {
            require(plate, "plate");
            allocate_array(&plate->column_names, &plate->column_count, column_count);
        });
    }

    void ZarrHCSPlate_destroy_column_name_array(ZarrHCSPlate* plate)
    {
        if (plate) {
            free_array(&plate->column_names, &plate->column_count);
        }
    }

    ZarrStatusCode ZarrHCSWell_create_image_array(ZarrHCSWell* well, size_t image_count)
    {
        return guarded("ZarrHCSWell_create_image_array", [&] {
            require(well, "well");
            allocate_array(&well->images, &well->image_count, image_count);
        });
    }

    void ZarrHCSWell_destroy_image_array(ZarrHCSWell* well)
    {
        if (well) {
            free_array(&well->images, &well->image_count);
        }
    }

    /* ---- the stream ---------------------------------------------------- */

    ZarrStream* ZarrStream_create(ZarrStreamSettings* settings)
    {
        ZarrStream* handle = nullptr;
        guarded("ZarrStream_create", [&] {
            auto spec = zarr::SettingsValidator::validate(settings);
            auto stream = std::make_unique<zarr::Stream>(std::move(spec));
            handle = new ZarrStream_s{ std::move(stream) };
        });
        return handle;
    }

    ZarrStatusCode ZarrStream_close(ZarrStream* stream)
    {
        // NULL is nothing to close: Success, as the published library
        // returns (like free(NULL)), so cleanup paths need no special case.
        const ZarrStatusCode status = guarded("ZarrStream_close", [&] {
            if (stream) {
                stream->stream->close();
            }
        });
        delete stream;
        return status;
    }

    void ZarrStream_destroy(ZarrStream* stream)
    {
        if (stream) {
            ZarrStream_close(stream);
        }
    }

    ZarrStatusCode ZarrStream_append(ZarrStream* stream,
                                     const void* data,
                                     size_t bytes_in,
                                     size_t* bytes_out,
                                     const char* key)
    {
        if (bytes_out) {
            *bytes_out = 0;
        }
        return guarded("ZarrStream_append", [&] {
            require(stream, "stream");
            require(bytes_out, "bytes_out");
            stream->stream->append(key, data, bytes_in, *bytes_out);
        });
    }

    ZarrStatusCode ZarrStream_write_custom_metadata(ZarrStream* stream,
                                                    const char* array_key,
                                                    const char* metadata_key,
                                                    const char* metadata)
    {
        return guarded("ZarrStream_write_custom_metadata", [&] {
            require(stream, "stream");
            require(metadata, "metadata");
            stream->stream->write_custom_metadata(array_key, metadata_key, metadata);
        });
    }

    ZarrStatusCode ZarrStream_get_current_memory_usage(const ZarrStream* stream,
                                                       size_t* usage)
    {
        return guarded("ZarrStream_get_current_memory_usage", [&] {
            require(stream, "stream");
            require(usage, "usage");
            *usage = stream->stream->memory_in_use();
        });
    }
}

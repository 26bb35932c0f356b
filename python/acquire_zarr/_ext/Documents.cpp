#include "Documents.hpp"

#include "CSettings.hpp"
#include "Gil.hpp"
#include "errors.hpp"

#include "acquire.zarr.h"

#include <cstdlib>
#include <string>

namespace py = pybind11;

namespace aqz_python {
namespace {

// Frees what the loader allocated, however the conversion ends.
struct LoadedSettings
{
    ZarrStreamSettings settings{};
    ~LoadedSettings() { ZarrStreamSettings_destroy_loaded(&settings); }
};

py::object
text_or_none(const char* s)
{
    if (!s) {
        return py::none();
    }
    return py::str(s);
}

py::object
store_path(const char* s)
{
    // The inverse of os.fsencode(), which StreamSettings._lower() applies.
    auto text = py::reinterpret_steal<py::object>(PyUnicode_DecodeFSDefault(s ? s : ""));
    if (!text) {
        throw py::error_already_set();
    }
    return text;
}

py::list
names(const char* const* values, size_t count)
{
    py::list out;
    for (size_t i = 0; i < count; ++i) {
        out.append(py::str(values[i] ? values[i] : ""));
    }
    return out;
}

// The plain-data form StreamSettings._lower() returns (enums as ints), read
// back into settings objects by acquire_zarr._config.
py::dict
array_dict(const ZarrArraySettings& a)
{
    py::dict out;
    out["output_key"] = text_or_none(a.output_key);
    out["data_type"] = static_cast<int>(a.data_type);
    out["downsampling_method"] = static_cast<int>(a.downsampling_method);
    out["max_levels"] = a.max_levels;
    out["is_ngff"] = a.is_ngff;
    if (a.compression_settings) {
        const auto& c = *a.compression_settings;
        py::dict compression;
        compression["compressor"] = static_cast<int>(c.compressor);
        compression["codec"] = static_cast<int>(c.codec);
        compression["level"] = static_cast<int>(c.level);
        compression["shuffle"] = static_cast<int>(c.shuffle);
        out["compression"] = compression;
    } else {
        out["compression"] = py::none();
    }
    py::list dimensions;
    for (size_t i = 0; i < a.dimension_count; ++i) {
        const auto& d = a.dimensions[i];
        py::dict dim;
        dim["name"] = py::str(d.name ? d.name : "");
        dim["type"] = static_cast<int>(d.type);
        dim["array_size_px"] = d.array_size_px;
        dim["chunk_size_px"] = d.chunk_size_px;
        dim["shard_size_chunks"] = d.shard_size_chunks;
        dim["unit"] = text_or_none(d.unit);
        dim["scale"] = d.scale;
        dimensions.append(dim);
    }
    out["dimensions"] = dimensions;
    if (a.storage_dimension_order) {
        py::list order;
        for (size_t i = 0; i < a.dimension_count; ++i) {
            order.append(a.storage_dimension_order[i]);
        }
        out["storage_dimension_order"] = order;
    } else {
        out["storage_dimension_order"] = py::none();
    }
    return out;
}

py::dict
plate_dict(const ZarrHCSPlate& p)
{
    py::dict out;
    out["path"] = py::str(p.path ? p.path : "");
    out["name"] = text_or_none(p.name);
    out["row_names"] = names(p.row_names, p.row_count);
    out["column_names"] = names(p.column_names, p.column_count);
    py::list wells;
    for (size_t i = 0; i < p.well_count; ++i) {
        const auto& w = p.wells[i];
        py::dict well;
        well["row_name"] = py::str(w.row_name ? w.row_name : "");
        well["column_name"] = py::str(w.column_name ? w.column_name : "");
        py::list images;
        for (size_t k = 0; k < w.image_count; ++k) {
            const auto& f = w.images[k];
            py::dict image;
            image["path"] = py::str(f.path ? f.path : "");
            image["acquisition_id"] =
              f.has_acquisition_id ? py::object(py::int_(f.acquisition_id)) : py::none();
            image["array_settings"] =
              f.array_settings ? py::object(array_dict(*f.array_settings)) : py::none();
            images.append(image);
        }
        well["images"] = images;
        wells.append(well);
    }
    out["wells"] = wells;
    py::list acquisitions;
    for (size_t i = 0; i < p.acquisition_count; ++i) {
        const auto& a = p.acquisitions[i];
        py::dict acq;
        acq["id"] = a.id;
        acq["name"] = text_or_none(a.name);
        acq["description"] = text_or_none(a.description);
        acq["start_time"] = a.has_start_time ? py::object(py::int_(a.start_time)) : py::none();
        acq["end_time"] = a.has_end_time ? py::object(py::int_(a.end_time)) : py::none();
        acquisitions.append(acq);
    }
    out["acquisitions"] = acquisitions;
    return out;
}

py::dict
settings_dict(const ZarrStreamSettings& s)
{
    py::dict out;
    out["store_path"] = store_path(s.store_path);
    if (s.s3_settings) {
        py::dict s3;
        s3["endpoint"] = py::str(s.s3_settings->endpoint ? s.s3_settings->endpoint : "");
        s3["bucket_name"] =
          py::str(s.s3_settings->bucket_name ? s.s3_settings->bucket_name : "");
        s3["region"] = text_or_none(s.s3_settings->region);
        out["s3"] = s3;
    } else {
        out["s3"] = py::none();
    }
    out["version"] = s.version == 0 ? static_cast<int>(ZarrVersion_3) : static_cast<int>(s.version);
    out["max_threads"] = s.max_threads;
    out["overwrite"] = s.overwrite;
    py::list arrays;
    for (size_t i = 0; i < s.array_count; ++i) {
        arrays.append(array_dict(s.arrays[i]));
    }
    out["arrays"] = arrays;
    py::list plates;
    if (s.hcs_settings) {
        for (size_t i = 0; i < s.hcs_settings->plate_count; ++i) {
            plates.append(plate_dict(s.hcs_settings->plates[i]));
        }
    }
    out["plates"] = plates;
    return out;
}

// `text` (bytes: a file's contents as they are) -> plain data. A refusal's
// message is prefixed with `source` (as ZarrStreamSettings_load_from_file
// prefixes the path).
py::dict
load_settings_document(const py::bytes& text, const std::string& source)
{
    const std::string document = text;
    LoadedSettings loaded;
    ZarrStatusCode status;
    std::string error;
    {
        GilRelease nogil; // the loader logs its refusals
        status = ZarrStreamSettings_load_from_string(&loaded.settings, document.c_str());
        if (status != ZarrStatusCode_Success) {
            error = Zarr_get_last_error();
        }
    }
    if (status != ZarrStatusCode_Success) {
        // "ZarrStreamSettings_load_from_string: field: ..." -> "field: ...",
        // after `source` as the file loader writes it.
        const std::string operation = "ZarrStreamSettings_load_from_string";
        if (error.rfind(operation + ": ", 0) == 0) {
            error.erase(0, operation.size() + 2);
        }
        raise_status(status, operation, error.empty() ? error : source + error);
    }
    return settings_dict(loaded.settings);
}

// Plain data (StreamSettings._lower()) -> the document, JSON or YAML.
py::bytes
dump_settings_document(const py::dict& lowered, bool json)
{
    CSettings settings(lowered);
    // Python spells a plate without a name "" (its default); the document
    // leaves the name out then, as C does for NULL.
    if (ZarrHCSSettings* hcs = settings.get()->hcs_settings) {
        for (size_t i = 0; i < hcs->plate_count; ++i) {
            if (hcs->plates[i].name && !*hcs->plates[i].name) {
                hcs->plates[i].name = nullptr;
            }
        }
    }
    char* text = nullptr;
    ZarrStatusCode status;
    std::string error;
    {
        GilRelease nogil;
        status = ZarrStreamSettings_dump_to_string(
          settings.get(), &text, json ? ZarrConfigFormat_Json : ZarrConfigFormat_Yaml);
        if (status != ZarrStatusCode_Success) {
            error = Zarr_get_last_error();
        }
    }
    if (status != ZarrStatusCode_Success) {
        std::free(text);
        raise_status(status, "ZarrStreamSettings_dump_to_string", error);
    }
    py::bytes out(text ? text : "");
    std::free(text); // malloc'd by the library
    return out;
}

} // namespace

void
bind_documents(py::module_& m)
{
    m.def("_load_settings_document",
          &load_settings_document,
          py::arg("text"),
          py::arg("source") = std::string());
    m.def("_dump_settings_document", &dump_settings_document, py::arg("lowered"), py::arg("json"));
}

} // namespace aqz_python

#include "CSettings.hpp"

namespace py = pybind11;

namespace aqz_python {
namespace {

template<typename T>
T
field(const py::dict& d, const char* key)
{
    return d[key].cast<T>();
}

py::list
get_list(const py::dict& d, const char* key)
{
    return d[key].cast<py::list>();
}

std::string
join_key(std::initializer_list<std::string> parts)
{
    std::string key;
    for (const auto& part : parts) {
        const std::string p = normalize_key(part);
        if (p.empty()) {
            continue;
        }
        if (!key.empty()) {
            key += '/';
        }
        key += p;
    }
    return key;
}

} // namespace

std::string
normalize_key(const std::string& key)
{
    const auto first = key.find_first_not_of('/');
    if (first == std::string::npos) {
        return {};
    }
    const auto last = key.find_last_not_of('/');
    return key.substr(first, last - first + 1);
}

CSettings::CSettings(const py::dict& lowered)
{
    settings_.store_path = keep(field<std::string>(lowered, "store_path"));

    py::handle s3 = lowered["s3"];
    if (!s3.is_none()) {
        const auto d = py::reinterpret_borrow<py::dict>(s3);
        s3_.endpoint = keep(field<std::string>(d, "endpoint"));
        s3_.bucket_name = keep(field<std::string>(d, "bucket_name"));
        s3_.region = keep_optional(d["region"]);
        settings_.s3_settings = &s3_;
    }

    settings_.version = static_cast<ZarrVersion>(field<int>(lowered, "version"));
    settings_.max_threads = field<unsigned int>(lowered, "max_threads");
    settings_.overwrite = field<bool>(lowered, "overwrite");

    // Fill the vector completely before handing out its data pointer.
    for (py::handle array : get_list(lowered, "arrays")) {
        const auto d = py::reinterpret_borrow<py::dict>(array);
        arrays_.push_back(convert_array(d));
        const char* key = arrays_.back().output_key;
        record_type(key ? key : "", arrays_.back().data_type);
    }
    settings_.arrays = arrays_.empty() ? nullptr : arrays_.data();
    settings_.array_count = arrays_.size();

    for (py::handle plate : get_list(lowered, "plates")) {
        plates_.push_back(
          convert_plate(py::reinterpret_borrow<py::dict>(plate)));
    }
    if (!plates_.empty()) {
        hcs_.plates = plates_.data();
        hcs_.plate_count = plates_.size();
        settings_.hcs_settings = &hcs_;
    }

    py::handle metadata = lowered["custom_metadata"];
    if (!metadata.is_none()) {
        custom_metadata_ = metadata.cast<std::string>();
    }
}

const char*
CSettings::keep(const std::string& text)
{
    return strings_.emplace_back(text).c_str();
}

const char*
CSettings::keep_optional(py::handle text)
{
    return text.is_none() ? nullptr : keep(text.cast<std::string>());
}

void
CSettings::record_type(const std::string& key, ZarrDataType type)
{
    array_types_.emplace_back(normalize_key(key), type);
}

ZarrArraySettings
CSettings::convert_array(const py::dict& array)
{
    ZarrArraySettings out{};

    // "" and NULL both mean "the root" (or "unset" for a field of view); NULL
    // is the unambiguous spelling.
    const auto output_key = field<std::string>(array, "output_key");
    out.output_key = output_key.empty() ? nullptr : keep(output_key);

    auto& dims = dimensions_.emplace_back();
    for (py::handle item : get_list(array, "dimensions")) {
        const auto d = py::reinterpret_borrow<py::dict>(item);
        ZarrDimensionProperties dim{};
        dim.name = keep(field<std::string>(d, "name"));
        dim.type = static_cast<ZarrDimensionType>(field<int>(d, "type"));
        dim.array_size_px = field<uint32_t>(d, "array_size_px");
        dim.chunk_size_px = field<uint32_t>(d, "chunk_size_px");
        dim.shard_size_chunks = field<uint32_t>(d, "shard_size_chunks");
        dim.unit = keep_optional(d["unit"]);
        dim.scale = field<double>(d, "scale");
        dims.push_back(dim);
    }
    out.dimensions = dims.empty() ? nullptr : dims.data();
    out.dimension_count = dims.size();

    py::handle compression = array["compression"];
    if (!compression.is_none()) {
        const auto c = py::reinterpret_borrow<py::dict>(compression);
        auto& cs = compressions_.emplace_back();
        cs.compressor = static_cast<ZarrCompressor>(field<int>(c, "compressor"));
        cs.codec = static_cast<ZarrCompressionCodec>(field<int>(c, "codec"));
        cs.level = field<uint8_t>(c, "level");
        cs.shuffle = field<uint8_t>(c, "shuffle");
        out.compression_settings = &cs;
    }

    out.data_type = static_cast<ZarrDataType>(field<int>(array, "data_type"));
    out.downsampling_method = static_cast<ZarrDownsamplingMethod>(
      field<int>(array, "downsampling_method"));
    out.max_levels = field<uint32_t>(array, "max_levels");
    out.is_ngff = field<bool>(array, "is_ngff");

    // Python has checked there is exactly one index per dimension: the C
    // struct carries no length for this list.
    py::handle order = array["storage_dimension_order"];
    if (!order.is_none()) {
        auto& indices = dimension_orders_.emplace_back();
        for (py::handle index : order.cast<py::list>()) {
            indices.push_back(index.cast<size_t>());
        }
        out.storage_dimension_order = indices.data();
    }
    return out;
}

ZarrHCSPlate
CSettings::convert_plate(const py::dict& plate)
{
    ZarrHCSPlate out{};
    const auto plate_path = field<std::string>(plate, "path");
    out.path = keep(plate_path);
    out.name = keep(field<std::string>(plate, "name"));

    auto& rows = string_lists_.emplace_back();
    for (py::handle name : get_list(plate, "row_names")) {
        rows.push_back(keep(name.cast<std::string>()));
    }
    out.row_names = rows.empty() ? nullptr : rows.data();
    out.row_count = rows.size();

    auto& columns = string_lists_.emplace_back();
    for (py::handle name : get_list(plate, "column_names")) {
        columns.push_back(keep(name.cast<std::string>()));
    }
    out.column_names = columns.empty() ? nullptr : columns.data();
    out.column_count = columns.size();

    auto& wells = wells_.emplace_back();
    for (py::handle item : get_list(plate, "wells")) {
        const auto w = py::reinterpret_borrow<py::dict>(item);
        ZarrHCSWell well{};
        const auto row = field<std::string>(w, "row_name");
        const auto column = field<std::string>(w, "column_name");
        well.row_name = keep(row);
        well.column_name = keep(column);

        auto& images = fields_.emplace_back();
        for (py::handle image : get_list(w, "images")) {
            const auto f = py::reinterpret_borrow<py::dict>(image);
            ZarrHCSFieldOfView fov{};
            const auto fov_path = field<std::string>(f, "path");
            fov.path = keep(fov_path);
            py::handle acquisition_id = f["acquisition_id"];
            fov.has_acquisition_id = !acquisition_id.is_none();
            fov.acquisition_id =
              fov.has_acquisition_id ? acquisition_id.cast<uint32_t>() : 0;
            fov.array_settings = &field_arrays_.emplace_back(convert_array(
              py::reinterpret_borrow<py::dict>(f["array_settings"])));
            record_type(join_key({ plate_path, row, column, fov_path }),
                        fov.array_settings->data_type);
            images.push_back(fov);
        }
        well.images = images.empty() ? nullptr : images.data();
        well.image_count = images.size();
        wells.push_back(well);
    }
    out.wells = wells.empty() ? nullptr : wells.data();
    out.well_count = wells.size();

    auto& acquisitions = acquisitions_.emplace_back();
    for (py::handle item : get_list(plate, "acquisitions")) {
        const auto a = py::reinterpret_borrow<py::dict>(item);
        ZarrHCSAcquisition acq{};
        acq.id = field<uint32_t>(a, "id");
        acq.name = keep_optional(a["name"]);
        acq.description = keep_optional(a["description"]);
        py::handle start = a["start_time"];
        acq.has_start_time = !start.is_none();
        acq.start_time = acq.has_start_time ? start.cast<uint64_t>() : 0;
        py::handle end = a["end_time"];
        acq.has_end_time = !end.is_none();
        acq.end_time = acq.has_end_time ? end.cast<uint64_t>() : 0;
        acquisitions.push_back(acq);
    }
    out.acquisitions = acquisitions.empty() ? nullptr : acquisitions.data();
    out.acquisition_count = acquisitions.size();
    return out;
}

} // namespace aqz_python

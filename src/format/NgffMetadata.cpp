#include "format/NgffMetadata.hpp"

#include "util/RawEnum.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>

namespace zarr {
namespace {

using Json = NgffMetadata::Json;

bool
is_v3(ZarrVersion version)
{
    return version == ZarrVersion_3;
}

/// NGFF version written for a Zarr version: 0.5 is the Zarr v3 flavour of
/// the spec, 0.4 the last one defined on Zarr v2.
const char*
ngff_version(ZarrVersion version)
{
    return is_v3(version) ? "0.5" : "0.4";
}

/// Wraps a document the way its NGFF version wants it: 0.5 nests everything
/// under "ome" (with the version there), 0.4 puts it at the top level.
Json
wrap(ZarrVersion version, const char* key, Json document)
{
    Json attributes = Json::object();
    if (is_v3(version)) {
        Json ome = Json::object();
        ome["version"] = ngff_version(version);
        ome[key] = std::move(document);
        attributes["ome"] = std::move(ome);
    } else {
        attributes[key] = std::move(document);
    }
    return attributes;
}

const char*
axis_type(ZarrDimensionType kind)
{
    switch (raw_enum(kind)) {
        case ZarrDimensionType_Space:
            return "space";
        case ZarrDimensionType_Channel:
            return "channel";
        case ZarrDimensionType_Time:
            return "time";
        case ZarrDimensionType_Other:
            return nullptr; // NGFF has no type for it: the field is left out
        default:
            fail(ZarrStatusCode_InvalidArgument, "Invalid dimension type: ", raw_enum(kind));
    }
}

Json
axis_document(const NgffAxis& axis)
{
    Json document = Json::object();
    document["name"] = axis.name;
    if (const char* type = axis_type(axis.kind)) {
        document["type"] = type;
    }
    if (axis.unit && !axis.unit->empty()) {
        document["unit"] = *axis.unit;
    }
    return document;
}

Json
dataset_document(const NgffDataset& dataset)
{
    Json scale = Json::object();
    scale["type"] = "scale";
    scale["scale"] = dataset.scale;

    Json document = Json::object();
    document["path"] = dataset.path;
    document["coordinateTransformations"] = Json::array({ scale });
    return document;
}

/// `type` (named as the published library names it, so readers that look
/// at it keep working) and `metadata` saying what each level is.
void
add_method(Json& multiscale, ZarrDownsamplingMethod method)
{
    const char* type = nullptr;
    const char* description = nullptr;
    switch (raw_enum(method)) { // raw: an out-of-range value is no UB
        case ZarrDownsamplingMethod_None:
            return;
        case ZarrDownsamplingMethod_Decimate:
            type = "decimate";
            description = "the first (top-left, front) sample of each block";
            break;
        case ZarrDownsamplingMethod_Mean:
            type = "local_mean";
            description = "the mean of each block; integers rounded to nearest, ties to even";
            break;
        case ZarrDownsamplingMethod_Min:
            type = "local_min";
            description = "the minimum of each block";
            break;
        case ZarrDownsamplingMethod_Max:
            type = "local_max";
            description = "the maximum of each block";
            break;
        default:
            fail(ZarrStatusCode_InvalidArgument,
                 "Invalid downsampling method: ",
                 raw_enum(method));
    }
    multiscale["type"] = type;
    Json metadata = Json::object();
    metadata["description"] =
      std::string("Each level is computed from the previous one while streaming, over 2x2 "
                  "blocks in Y/X (2x2x2 where Z halves too; an odd edge repeats its last "
                  "row, column or plane): ") +
      description + ".";
    metadata["method"] = "acquire-zarr";
    metadata["version"] = ACQUIRE_ZARR_VERSION;
    multiscale["metadata"] = std::move(metadata);
}

std::size_t
index_of(const std::vector<std::string>& names,
         const std::string& name,
         const char* what)
{
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
        fail(ZarrStatusCode_InvalidSettings,
             "Well ",
             what,
             " '",
             name,
             "' is not one of the plate's ",
             what,
             "s");
    }
    return static_cast<std::size_t>(it - names.begin());
}

Json
names_document(const std::vector<std::string>& names)
{
    Json document = Json::array();
    for (const auto& name : names) {
        Json entry = Json::object();
        entry["name"] = name;
        document.push_back(std::move(entry));
    }
    return document;
}

/// Per acquisition, the largest number of a well's fields that belong to it
/// (NGFF: "the maximum number of fields of view for the acquisition"). Fields
/// without an acquisition count for none; the published library counts them
/// as acquisition 0.
std::map<uint32_t, uint64_t>
maximum_field_counts(const std::vector<WellSpec>& wells)
{
    std::map<uint32_t, uint64_t> maxima;
    for (const auto& well : wells) {
        std::map<uint32_t, uint64_t> counts;
        for (const auto& field : well.fields) {
            if (field.acquisition_id) {
                ++counts[*field.acquisition_id];
            }
        }
        for (const auto& [id, count] : counts) {
            maxima[id] = std::max(maxima[id], count);
        }
    }
    return maxima;
}

Json
acquisition_document(const AcquisitionSpec& acquisition,
                     const std::map<uint32_t, uint64_t>& maxima)
{
    Json document = Json::object();
    document["id"] = acquisition.id;
    if (acquisition.name) {
        document["name"] = *acquisition.name;
    }
    if (acquisition.description) {
        document["description"] = *acquisition.description;
    }
    // maximumfieldcount MUST be positive: left out for an acquisition that
    // no field refers to.
    if (const auto it = maxima.find(acquisition.id); it != maxima.end()) {
        document["maximumfieldcount"] = it->second;
    }
    if (acquisition.start_time) {
        document["starttime"] = *acquisition.start_time;
    }
    if (acquisition.end_time) {
        document["endtime"] = *acquisition.end_time;
    }
    return document;
}

} // namespace

Json
NgffMetadata::multiscales(ZarrVersion version,
                          const std::string& name,
                          const std::vector<NgffAxis>& axes,
                          const std::vector<NgffDataset>& datasets,
                          ZarrDownsamplingMethod method)
{
    Json multiscale = Json::object();
    // 0.5 keeps the version in "ome" only; 0.4 has it on each multiscale.
    if (!is_v3(version)) {
        multiscale["version"] = ngff_version(version);
    }
    if (!name.empty()) {
        multiscale["name"] = name;
    }

    Json axes_document = Json::array();
    for (const auto& axis : axes) {
        axes_document.push_back(axis_document(axis));
    }
    multiscale["axes"] = std::move(axes_document);

    Json datasets_document = Json::array();
    for (const auto& dataset : datasets) {
        if (dataset.scale.size() != axes.size()) {
            fail(ZarrStatusCode_InvalidArgument,
                 "Dataset '",
                 dataset.path,
                 "' has ",
                 dataset.scale.size(),
                 " scales for ",
                 axes.size(),
                 " axes");
        }
        datasets_document.push_back(dataset_document(dataset));
    }
    multiscale["datasets"] = std::move(datasets_document);

    add_method(multiscale, method);

    if (is_v3(version)) {
        return wrap(version, "multiscales", Json::array({ multiscale }));
    }
    Json attributes = Json::object();
    attributes["multiscales"] = Json::array({ multiscale });
    return attributes;
}

Json
NgffMetadata::plate(ZarrVersion version, const PlateSpec& plate)
{
    Json document = Json::object();
    // 0.4 requires plate.version. 0.5 moved it to "ome", but the published
    // library (and other 0.5 writers) keep it here too, and readers that
    // sniff plate.version find it; the 0.5 models accept it.
    document["version"] = ngff_version(version);
    if (!plate.name.empty()) {
        document["name"] = plate.name;
    }

    std::size_t field_count = 0;
    for (const auto& well : plate.wells) {
        field_count = std::max(field_count, well.fields.size());
    }
    if (field_count > 0) { // field_count MUST be positive
        document["field_count"] = field_count;
    }

    document["rows"] = names_document(plate.rows);
    document["columns"] = names_document(plate.columns);

    Json wells = Json::array();
    for (const auto& well : plate.wells) {
        Json entry = Json::object();
        entry["path"] = well.row + "/" + well.column;
        entry["rowIndex"] = index_of(plate.rows, well.row, "row");
        entry["columnIndex"] = index_of(plate.columns, well.column, "column");
        wells.push_back(std::move(entry));
    }
    document["wells"] = std::move(wells);

    // acquisitions is optional: left out rather than written empty.
    if (!plate.acquisitions.empty()) {
        const auto maxima = maximum_field_counts(plate.wells);
        Json acquisitions = Json::array();
        for (const auto& acquisition : plate.acquisitions) {
            acquisitions.push_back(acquisition_document(acquisition, maxima));
        }
        document["acquisitions"] = std::move(acquisitions);
    }

    return wrap(version, "plate", std::move(document));
}

Json
NgffMetadata::well(ZarrVersion version, const WellSpec& well)
{
    Json images = Json::array();
    for (const auto& field : well.fields) {
        Json image = Json::object();
        image["path"] = field.path;
        if (field.acquisition_id) {
            image["acquisition"] = *field.acquisition_id;
        }
        images.push_back(std::move(image));
    }

    Json document = Json::object();
    // As for the plate: required in 0.4, redundant but accepted (and written
    // by the published library) in 0.5.
    document["version"] = ngff_version(version);
    document["images"] = std::move(images);
    return wrap(version, "well", std::move(document));
}

} // namespace zarr

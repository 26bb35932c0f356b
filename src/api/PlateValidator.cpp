#include "api/PlateValidator.hpp"

#include "api/SettingsValidator.hpp"
#include "spec/NodeKey.hpp"
#include "util/Utf8.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace zarr {
namespace {

constexpr auto kInvalid = ZarrStatusCode_InvalidSettings;

/// OME-NGFF wants row and column names of letters and digits only: they
/// are path components of the wells.
std::vector<std::string>
validate_names(const std::string& where, const char** names, std::size_t count)
{
    if (count > 0 && !names) {
        fail(ZarrStatusCode_InvalidArgument, where, " is NULL but its count is ", count);
    }
    std::vector<std::string> result;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string name = names[i] ? names[i] : "";
        if (name.empty()) {
            fail(kInvalid, where, "[", i, "] is empty");
        }
        for (const char c : name) {
            if (!std::isalnum(static_cast<unsigned char>(c))) {
                fail(kInvalid,
                     where,
                     "[",
                     i,
                     "] '",
                     printable(name),
                     "' may only use letters and digits (OME-NGFF plate rows and columns)");
            }
        }
        if (std::find(result.begin(), result.end(), name) != result.end()) {
            fail(kInvalid, where, "[", i, "] '", name, "' is listed twice");
        }
        result.push_back(name);
    }
    return result;
}

/// A caller's text for the plate document, which must be valid UTF-8.
std::optional<std::string>
optional_text(const std::string& where, const char* text)
{
    if (!text || !*text) {
        return std::nullopt;
    }
    if (!is_valid_utf8(text)) {
        fail(kInvalid, where, " '", printable(text), "' is not valid UTF-8");
    }
    return std::string(text);
}

std::vector<AcquisitionSpec>
validate_acquisitions(const std::string& where, const ZarrHCSPlate& plate)
{
    if (plate.acquisition_count > 0 && !plate.acquisitions) {
        fail(ZarrStatusCode_InvalidArgument,
             where,
             ".acquisitions is NULL but acquisition_count is ",
             plate.acquisition_count);
    }
    std::vector<AcquisitionSpec> result;
    for (std::size_t i = 0; i < plate.acquisition_count; ++i) {
        const ZarrHCSAcquisition& given = plate.acquisitions[i];
        for (const auto& earlier : result) {
            if (earlier.id == given.id) {
                fail(kInvalid,
                     where,
                     ".acquisitions[",
                     i,
                     "].id ",
                     given.id,
                     " is used by another acquisition");
            }
        }
        AcquisitionSpec acquisition;
        acquisition.id = given.id;
        const std::string at = concat(where, ".acquisitions[", i, "]");
        acquisition.name = optional_text(at + ".name", given.name);
        acquisition.description = optional_text(at + ".description", given.description);
        if (given.has_start_time) {
            acquisition.start_time = given.start_time;
        }
        if (given.has_end_time) {
            acquisition.end_time = given.end_time;
        }
        if (acquisition.start_time && acquisition.end_time &&
            *acquisition.end_time < *acquisition.start_time) {
            fail(kInvalid,
                 where,
                 ".acquisitions[",
                 i,
                 "] ends (",
                 *acquisition.end_time,
                 ") before it starts (",
                 *acquisition.start_time,
                 ")");
        }
        result.push_back(std::move(acquisition));
    }
    return result;
}

/// The well's fields; each field's array goes to `arrays`.
std::vector<FieldSpec>
validate_fields(const std::string& where,
                const ZarrHCSWell& well,
                const std::string& well_key,
                const PlateSpec& plate,
                ZarrVersion version,
                std::vector<ArrayNodeSpec>& arrays)
{
    if (well.image_count > 0 && !well.images) {
        fail(ZarrStatusCode_InvalidArgument,
             where,
             ".images is NULL but image_count is ",
             well.image_count);
    }
    std::vector<FieldSpec> fields;
    for (std::size_t i = 0; i < well.image_count; ++i) {
        const ZarrHCSFieldOfView& given = well.images[i];
        const std::string at = concat(where, ".images[", i, "]");
        FieldSpec field;
        field.path = SettingsValidator::validate_key(at + ".path", given.path);
        if (field.path.empty() || field.path.find('/') != std::string::npos) {
            fail(kInvalid,
                 at,
                 ".path '",
                 field.path,
                 "' must be one node name (the field's group inside the well)");
        }
        for (const auto& earlier : fields) {
            if (earlier.path == field.path) {
                fail(kInvalid, at, ".path '", field.path, "' is used by another field of the well");
            }
        }
        if (given.has_acquisition_id) {
            const bool declared =
              std::any_of(plate.acquisitions.begin(),
                          plate.acquisitions.end(),
                          [&](const AcquisitionSpec& a) { return a.id == given.acquisition_id; });
            if (!declared) {
                fail(kInvalid,
                     at,
                     ".acquisition_id ",
                     given.acquisition_id,
                     " is not the id of any of the plate's acquisitions");
            }
            field.acquisition_id = given.acquisition_id;
        }
        if (!given.array_settings) {
            fail(ZarrStatusCode_InvalidArgument, at, ".array_settings is NULL");
        }
        if (given.array_settings->output_key && *given.array_settings->output_key) {
            fail(kInvalid,
                 at,
                 ".array_settings.output_key is '",
                 given.array_settings->output_key,
                 "'; a field of view's key is its place in the plate ('",
                 child_key(well_key, field.path),
                 "'), so output_key must be unset");
        }
        // Every field of view is a multiscale image.
        ArrayNodeSpec array = SettingsValidator::validate_array(
          at + ".array_settings", *given.array_settings, version, true);
        array.stored.key = child_key(well_key, field.path);
        arrays.push_back(std::move(array));
        fields.push_back(std::move(field));
    }
    return fields;
}

PlateSpec
validate_plate(const std::string& where,
               const ZarrHCSPlate& given,
               ZarrVersion version,
               std::vector<ArrayNodeSpec>& arrays)
{
    PlateSpec plate;
    plate.path = SettingsValidator::validate_key(where + ".path", given.path);
    if (plate.path.empty()) {
        fail(kInvalid, where, ".path is empty; a plate needs its own group in the store");
    }
    plate.name = optional_text(where + ".name", given.name).value_or("");
    plate.rows = validate_names(where + ".row_names", given.row_names, given.row_count);
    plate.columns =
      validate_names(where + ".column_names", given.column_names, given.column_count);
    plate.acquisitions = validate_acquisitions(where, given);

    if (given.well_count > 0 && !given.wells) {
        fail(ZarrStatusCode_InvalidArgument,
             where,
             ".wells is NULL but well_count is ",
             given.well_count);
    }
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < given.well_count; ++i) {
        const ZarrHCSWell& well = given.wells[i];
        const std::string at = concat(where, ".wells[", i, "]");
        WellSpec spec;
        spec.row = well.row_name ? well.row_name : "";
        spec.column = well.column_name ? well.column_name : "";
        if (std::find(plate.rows.begin(), plate.rows.end(), spec.row) == plate.rows.end()) {
            fail(kInvalid, at, ".row_name '", spec.row, "' is not one of the plate's row_names");
        }
        if (std::find(plate.columns.begin(), plate.columns.end(), spec.column) ==
            plate.columns.end()) {
            fail(kInvalid,
                 at,
                 ".column_name '",
                 spec.column,
                 "' is not one of the plate's column_names");
        }
        if (!seen.emplace(spec.row, spec.column).second) {
            fail(kInvalid,
                 at,
                 " (row '",
                 spec.row,
                 "', column '",
                 spec.column,
                 "') is listed twice in the plate");
        }
        const std::string well_key = plate.path + "/" + spec.row + "/" + spec.column;
        spec.fields = validate_fields(at, well, well_key, plate, version, arrays);
        plate.wells.push_back(std::move(spec));
    }
    return plate;
}

} // namespace

void
PlateValidator::validate(const ZarrHCSSettings& hcs, StreamSpec& spec)
{
    if (hcs.plate_count > 0 && !hcs.plates) {
        fail(ZarrStatusCode_InvalidArgument,
             "hcs_settings.plates is NULL but plate_count is ",
             hcs.plate_count);
    }
    const std::size_t flat_arrays = spec.arrays.size();
    for (std::size_t i = 0; i < hcs.plate_count; ++i) {
        const std::string where = concat("hcs_settings.plates[", i, "]");
        PlateSpec plate = validate_plate(where, hcs.plates[i], spec.version, spec.arrays);
        for (std::size_t j = 0; j < spec.plates.size(); ++j) {
            const std::string& other = spec.plates[j].path;
            if (other == plate.path || is_below(plate.path, other) ||
                is_below(other, plate.path)) {
                fail(kInvalid,
                     where,
                     ".path '",
                     plate.path,
                     "' overlaps hcs_settings.plates[",
                     j,
                     "].path '",
                     other,
                     "'");
            }
        }
        for (std::size_t j = 0; j < flat_arrays; ++j) {
            // A flat array may sit in the plate beside its nodes (the
            // published library's "labels" in a well, next to its fields),
            // but not at the plate, a row, a well or a field, nor inside a
            // field's image, nor above the plate.
            const std::string& key = spec.arrays[j].key();
            bool collides = key == plate.path || key.empty() || is_below(plate.path, key);
            for (const auto& well : plate.wells) {
                const std::string row = plate.path + "/" + well.row;
                const std::string at = row + "/" + well.column;
                collides = collides || key == row || key == at;
                for (const auto& field : well.fields) {
                    const std::string image = at + "/" + field.path;
                    collides = collides || key == image || is_below(key, image);
                }
            }
            if (collides) {
                fail(kInvalid,
                     "arrays[",
                     j,
                     "].output_key '",
                     key,
                     "' collides with the plate at ",
                     where,
                     ".path '",
                     plate.path,
                     "'");
            }
        }
        spec.plates.push_back(std::move(plate));
    }
}

} // namespace zarr

// Structure of the OME-NGFF documents (multiscales, plate, well) for Zarr v2
// (NGFF 0.4) and v3 (NGFF 0.5).
//
// With a directory as argv[1] it also writes the documents there as minimal
// Zarr hierarchies (group metadata carrying the attributes, plus array
// metadata for every dataset) so an external validator such as
// ome-zarr-models can open them; no chunk data is written.

#include "Check.hpp"
#include "format/ArrayMetadata.hpp"
#include "format/NgffMetadata.hpp"
#include "spec/ArraySpec.hpp"
#include "spec/PlateSpec.hpp"
#include "util/ZarrError.hpp"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using zarr::NgffMetadata;
using Json = NgffMetadata::Json;

using aqz_test::check;

namespace {

template<typename F>
bool
throws(F&& f)
{
    try {
        f();
    } catch (const zarr::ZarrError&) {
        return true;
    }
    return false;
}

std::vector<std::string>
keys_of(const Json& object)
{
    std::vector<std::string> keys;
    for (const auto& [key, value] : object.items()) {
        keys.push_back(key);
    }
    return keys;
}

using Keys = std::vector<std::string>;

// ---- an image like the one probed from the published library -------------

/// t (unbounded), c 2, z 64/16, y 256/64, x 256/64; units and scales on t and
/// the spatial axes, none on c.
std::vector<zarr::DimensionSpec>
image_dimensions()
{
    return {
        { "t", ZarrDimensionType_Time, 0, 1, 1, "millisecond", 2.5 },
        { "c", ZarrDimensionType_Channel, 2, 1, 1, std::nullopt, 1.0 },
        { "z", ZarrDimensionType_Space, 64, 16, 1, "micrometer", 0.5 },
        { "y", ZarrDimensionType_Space, 256, 64, 1, "micrometer", 0.1 },
        { "x", ZarrDimensionType_Space, 256, 64, 1, "micrometer", 0.125 },
    };
}

std::vector<zarr::NgffAxis>
axes_of(const std::vector<zarr::DimensionSpec>& dimensions)
{
    std::vector<zarr::NgffAxis> axes;
    for (const auto& d : dimensions) {
        axes.push_back({ d.name, d.kind, d.unit });
    }
    return axes;
}

/// Level `level` halves every spatial dimension `level` times (as the
/// published library's pyramid does) and doubles its scale accordingly.
std::vector<uint64_t>
level_shape(const std::vector<zarr::DimensionSpec>& dimensions, int level)
{
    std::vector<uint64_t> shape;
    for (const auto& d : dimensions) {
        uint64_t size = d.size == 0 ? 2 : d.size; // 2 frames appended
        if (d.kind == ZarrDimensionType_Space) {
            for (int i = 0; i < level; ++i) {
                size = (size + 1) / 2;
            }
        }
        shape.push_back(size);
    }
    return shape;
}

std::vector<zarr::NgffDataset>
datasets_of(const std::vector<zarr::DimensionSpec>& dimensions, int levels)
{
    std::vector<zarr::NgffDataset> datasets;
    for (int level = 0; level < levels; ++level) {
        std::vector<double> scale;
        for (const auto& d : dimensions) {
            const bool halved = d.kind == ZarrDimensionType_Space;
            scale.push_back(halved ? d.scale * std::ldexp(1.0, level) : d.scale);
        }
        datasets.push_back({ std::to_string(level), scale });
    }
    return datasets;
}

// ---- a plate like the one probed from the published library -------------

/// Rows A, B; columns 1, 2, 3; wells A/1 (fov1 → acquisition 0, fov2 → 1)
/// and B/3 (fov1 without acquisition, fov2 → 0); acquisition 2 has no field.
zarr::PlateSpec
sample_plate()
{
    zarr::PlateSpec plate;
    plate.path = "plate";
    plate.name = "My plate";
    plate.rows = { "A", "B" };
    plate.columns = { "1", "2", "3" };
    plate.wells = {
        { "A", "1", { { "fov1", 0u }, { "fov2", 1u } } },
        { "B", "3", { { "fov1", std::nullopt }, { "fov2", 0u } } },
    };
    plate.acquisitions = {
        { 0, "first", "first pass", 1700000000000ull, 1700000360000ull },
        { 1, "second", std::nullopt, std::nullopt, std::nullopt },
        { 2, std::nullopt, std::nullopt, std::nullopt, std::nullopt },
    };
    return plate;
}

// ---- structure checks ----------------------------------------------------

void
check_multiscale_body(const Json& m, ZarrVersion version)
{
    CHECK(m.value("name", "") == "img");
    CHECK(m.contains("version") == (version == ZarrVersion_2));
    if (version == ZarrVersion_2) {
        CHECK(m["version"] == "0.4");
    }

    const auto& axes = m["axes"];
    CHECK(axes.size() == 5);
    CHECK(axes[0] == Json::parse(R"({"name":"t","type":"time","unit":"millisecond"})"));
    CHECK(axes[1] == Json::parse(R"({"name":"c","type":"channel"})"));
    CHECK(axes[2] == Json::parse(R"({"name":"z","type":"space","unit":"micrometer"})"));
    CHECK(axes[4]["name"] == "x");

    const auto& datasets = m["datasets"];
    CHECK(datasets.size() == 3);
    for (std::size_t i = 0; i < datasets.size(); ++i) {
        CHECK(datasets[i]["path"] == std::to_string(i));
        const auto& transforms = datasets[i]["coordinateTransformations"];
        CHECK(transforms.size() == 1);
        CHECK(transforms[0]["type"] == "scale");
        CHECK(transforms[0]["scale"].size() == 5);
    }
    CHECK(datasets[0]["coordinateTransformations"][0]["scale"] ==
          Json::parse("[2.5, 1.0, 0.5, 0.1, 0.125]"));
    CHECK(datasets[2]["coordinateTransformations"][0]["scale"] ==
          Json::parse("[2.5, 1.0, 2.0, 0.4, 0.5]"));

    CHECK(m["type"] == "local_mean");
    CHECK(m["metadata"]["method"] == "acquire-zarr");
    CHECK(m["metadata"].contains("description"));
    CHECK(m["metadata"].contains("version"));
}

void
test_multiscales()
{
    const auto dims = image_dimensions();
    const auto axes = axes_of(dims);
    const auto datasets = datasets_of(dims, 3);

    const auto v3 = NgffMetadata::multiscales(
      ZarrVersion_3, "img", axes, datasets, ZarrDownsamplingMethod_Mean);
    CHECK(keys_of(v3) == Keys{ "ome" });
    CHECK(keys_of(v3["ome"]) == (Keys{ "version", "multiscales" }));
    CHECK(v3["ome"]["version"] == "0.5");
    CHECK(v3["ome"]["multiscales"].size() == 1);
    check_multiscale_body(v3["ome"]["multiscales"][0], ZarrVersion_3);

    const auto v2 = NgffMetadata::multiscales(
      ZarrVersion_2, "img", axes, datasets, ZarrDownsamplingMethod_Mean);
    CHECK(keys_of(v2) == Keys{ "multiscales" });
    CHECK(v2["multiscales"].size() == 1);
    check_multiscale_body(v2["multiscales"][0], ZarrVersion_2);

    // The same multiscale in both, apart from where the version lives.
    auto body2 = v2["multiscales"][0];
    body2.erase("version");
    CHECK(body2 == v3["ome"]["multiscales"][0]);

    // is_ngff without a pyramid: one dataset, no type/metadata; no name.
    for (auto version : { ZarrVersion_2, ZarrVersion_3 }) {
        const auto single =
          NgffMetadata::multiscales(version,
                                    "",
                                    axes,
                                    datasets_of(dims, 1),
                                    ZarrDownsamplingMethod_None);
        const auto& m = version == ZarrVersion_3 ? single["ome"]["multiscales"][0]
                                                 : single["multiscales"][0];
        CHECK(m["datasets"].size() == 1);
        CHECK(!m.contains("type"));
        CHECK(!m.contains("metadata"));
        CHECK(!m.contains("name"));
    }

    // Every method's name, as the published library spells it.
    const std::pair<ZarrDownsamplingMethod, const char*> methods[] = {
        { ZarrDownsamplingMethod_Decimate, "decimate" },
        { ZarrDownsamplingMethod_Mean, "local_mean" },
        { ZarrDownsamplingMethod_Min, "local_min" },
        { ZarrDownsamplingMethod_Max, "local_max" },
    };
    for (const auto& [method, type] : methods) {
        const auto doc = NgffMetadata::multiscales(
          ZarrVersion_3, "img", axes, datasets, method);
        const auto& m = doc["ome"]["multiscales"][0];
        CHECK(m["type"] == type);
        CHECK(m["metadata"].is_object());
    }
    const auto decimate = NgffMetadata::multiscales(
      ZarrVersion_3, "img", axes, datasets, ZarrDownsamplingMethod_Decimate);
    CHECK(decimate["ome"]["multiscales"][0]["metadata"]["description"]
            .get<std::string>()
            .find("first") != std::string::npos);
    const auto min = NgffMetadata::multiscales(
      ZarrVersion_3, "img", axes, datasets, ZarrDownsamplingMethod_Min);
    CHECK(min["ome"]["multiscales"][0]["metadata"]["description"]
            .get<std::string>()
            .find("minimum") != std::string::npos);

    // Other axes have no type (NGFF defines none); an empty unit is left out.
    const std::vector<zarr::NgffAxis> other_axes = {
        { "p", ZarrDimensionType_Other, std::string() },
        { "y", ZarrDimensionType_Space, std::nullopt },
        { "x", ZarrDimensionType_Space, "nanometer" },
    };
    const auto other =
      NgffMetadata::multiscales(ZarrVersion_3,
                                "",
                                other_axes,
                                { { "0", { 3.0, 1.0, 1.0 } } },
                                ZarrDownsamplingMethod_None);
    const auto& other_axes_doc = other["ome"]["multiscales"][0]["axes"];
    CHECK(other_axes_doc[0] == Json::parse(R"({"name":"p"})"));
    CHECK(other_axes_doc[1] == Json::parse(R"({"name":"y","type":"space"})"));
    CHECK(other_axes_doc[2]["unit"] == "nanometer");

    // A dataset must have one scale per axis.
    CHECK(throws([&] {
        NgffMetadata::multiscales(ZarrVersion_3,
                                  "",
                                  other_axes,
                                  { { "0", { 1.0, 1.0 } } },
                                  ZarrDownsamplingMethod_None);
    }));
    CHECK(throws([&] {
        NgffMetadata::multiscales(ZarrVersion_3,
                                  "",
                                  other_axes,
                                  { { "0", { 1.0, 1.0, 1.0 } } },
                                  static_cast<ZarrDownsamplingMethod>(42));
    }));
}

void
check_plate_body(const Json& p, const char* version)
{
    CHECK(p["version"] == version);
    CHECK(p["name"] == "My plate");
    CHECK(p["field_count"] == 2);
    CHECK(p["rows"] == Json::parse(R"([{"name":"A"},{"name":"B"}])"));
    CHECK(p["columns"] == Json::parse(R"([{"name":"1"},{"name":"2"},{"name":"3"}])"));
    CHECK(p["wells"] ==
          Json::parse(R"([{"path":"A/1","rowIndex":0,"columnIndex":0},
                          {"path":"B/3","rowIndex":1,"columnIndex":2}])"));

    const auto& acquisitions = p["acquisitions"];
    CHECK(acquisitions.size() == 3);
    // Acquisition 0 has one field in each of two wells: at most one per
    // well. (The published library says 2: it counts B/3/fov1, which has no
    // acquisition, as acquisition 0.)
    CHECK(acquisitions[0] == Json::parse(R"({"id":0,"name":"first",
          "description":"first pass","maximumfieldcount":1,
          "starttime":1700000000000,"endtime":1700000360000})"));
    CHECK(acquisitions[1] ==
          Json::parse(R"({"id":1,"name":"second","maximumfieldcount":1})"));
    // No field refers to it: maximumfieldcount (which must be > 0) is left out.
    CHECK(acquisitions[2] == Json::parse(R"({"id":2})"));
}

void
test_plate()
{
    const auto plate = sample_plate();

    const auto v3 = NgffMetadata::plate(ZarrVersion_3, plate);
    CHECK(keys_of(v3) == Keys{ "ome" });
    CHECK(keys_of(v3["ome"]) == (Keys{ "version", "plate" }));
    CHECK(v3["ome"]["version"] == "0.5");
    check_plate_body(v3["ome"]["plate"], "0.5");

    const auto v2 = NgffMetadata::plate(ZarrVersion_2, plate);
    CHECK(keys_of(v2) == Keys{ "plate" });
    check_plate_body(v2["plate"], "0.4");

    // No acquisitions: the key is left out rather than written empty.
    auto bare = plate;
    bare.acquisitions.clear();
    bare.name.clear();
    for (auto& well : bare.wells) {
        for (auto& field : well.fields) {
            field.acquisition_id.reset();
        }
    }
    const auto bare_doc = NgffMetadata::plate(ZarrVersion_3, bare);
    CHECK(!bare_doc["ome"]["plate"].contains("acquisitions"));
    CHECK(!bare_doc["ome"]["plate"].contains("name"));
    CHECK(bare_doc["ome"]["plate"]["field_count"] == 2);

    // No fields at all: field_count (which must be > 0) is left out.
    zarr::PlateSpec empty;
    empty.rows = { "A" };
    empty.columns = { "1" };
    const auto empty_doc = NgffMetadata::plate(ZarrVersion_2, empty);
    CHECK(!empty_doc["plate"].contains("field_count"));
    CHECK(empty_doc["plate"]["wells"] == Json::array());

    // A well outside the plate's rows/columns is refused.
    auto stray = plate;
    stray.wells.push_back({ "C", "1", {} });
    CHECK(throws([&] { NgffMetadata::plate(ZarrVersion_3, stray); }));
    stray.wells.back() = { "A", "9", {} };
    CHECK(throws([&] { NgffMetadata::plate(ZarrVersion_2, stray); }));
}

void
test_well()
{
    const auto plate = sample_plate();

    const auto v3 = NgffMetadata::well(ZarrVersion_3, plate.wells[1]);
    CHECK(keys_of(v3) == Keys{ "ome" });
    CHECK(keys_of(v3["ome"]) == (Keys{ "version", "well" }));
    CHECK(v3["ome"]["version"] == "0.5");
    CHECK(v3["ome"]["well"] == Json::parse(R"({"version":"0.5","images":[
          {"path":"fov1"},{"path":"fov2","acquisition":0}]})"));

    const auto v2 = NgffMetadata::well(ZarrVersion_2, plate.wells[0]);
    CHECK(keys_of(v2) == Keys{ "well" });
    CHECK(v2["well"] == Json::parse(R"({"version":"0.4","images":[
          {"path":"fov1","acquisition":0},{"path":"fov2","acquisition":1}]})"));
}

// ---- optional: write the documents as Zarr hierarchies -------------------

void
write_json(const fs::path& path, const Json& document)
{
    fs::create_directories(path.parent_path());
    std::ofstream out(path);
    out << document.dump(4) << '\n';
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

void
write_group(const fs::path& dir, ZarrVersion version, const Json& attributes)
{
    if (version == ZarrVersion_3) {
        write_json(dir / "zarr.json",
                   zarr::ArrayMetadata::v3_group_document(attributes));
    } else {
        write_json(dir / ".zgroup", zarr::ArrayMetadata::v2_group_document());
        write_json(dir / ".zattrs", attributes);
    }
}

void
write_array(const fs::path& dir,
            ZarrVersion version,
            const std::vector<zarr::DimensionSpec>& dimensions,
            const std::vector<uint64_t>& shape)
{
    zarr::ArraySpec spec;
    spec.dimensions = dimensions;
    spec.data_type = ZarrDataType_uint16;
    spec.version = version;
    if (version == ZarrVersion_3) {
        write_json(dir / "zarr.json",
                   zarr::ArrayMetadata::v3_document(spec, shape, Json::object()));
    } else {
        write_json(dir / ".zarray", zarr::ArrayMetadata::v2_document(spec, shape));
    }
}

/// A multiscales group at `dir` with `levels` level arrays.
void
write_image(const fs::path& dir,
            ZarrVersion version,
            const std::vector<zarr::DimensionSpec>& dimensions,
            int levels,
            ZarrDownsamplingMethod method,
            const std::string& name)
{
    const auto datasets = datasets_of(dimensions, levels);
    write_group(dir,
                version,
                NgffMetadata::multiscales(
                  version, name, axes_of(dimensions), datasets, method));
    for (int level = 0; level < levels; ++level) {
        write_array(dir / datasets[level].path,
                    version,
                    dimensions,
                    level_shape(dimensions, level));
    }
}

void
write_plate(const fs::path& dir, ZarrVersion version)
{
    const auto plate = sample_plate();
    const std::vector<zarr::DimensionSpec> dimensions = {
        { "t", ZarrDimensionType_Time, 0, 1, 1, std::nullopt, 1.0 },
        { "c", ZarrDimensionType_Channel, 2, 1, 1, std::nullopt, 1.0 },
        { "y", ZarrDimensionType_Space, 64, 32, 1, "micrometer", 0.65 },
        { "x", ZarrDimensionType_Space, 64, 32, 1, "micrometer", 0.65 },
    };

    write_group(dir, version, NgffMetadata::plate(version, plate));
    for (const auto& row : plate.rows) {
        write_group(dir / row, version, Json::object());
    }
    for (std::size_t w = 0; w < plate.wells.size(); ++w) {
        const auto& well = plate.wells[w];
        const auto well_dir = dir / well.row / well.column;
        write_group(well_dir, version, NgffMetadata::well(version, well));
        for (std::size_t f = 0; f < well.fields.size(); ++f) {
            // One field with a pyramid, the others single-level.
            const bool pyramid = w == 0 && f == 1;
            write_image(well_dir / well.fields[f].path,
                        version,
                        dimensions,
                        pyramid ? 2 : 1,
                        pyramid ? ZarrDownsamplingMethod_Mean
                                : ZarrDownsamplingMethod_None,
                        well.fields[f].path);
        }
    }
}

void
write_hierarchies(const fs::path& root)
{
    const auto dims = image_dimensions();
    const std::vector<zarr::DimensionSpec> other_dims = {
        { "p", ZarrDimensionType_Other, 0, 1, 1, std::string(), 3.0 },
        { "y", ZarrDimensionType_Space, 32, 32, 1, std::nullopt, 1.0 },
        { "x", ZarrDimensionType_Space, 32, 32, 1, "nanometer", 7.0 },
    };

    for (auto version : { ZarrVersion_2, ZarrVersion_3 }) {
        const std::string v = version == ZarrVersion_3 ? "v3" : "v2";
        write_image(root / ("mean_" + v), version, dims, 3, ZarrDownsamplingMethod_Mean, "img");
        write_image(root / ("decimate_" + v), version, dims, 3, ZarrDownsamplingMethod_Decimate, "img");
        write_image(root / ("min_" + v), version, dims, 3, ZarrDownsamplingMethod_Min, "img");
        write_image(root / ("max_" + v), version, dims, 3, ZarrDownsamplingMethod_Max, "img");
        write_image(root / ("single_" + v), version, dims, 1, ZarrDownsamplingMethod_None, "");
        write_image(root / ("other_" + v), version, other_dims, 1, ZarrDownsamplingMethod_None, "other");
        write_plate(root / ("plate_" + v), version);
    }
}

} // namespace

int
main(int argc, char** argv)
{
    try {
        test_multiscales();
        test_plate();
        test_well();
        if (argc > 1) {
            write_hierarchies(argv[1]);
            std::cout << "wrote NGFF hierarchies under " << argv[1] << '\n';
        }
    } catch (const std::exception& e) {
        std::cerr << "unexpected exception: " << e.what() << '\n';
        return 1;
    }

    return aqz_test::summary("test_ngff_metadata");
}

// HCS plates through the C API: a plate of two wells (four fields of view,
// with and without acquisitions, one with a pyramid) next to a flat array in
// one stream, Zarr v3 and v2. Checks the settings' array list, appends by
// key, the plate / row / well / image documents (parsed with nlohmann::json)
// and every pixel (store_reader.h); then every refusal (NULL,
// InvalidSettings, a message naming it, nothing on disk) and a plate without
// acquisitions.
#include "test_helpers.h"
#include "store_reader.h"
#include "ngff_support.hpp"

#include <sys/stat.h>

#include <functional>
#include <map>

static char scratch[AQZ_PATH_MAX];

static std::string
store_path(const std::string& name)
{
    return std::string(scratch) + "/" + name;
}

static const std::vector<ZarrDimensionProperties> field_dims = {
    { "t", ZarrDimensionType_Time, 0, 2, 2, NULL, 0 },
    { "y", ZarrDimensionType_Space, 16, 8, 2, "micrometer", 0.5 },
    { "x", ZarrDimensionType_Space, 12, 8, 2, "micrometer", 0.5 },
};
static const std::vector<ZarrDimensionProperties> flat_dims = {
    { "t", ZarrDimensionType_Time, 0, 1, 4, NULL, 0 },
    { "y", ZarrDimensionType_Space, 5, 4, 2, NULL, 0 },
    { "x", ZarrDimensionType_Space, 7, 4, 2, NULL, 0 },
};
static const uint64_t kFieldRows = 3;
static const uint64_t kFlatRows = 4;

// A stream's settings: the flat array "flat" and the plate "plate" with
// rows A, B, columns 1, 2, 3, acquisitions 0, 1 and 7 (7 has no field), and
// wells A/1 (fov: acquisition 0, fov2: acquisition 0 with a MEAN pyramid)
// and B/3 (fov: acquisition 1, extra: no acquisition). Built with the
// library's create helpers and freed with its destroy helpers.
struct PlateFixture
{
    ZarrStreamSettings settings;
    ZarrHCSSettings hcs;
    ZarrArraySettings fields[4];
    std::string store;

    explicit PlateFixture(const std::string& store_, ZarrVersion version, bool with_flat = true)
      : store(store_)
    {
        memset(&settings, 0, sizeof(settings));
        memset(&hcs, 0, sizeof(hcs));
        memset(fields, 0, sizeof(fields));
        settings.store_path = store.c_str();
        settings.version = version;
        settings.overwrite = true;
        settings.hcs_settings = &hcs;

        if (with_flat) {
            ZarrStreamSettings_create_arrays(&settings, 1);
            ArrayOptions flat;
            flat.key = "flat";
            flat.type = ZarrDataType_uint8;
            flat.dims = flat_dims;
            fill_array_settings(&settings.arrays[0], flat);
        }

        for (int i = 0; i < 4; ++i) {
            ArrayOptions field;
            field.type = ZarrDataType_uint16;
            field.dims = field_dims;
            field.method = i == 1 ? ZarrDownsamplingMethod_Mean : ZarrDownsamplingMethod_None;
            fill_array_settings(&fields[i], field);
        }

        ZarrHCSSettings_create_plate_array(&hcs, 1);
        ZarrHCSPlate* plate = &hcs.plates[0];
        plate->path = "plate";
        plate->name = "Test plate";
        ZarrHCSPlate_create_row_name_array(plate, 2);
        plate->row_names[0] = "A";
        plate->row_names[1] = "B";
        ZarrHCSPlate_create_column_name_array(plate, 3);
        plate->column_names[0] = "1";
        plate->column_names[1] = "2";
        plate->column_names[2] = "3";

        ZarrHCSPlate_create_acquisition_array(plate, 3);
        plate->acquisitions[0].id = 0;
        plate->acquisitions[0].name = "first";
        plate->acquisitions[0].description = "the first run";
        plate->acquisitions[0].start_time = 1700000000ull;
        plate->acquisitions[0].has_start_time = true;
        plate->acquisitions[0].end_time = 1700003600ull;
        plate->acquisitions[0].has_end_time = true;
        plate->acquisitions[1].id = 1;
        plate->acquisitions[1].name = "second";
        plate->acquisitions[1].start_time = 1700007200ull;
        plate->acquisitions[1].has_start_time = true;
        plate->acquisitions[2].id = 7;

        ZarrHCSPlate_create_well_array(plate, 2);
        ZarrHCSWell* a1 = &plate->wells[0];
        a1->row_name = "A";
        a1->column_name = "1";
        ZarrHCSWell_create_image_array(a1, 2);
        a1->images[0].path = "fov";
        a1->images[0].acquisition_id = 0;
        a1->images[0].has_acquisition_id = true;
        a1->images[0].array_settings = &fields[0];
        a1->images[1].path = "fov2";
        a1->images[1].acquisition_id = 0;
        a1->images[1].has_acquisition_id = true;
        a1->images[1].array_settings = &fields[1];

        ZarrHCSWell* b3 = &plate->wells[1];
        b3->row_name = "B";
        b3->column_name = "3";
        ZarrHCSWell_create_image_array(b3, 2);
        b3->images[0].path = "fov";
        b3->images[0].acquisition_id = 1;
        b3->images[0].has_acquisition_id = true;
        b3->images[0].array_settings = &fields[2];
        b3->images[1].path = "extra";
        b3->images[1].has_acquisition_id = false;
        b3->images[1].array_settings = &fields[3];
    }

    ~PlateFixture()
    {
        for (size_t p = 0; hcs.plates && p < hcs.plate_count; ++p) {
            ZarrHCSPlate* plate = &hcs.plates[p];
            for (size_t w = 0; plate->wells && w < plate->well_count; ++w) {
                ZarrHCSWell_destroy_image_array(&plate->wells[w]);
            }
            ZarrHCSPlate_destroy_well_array(plate);
            ZarrHCSPlate_destroy_acquisition_array(plate);
            ZarrHCSPlate_destroy_row_name_array(plate);
            ZarrHCSPlate_destroy_column_name_array(plate);
        }
        ZarrHCSSettings_destroy_plate_array(&hcs);
        for (auto& field : fields) {
            ZarrArraySettings_destroy_dimension_array(&field);
        }
        ZarrStreamSettings_destroy_arrays(&settings);
    }

    ZarrHCSPlate& plate() { return hcs.plates[0]; }
};

static std::vector<std::string>
array_keys(const ZarrStreamSettings* settings)
{
    std::vector<std::string> keys;
    const size_t n = ZarrStreamSettings_get_array_count(settings);
    for (size_t i = 0; i < n; ++i) {
        char* key = nullptr;
        CHECK_OK(ZarrStreamSettings_get_array_key(settings, i, &key));
        keys.push_back(key ? key : "<null>");
        free(key);
    }
    return keys;
}

static std::string
joined(const std::vector<std::string>& keys)
{
    std::string text;
    for (const auto& k : keys) {
        text += (text.empty() ? "" : ", ") + k;
    }
    return text;
}

// The field keys in the order get_array_key lists them, with their data.
static const char* const kFieldKeys[4] = { "plate/A/1/fov", "plate/A/1/fov2", "plate/B/3/fov",
                                           "plate/B/3/extra" };

static std::vector<uint16_t>
field_data(int field)
{
    const RefLevel base = base_level(field_dims, kFieldRows);
    std::vector<uint16_t> data(level_pixels(base));
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = (uint16_t)(1000 * (field + 1) + (mix64(i + 977 * field) % 1000));
    }
    return data;
}

// The groups a document says it is (v3 zarr.json / v2 .zgroup) and its
// attributes.
static json
group_attributes(const std::string& dir, ZarrVersion version)
{
    if (version == ZarrVersion_3) {
        json doc = read_json(dir + "/zarr.json");
        CHECK_JSON(json_at(doc, { "node_type" }), "group");
        return json_at(doc, { "attributes" });
    }
    CHECK(path_exists((dir + "/.zgroup").c_str()));
    if (!path_exists((dir + "/.zattrs").c_str())) {
        return json::object();
    }
    return read_json(dir + "/.zattrs");
}

// The NGFF document `name` ("plate", "well") of a group: attributes.ome
// (0.5, v3) or the .zattrs (0.4, v2).
static json
ngff_document(const std::string& dir, ZarrVersion version, const char* name)
{
    json attributes = group_attributes(dir, version);
    if (version == ZarrVersion_3) {
        CHECK_JSON(json_at(attributes, { "ome", "version" }), "0.5");
        return json_at(attributes, { "ome", name });
    }
    json doc = json_at(attributes, { name });
    CHECK_JSON(json_at(doc, { "version" }), "0.4");
    return doc;
}

static void
plate_with_flat_array(ZarrVersion version)
{
    const std::string store = store_path("plate-v" + std::to_string((int)version) + ".zarr");
    PlateFixture fixture(store, version);

    // The settings list the flat array first, then the fields.
    const auto keys = array_keys(&fixture.settings);
    const std::vector<std::string> expected_keys = { "flat", kFieldKeys[0], kFieldKeys[1],
                                                     kFieldKeys[2], kFieldKeys[3] };
    if (keys != expected_keys) {
        aqz_fail(__FILE__, __LINE__, "array keys [%s], expected [%s]", joined(keys).c_str(),
                 joined(expected_keys).c_str());
    }
    char* key = nullptr;
    CHECK_STATUS(ZarrStreamSettings_get_array_key(&fixture.settings, 5, &key),
                 ZarrStatusCode_InvalidIndex);
    free(key);

    ZarrStream* stream = ZarrStream_create(&fixture.settings);
    REQUIRE(stream != nullptr);

    // Appends by key, interleaved, in pieces.
    std::vector<std::vector<uint16_t>> data;
    for (int f = 0; f < 4; ++f) {
        data.push_back(field_data(f));
    }
    std::vector<uint8_t> flat(kFlatRows * 5 * 7);
    for (size_t i = 0; i < flat.size(); ++i) {
        flat[i] = (uint8_t)(i * 3 + 1);
    }
    const size_t field_bytes = data[0].size() * 2;
    const size_t piece = 16 * 12 * 2 - 6;
    for (size_t at = 0; at < field_bytes; at += piece) {
        const size_t n = std::min(piece, field_bytes - at);
        for (int f = 0; f < 4; ++f) {
            size_t bytes_out = 0;
            CHECK_OK(ZarrStream_append(stream, (const unsigned char*)data[f].data() + at, n,
                                       &bytes_out, kFieldKeys[f]));
            CHECK_EQ(bytes_out, n);
        }
    }
    append_in_pieces(stream, flat.data(), flat.size(), 11, "flat");
    size_t bytes_out = 0;
    CHECK_STATUS(ZarrStream_append(stream, flat.data(), 1, &bytes_out, "plate/A/1"),
                 ZarrStatusCode_KeyNotFound);
    CHECK_STATUS(ZarrStream_append(stream, flat.data(), 1, &bytes_out, "plate/A/2/fov"),
                 ZarrStatusCode_KeyNotFound);
    CHECK_OK(ZarrStream_close(stream));

    // The root group and the plate.
    group_attributes(store, version);
    json plate = ngff_document(store + "/plate", version, "plate");
    CHECK_JSON(json_at(plate, { "name" }), "Test plate");
    CHECK_JSON(json_at(plate, { "rows" }), json::parse(R"([{"name":"A"},{"name":"B"}])"));
    CHECK_JSON(json_at(plate, { "columns" }),
               json::parse(R"([{"name":"1"},{"name":"2"},{"name":"3"}])"));
    CHECK_JSON(json_at(plate, { "wells" }),
               json::parse(R"([{"path":"A/1","rowIndex":0,"columnIndex":0},
                               {"path":"B/3","rowIndex":1,"columnIndex":2}])"));
    CHECK_JSON(json_at(plate, { "field_count" }), 2);
    json acquisitions = json_at(plate, { "acquisitions" });
    REQUIRE(acquisitions.is_array() && acquisitions.size() == 3);
    CHECK_JSON(acquisitions[0], json::parse(R"({"id":0,"name":"first",
        "description":"the first run","maximumfieldcount":2,
        "starttime":1700000000,"endtime":1700003600})"));
    CHECK_JSON(acquisitions[1], json::parse(R"({"id":1,"name":"second",
        "maximumfieldcount":1,"starttime":1700007200})"));
    CHECK_JSON(json_at(acquisitions, { 2, "id" }), 7);
    // No field refers to acquisition 7: maximumfieldcount (which must be
    // positive) is left out or positive, never 0.
    json max7 = json_at(acquisitions, { 2, "maximumfieldcount" });
    CHECK(max7.is_null() || (max7.is_number_integer() && max7.get<int>() > 0));
    CHECK(!acquisitions[2].contains("starttime") && !acquisitions[2].contains("endtime"));

    // Row groups (no attributes of their own needed), wells, and no group
    // for a well that was not listed.
    group_attributes(store + "/plate/A", version);
    group_attributes(store + "/plate/B", version);
    CHECK(!path_exists((store + "/plate/A/2").c_str()));
    CHECK(!path_exists((store + "/plate/B/1").c_str()));
    json a1 = ngff_document(store + "/plate/A/1", version, "well");
    CHECK_JSON(json_at(a1, { "images" }),
               json::parse(R"([{"path":"fov","acquisition":0},{"path":"fov2","acquisition":0}])"));
    json b3 = ngff_document(store + "/plate/B/3", version, "well");
    CHECK_JSON(json_at(b3, { "images" }),
               json::parse(R"([{"path":"fov","acquisition":1},{"path":"extra"}])"));

    // Each field is a multiscale image; fov2 has a MEAN pyramid.
    const RefLevel base = base_level(field_dims, kFieldRows);
    for (int f = 0; f < 4; ++f) {
        const std::string dir = store + "/" + kFieldKeys[f];
        const auto levels = plan_reference(base, f == 1 ? 0 : 1);
        const auto expected = f == 1 ? reference_pyramid<uint16_t>(data[f], levels,
                                                                   ZarrDownsamplingMethod_Mean)
                                     : std::vector<std::vector<uint16_t>>{ data[f] };
        const size_t count = f == 1 ? levels.size() : 1;
        std::vector<RefLevel> used(levels.begin(), levels.begin() + count);
        check_multiscales(dir, (int)version, used, f == 1 ? "mean" : nullptr);
        for (size_t i = 0; i < count; ++i) {
            const std::string array_dir = dir + "/" + std::to_string(i);
            check_level_metadata(array_dir, (int)version, levels[i]);
            compare_levels<uint16_t>(read_level<uint16_t>(array_dir, (int)version, levels[i],
                                                          nullptr),
                                     expected[i], array_dir.substr(store.size()));
        }
        CHECK(!path_exists((dir + "/" + std::to_string(count)).c_str()));
    }
    CHECK(path_exists((store + "/plate/A/1/fov2/1").c_str()));

    // The flat array, a plain array beside the plate.
    const RefLevel flat_level = base_level(flat_dims, kFlatRows);
    check_level_metadata(store + "/flat", (int)version, flat_level);
    std::vector<uint8_t> flat_actual =
      read_level<uint8_t>(store + "/flat", (int)version, flat_level, nullptr);
    compare_levels<uint8_t>(flat_actual, flat, "flat");
}

static void
test_plate_with_flat_array_v3(void)
{
    plate_with_flat_array(ZarrVersion_3);
}

static void
test_plate_with_flat_array_v2(void)
{
    plate_with_flat_array(ZarrVersion_2);
}

// ---- a plate without acquisitions -------------------------------------------

static void
plate_without_acquisitions(ZarrVersion version)
{
    const std::string store =
      store_path("no-acquisitions-v" + std::to_string((int)version) + ".zarr");
    PlateFixture fixture(store, version, false);
    ZarrHCSPlate& plate = fixture.plate();
    ZarrHCSPlate_destroy_acquisition_array(&plate);
    CHECK(plate.acquisitions == nullptr);
    CHECK_EQ(plate.acquisition_count, 0);
    for (size_t w = 0; w < plate.well_count; ++w) {
        for (size_t i = 0; i < plate.wells[w].image_count; ++i) {
            plate.wells[w].images[i].has_acquisition_id = false;
        }
    }
    CHECK_EQ(ZarrStreamSettings_get_array_count(&fixture.settings), 4);
    ZarrStream* stream = ZarrStream_create(&fixture.settings);
    REQUIRE(stream != nullptr);
    // One frame into the first field only; the others stay empty.
    std::vector<uint16_t> frame(16 * 12, 9);
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame.data(), frame.size() * 2, &bytes_out,
                               "plate/A/1/fov"));
    CHECK_OK(ZarrStream_close(stream));

    json doc = ngff_document(store + "/plate", version, "plate");
    json acquisitions = json_at(doc, { "acquisitions" });
    CHECK(acquisitions.is_null() || (acquisitions.is_array() && acquisitions.empty()));
    CHECK_JSON(json_at(doc, { "field_count" }), 2);
    CHECK_JSON(json_at(ngff_document(store + "/plate/A/1", version, "well"), { "images" }),
               json::parse(R"([{"path":"fov"},{"path":"fov2"}])"));
    RefLevel level = base_level(field_dims, 1);
    compare_levels<uint16_t>(
      read_level<uint16_t>(store + "/plate/A/1/fov/0", (int)version, level, nullptr), frame,
      "no-acquisition fov");
}

static void
test_plate_without_acquisitions_v3(void)
{
    plate_without_acquisitions(ZarrVersion_3);
}

static void
test_plate_without_acquisitions_v2(void)
{
    plate_without_acquisitions(ZarrVersion_2);
}

// A plate whose only well has no fields yet: its groups are still written.
static void
test_well_without_fields(void)
{
    const std::string store = store_path("empty-well.zarr");
    PlateFixture fixture(store, ZarrVersion_3);
    ZarrHCSWell_destroy_image_array(&fixture.plate().wells[1]);
    CHECK_EQ(ZarrStreamSettings_get_array_count(&fixture.settings), 3);
    ZarrStream* stream = ZarrStream_create(&fixture.settings);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    json b3 = ngff_document(store + "/plate/B/3", ZarrVersion_3, "well");
    CHECK_JSON(json_at(b3, { "images" }), json::array());
    json plate = ngff_document(store + "/plate", ZarrVersion_3, "plate");
    // Acquisition 1 lost its only field: no maximumfieldcount of 0.
    json max1 = json_at(plate, { "acquisitions", 1, "maximumfieldcount" });
    CHECK(max1.is_null() || (max1.is_number_integer() && max1.get<int>() > 0));
    CHECK_JSON(json_at(plate, { "acquisitions", 0, "maximumfieldcount" }), 2);
    CHECK_JSON(json_at(plate, { "field_count" }), 2);
}

// Keys are normalised like output_key: a plate path "/plate/" still
// names its fields "plate/A/1/fov", and that key appends.
static void
test_field_keys_are_normalised(void)
{
    const std::string store = store_path("normalised.zarr");
    PlateFixture fixture(store, ZarrVersion_3);
    fixture.plate().path = "/plate/";
    const auto keys = array_keys(&fixture.settings);
    REQUIRE(keys.size() == 5);
    CHECK(keys[1] == "plate/A/1/fov");
    if (keys[1] != "plate/A/1/fov") {
        fprintf(stderr, "   get_array_key(1) = \"%s\"\n", keys[1].c_str());
    }
    ZarrStream* stream = ZarrStream_create(&fixture.settings);
    REQUIRE(stream != nullptr);
    std::vector<uint16_t> frame(16 * 12, 5);
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame.data(), frame.size() * 2, &bytes_out,
                               keys[1].c_str()));
    CHECK_OK(ZarrStream_append(stream, frame.data(), frame.size() * 2, &bytes_out,
                               "plate/A/1/fov"));
    CHECK_OK(ZarrStream_close(stream));
    CHECK(path_exists((store + "/plate/A/1/fov/0").c_str()));
}

// ---- refusals ----------------------------------------------------------------

static void
expect_refused(const char* what,
               ZarrVersion version,
               const std::function<void(PlateFixture&)>& spoil,
               std::vector<const char*> names)
{
    char dir[AQZ_PATH_MAX];
    path_fmt(dir, "%s/refused", scratch);
    mkdir(dir, 0755);
    PlateFixture fixture(std::string(dir) + "/store.zarr", version);
    spoil(fixture);
    ZarrStream* stream = ZarrStream_create(&fixture.settings);
    const ZarrStatusCode status = Zarr_get_last_status();
    const std::string error = Zarr_get_last_error();
    if (stream) {
        aqz_fail(__FILE__, __LINE__, "[%s] ZarrStream_create succeeded", what);
        ZarrStream_destroy(stream);
    } else {
        if (status != ZarrStatusCode_InvalidSettings) {
            aqz_fail(__FILE__, __LINE__, "[%s] status %d (%s), expected InvalidSettings", what,
                     (int)status, error.c_str());
        }
        for (const char* name : names) {
            if (!contains_ci(error.c_str(), name)) {
                aqz_fail(__FILE__, __LINE__, "[%s] \"%s\" does not name %s", what,
                         error.c_str(), name);
            }
        }
        fprintf(stderr, "   [%s] -> %s\n", what, error.c_str());
    }
    if (tree_entry_count(dir) != 0) {
        aqz_fail(__FILE__, __LINE__, "[%s] files created on disk", what);
    }
    remove_tree(dir);
}

static void
test_refusals(void)
{
    for (ZarrVersion version : { ZarrVersion_3, ZarrVersion_2 }) {
        expect_refused(
          "duplicate well", version,
          [](PlateFixture& f) {
              f.plate().wells[1].row_name = "A";
              f.plate().wells[1].column_name = "1";
          },
          { "wells[1]", "'A'", "'1'" });
        expect_refused(
          "duplicate field path", version,
          [](PlateFixture& f) { f.plate().wells[0].images[1].path = "fov"; },
          { "wells[0].images[1]", "'fov'" });
        expect_refused(
          "row not in the plate", version,
          [](PlateFixture& f) { f.plate().wells[1].row_name = "C"; },
          { "wells[1].row_name", "'C'" });
        expect_refused(
          "column not in the plate", version,
          [](PlateFixture& f) { f.plate().wells[0].column_name = "4"; },
          { "wells[0].column_name", "'4'" });
        expect_refused(
          "field with an output_key", version,
          [](PlateFixture& f) { f.fields[2].output_key = "elsewhere"; },
          { "wells[1].images[0]", "output_key", "elsewhere" });
        expect_refused(
          "flat array at the plate", version,
          [](PlateFixture& f) { f.settings.arrays[0].output_key = "plate"; },
          { "arrays[0]", "output_key", "'plate'" });
        expect_refused(
          "flat array inside the plate", version,
          [](PlateFixture& f) { f.settings.arrays[0].output_key = "plate/A/1/fov"; },
          { "arrays[0]", "plate/A/1/fov" });
        expect_refused(
          "flat array above the plate", version,
          [](PlateFixture& f) { f.plate().path = "flat/plate"; },
          { "arrays[0]", "'flat'" });
        expect_refused(
          "flat array at the root", version,
          [](PlateFixture& f) { f.settings.arrays[0].output_key = ""; },
          { "arrays[0]", "plate" });
        expect_refused(
          "undeclared acquisition", version,
          [](PlateFixture& f) { f.plate().wells[1].images[0].acquisition_id = 9; },
          { "acquisition_id", "9" });
        expect_refused(
          "undeclared acquisition 0 without acquisitions", version,
          [](PlateFixture& f) { ZarrHCSPlate_destroy_acquisition_array(&f.plate()); },
          { "acquisition_id", "0" });
    }

    // More that a plate cannot be.
    expect_refused(
      "duplicate acquisition id", ZarrVersion_3,
      [](PlateFixture& f) { f.plate().acquisitions[2].id = 1; },
      { "acquisitions[2]", "1" });
    expect_refused(
      "acquisition ends before it starts", ZarrVersion_3,
      [](PlateFixture& f) {
          f.plate().acquisitions[0].end_time = 1600000000ull;
      },
      { "acquisitions[0]", "1600000000" });
    expect_refused(
      "row name with a slash", ZarrVersion_3,
      [](PlateFixture& f) { f.plate().row_names[1] = "B/x"; },
      { "row_names[1]", "B/x" });
    expect_refused(
      "row listed twice", ZarrVersion_3,
      [](PlateFixture& f) { f.plate().row_names[1] = "A"; },
      { "row_names[1]", "'A'" });
    expect_refused(
      "field path with a slash", ZarrVersion_3,
      [](PlateFixture& f) { f.plate().wells[0].images[0].path = "a/b"; },
      { "wells[0].images[0].path", "a/b" });
    expect_refused(
      "plate without a path", ZarrVersion_3,
      [](PlateFixture& f) { f.plate().path = ""; },
      { "plates[0].path" });
}

// Two plates in one stream: fields listed plate by plate; overlapping
// plate paths are refused.
static void
test_two_plates(void)
{
    const std::string store = store_path("two-plates.zarr");
    PlateFixture first(store, ZarrVersion_3);
    PlateFixture second(store, ZarrVersion_3, false);
    // Move the plates into one array of two (shallow copies: `second`
    // keeps ownership of its wells and names).
    ZarrHCSPlate plates[2] = { first.plate(), second.plate() };
    plates[1].path = "other";
    ZarrHCSSettings hcs = { plates, 2 };
    first.settings.hcs_settings = &hcs;
    const auto keys = array_keys(&first.settings);
    REQUIRE(keys.size() == 9);
    CHECK(keys[0] == "flat");
    CHECK(keys[4] == "plate/B/3/extra");
    CHECK(keys[5] == "other/A/1/fov");
    CHECK(keys[8] == "other/B/3/extra");
    ZarrStream* stream = ZarrStream_create(&first.settings);
    REQUIRE(stream != nullptr);
    std::vector<uint16_t> frame(16 * 12, 4);
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, frame.data(), frame.size() * 2, &bytes_out,
                               "other/B/3/extra"));
    CHECK_OK(ZarrStream_close(stream));
    json plate = ngff_document(store + "/other", ZarrVersion_3, "plate");
    CHECK_EQ(json_at(plate, { "wells" }).size(), 2);
    compare_levels<uint16_t>(read_level<uint16_t>(store + "/other/B/3/extra/0", 3,
                                                  base_level(field_dims, 1), nullptr),
                             frame, "other/B/3/extra");

    char dir[AQZ_PATH_MAX];
    path_fmt(dir, "%s/refused-plates", scratch);
    mkdir(dir, 0755);
    const std::string refused_store = std::string(dir) + "/store.zarr";
    first.settings.store_path = refused_store.c_str();
    plates[1].path = "plate/inner";
    CHECK(ZarrStream_create(&first.settings) == nullptr);
    CHECK_EQ(Zarr_get_last_status(), ZarrStatusCode_InvalidSettings);
    CHECK(contains_ci(Zarr_get_last_error(), "plate/inner"));
    plates[1].path = "plate";
    CHECK(ZarrStream_create(&first.settings) == nullptr);
    CHECK_EQ(Zarr_get_last_status(), ZarrStatusCode_InvalidSettings);
    CHECK_EQ(tree_entry_count(dir), 0);
    remove_tree(dir);
    first.settings.hcs_settings = &first.hcs;
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }

    RUN_TEST(test_plate_with_flat_array_v3);
    RUN_TEST(test_plate_with_flat_array_v2);
    RUN_TEST(test_plate_without_acquisitions_v3);
    RUN_TEST(test_plate_without_acquisitions_v2);
    RUN_TEST(test_well_without_fields);
    RUN_TEST(test_field_keys_are_normalised);
    RUN_TEST(test_refusals);
    RUN_TEST(test_two_plates);

    remove_tree(scratch);
    return test_summary();
}

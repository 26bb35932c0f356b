// Settings documents: ZarrStreamSettings_load_from_file / _load_from_string /
// _destroy_loaded / _dump_to_file / _dump_to_string, the published library's
// functions with its document schema (version 2; version-1 documents are
// migrated). Checked here: the documents written match the published
// library's byte for byte (JSON), the published library's YAML loads, every
// field and default, round trips in both formats, ownership, and a clear
// error naming the field (and line) for each kind of bad document.
#include "test_helpers.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using nlohmann::json;

static char scratch[AQZ_PATH_MAX];

/* The published declarations: enum values and function types. */
static_assert(ZarrConfigFormat_Yaml == 0 && ZarrConfigFormat_Json == 1 && ZarrConfigFormatCount == 2);
[[maybe_unused]] static ZarrStatusCode (*const kLoadFromFile)(ZarrStreamSettings*, const char*) =
  ZarrStreamSettings_load_from_file;
[[maybe_unused]] static ZarrStatusCode (*const kLoadFromString)(ZarrStreamSettings*, const char*) =
  ZarrStreamSettings_load_from_string;
[[maybe_unused]] static void (*const kDestroyLoaded)(ZarrStreamSettings*) = ZarrStreamSettings_destroy_loaded;
[[maybe_unused]] static ZarrStatusCode (*const kDumpToFile)(const ZarrStreamSettings*, const char*) =
  ZarrStreamSettings_dump_to_file;
[[maybe_unused]] static ZarrStatusCode (*const kDumpToString)(const ZarrStreamSettings*, char**, ZarrConfigFormat) =
  ZarrStreamSettings_dump_to_string;

/* What the published acquire-zarr 0.10.0 writes (ZarrStreamSettings_dump_to_string,
 * ZarrConfigFormat_Json, here compacted) for the settings of full_settings(). */
static const char* kPublishedJson =
  R"PUB({"arrays":[{"data_type":"uint16","dimensions":[{"array_size_px":0,"chunk_size_px":16,"name":"t","scale":1.0,"shard_size_chunks":1,"type":"time"},{"array_size_px":1024,"chunk_size_px":256,"name":"y","scale":1.0,"shard_size_chunks":4,"type":"space"},{"array_size_px":1024,"chunk_size_px":256,"name":"x","scale":1.0,"shard_size_chunks":4,"type":"space"}],"downsampling_method":"none","is_ngff":false},{"compression":{"codec":"blosc-zstd","compressor":"blosc1","level":3,"shuffle":2},"data_type":"float32","dimensions":[{"array_size_px":0,"chunk_size_px":1,"name":"t","scale":2.0,"shard_size_chunks":16,"type":"time","unit":"second"},{"array_size_px":64,"chunk_size_px":16,"name":"z","scale":0.5,"shard_size_chunks":4,"type":"space","unit":"micrometer"},{"array_size_px":2,"chunk_size_px":1,"name":"c","scale":1.0,"shard_size_chunks":2,"type":"channel"},{"array_size_px":512,"chunk_size_px":128,"name":"y","scale":0.125,"shard_size_chunks":2,"type":"space","unit":"micrometer"},{"array_size_px":512,"chunk_size_px":128,"name":"x","scale":0.125,"shard_size_chunks":2,"type":"other","unit":""}],"downsampling_method":"mean","is_ngff":true,"max_levels":2,"output_key":"path/img","storage_dimension_order":[0,2,1,3,4]}],"max_threads":2,"overwrite":true,"plates":[{"acquisitions":[{"description":"the first","end_time":1343737645000,"id":4,"name":"first","start_time":1343731272000},{"id":5}],"column_names":["1","10","true"],"name":"Plate 1","path":"plate","row_names":["A","B"],"wells":[{"column_name":"10","images":[{"acquisition_id":4,"array":{"data_type":"int16","dimensions":[{"array_size_px":64,"chunk_size_px":32,"name":"y","scale":1.0,"shard_size_chunks":1,"type":"space"},{"array_size_px":64,"chunk_size_px":32,"name":"x","scale":1.0,"shard_size_chunks":1,"type":"space"}],"downsampling_method":"decimate","is_ngff":false,"max_levels":0},"path":"fov1"},{"array":{"data_type":"int16","dimensions":[{"array_size_px":64,"chunk_size_px":32,"name":"y","scale":1.0,"shard_size_chunks":1,"type":"space"},{"array_size_px":64,"chunk_size_px":32,"name":"x","scale":1.0,"shard_size_chunks":1,"type":"space"}],"downsampling_method":"decimate","is_ngff":false,"max_levels":0},"path":"fov2"}],"row_name":"B"}]}],"s3":{"bucket_name":"bucket","endpoint":"http://127.0.0.1:9000","region":"us-east-1"},"store_path":"experiment.zarr","version":2})PUB";

/* ... and with ZarrConfigFormat_Yaml. */
static const char* kPublishedYaml = R"PUB(arrays:
  - data_type: uint16
    dimensions:
      - array_size_px: 0
        chunk_size_px: 16
        name: t
        scale: 1
        shard_size_chunks: 1
        type: time
      - array_size_px: 1024
        chunk_size_px: 256
        name: y
        scale: 1
        shard_size_chunks: 4
        type: space
      - array_size_px: 1024
        chunk_size_px: 256
        name: x
        scale: 1
        shard_size_chunks: 4
        type: space
    downsampling_method: none
    is_ngff: false
  - compression:
      codec: blosc-zstd
      compressor: blosc1
      level: 3
      shuffle: 2
    data_type: float32
    dimensions:
      - array_size_px: 0
        chunk_size_px: 1
        name: t
        scale: 2
        shard_size_chunks: 16
        type: time
        unit: second
      - array_size_px: 64
        chunk_size_px: 16
        name: z
        scale: 0.5
        shard_size_chunks: 4
        type: space
        unit: micrometer
      - array_size_px: 2
        chunk_size_px: 1
        name: c
        scale: 1
        shard_size_chunks: 2
        type: channel
      - array_size_px: 512
        chunk_size_px: 128
        name: y
        scale: 0.125
        shard_size_chunks: 2
        type: space
        unit: micrometer
      - array_size_px: 512
        chunk_size_px: 128
        name: x
        scale: 0.125
        shard_size_chunks: 2
        type: other
        unit: ""
    downsampling_method: mean
    is_ngff: true
    max_levels: 2
    output_key: path/img
    storage_dimension_order:
      - 0
      - 2
      - 1
      - 3
      - 4
max_threads: 2
overwrite: true
plates:
  - acquisitions:
      - description: the first
        end_time: 1343737645000
        id: 4
        name: first
        start_time: 1343731272000
      - id: 5
    column_names:
      - "1"
      - "10"
      - "true"
    name: Plate 1
    path: plate
    row_names:
      - A
      - B
    wells:
      - column_name: "10"
        images:
          - acquisition_id: 4
            array:
              data_type: int16
              dimensions:
                - array_size_px: 64
                  chunk_size_px: 32
                  name: y
                  scale: 1
                  shard_size_chunks: 1
                  type: space
                - array_size_px: 64
                  chunk_size_px: 32
                  name: x
                  scale: 1
                  shard_size_chunks: 1
                  type: space
              downsampling_method: decimate
              is_ngff: false
              max_levels: 0
            path: fov1
          - array:
              data_type: int16
              dimensions:
                - array_size_px: 64
                  chunk_size_px: 32
                  name: y
                  scale: 1
                  shard_size_chunks: 1
                  type: space
                - array_size_px: 64
                  chunk_size_px: 32
                  name: x
                  scale: 1
                  shard_size_chunks: 1
                  type: space
              downsampling_method: decimate
              is_ngff: false
              max_levels: 0
            path: fov2
        row_name: B
s3:
  bucket_name: bucket
  endpoint: http://127.0.0.1:9000
  region: us-east-1
store_path: experiment.zarr
version: 2)PUB";

/* ---- a settings struct using every field ------------------------------- */

struct Full
{
    ZarrDimensionProperties d0[3] = {
        { "t", ZarrDimensionType_Time, 0, 16, 1, nullptr, 1.0 },
        { "y", ZarrDimensionType_Space, 1024, 256, 4, nullptr, 1.0 },
        { "x", ZarrDimensionType_Space, 1024, 256, 4, nullptr, 1.0 },
    };
    ZarrDimensionProperties d1[5] = {
        { "t", ZarrDimensionType_Time, 0, 1, 16, "second", 2.0 },
        { "z", ZarrDimensionType_Space, 64, 16, 4, "micrometer", 0.5 },
        { "c", ZarrDimensionType_Channel, 2, 1, 2, nullptr, 1.0 },
        { "y", ZarrDimensionType_Space, 512, 128, 2, "micrometer", 0.125 },
        { "x", ZarrDimensionType_Other, 512, 128, 2, "", 0.125 },
    };
    size_t order[5] = { 0, 2, 1, 3, 4 };
    ZarrCompressionSettings zc = { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscZstd, 3, 2 };
    ZarrArraySettings arrays[2] = {
        { nullptr, nullptr, d0, 3, ZarrDataType_uint16, ZarrDownsamplingMethod_None, 0, nullptr, false },
        { "path/img", &zc, d1, 5, ZarrDataType_float32, ZarrDownsamplingMethod_Mean, 2, order, true },
    };
    ZarrDimensionProperties d2[2] = {
        { "y", ZarrDimensionType_Space, 64, 32, 1, nullptr, 1.0 },
        { "x", ZarrDimensionType_Space, 64, 32, 1, nullptr, 1.0 },
    };
    ZarrArraySettings field_array = { nullptr, nullptr, d2, 2, ZarrDataType_int16,
                                      ZarrDownsamplingMethod_Decimate, 0, nullptr, false };
    ZarrHCSFieldOfView fovs[2] = { { "fov1", 4, true, &field_array }, { "fov2", 0, false, &field_array } };
    ZarrHCSWell wells[1] = { { "B", "10", fovs, 2 } };
    ZarrHCSAcquisition acquisitions[2] = {
        { 4, "first", "the first", 1343731272000ULL, true, 1343737645000ULL, true },
        { 5, nullptr, nullptr, 0, false, 0, false },
    };
    const char* rows[2] = { "A", "B" };
    const char* columns[3] = { "1", "10", "true" };
    ZarrHCSPlate plates[1] = { { "plate", "Plate 1", rows, 2, columns, 3, wells, 1, acquisitions, 2 } };
    ZarrHCSSettings hcs = { plates, 1 };
    ZarrS3Settings s3 = { "http://127.0.0.1:9000", "bucket", "us-east-1" };
    ZarrStreamSettings settings = { "experiment.zarr", &s3, ZarrVersion_3, 2, true, arrays, 2, &hcs };
};

/* ---- comparing settings field by field ---------------------------------- */

static std::string
str(const char* s)
{
    return s ? s : "<NULL>";
}

#define SAME(a, b) same_value(__FILE__, __LINE__, #a, (a), (b))

template<typename T>
static bool
same_value(const char* file, int line, const char* what, const T& a, const T& b)
{
    if (a == b) {
        return true;
    }
    aqz_fail(file, line, "%s differs", what);
    return false;
}

static bool
same_string(const char* what, const char* a, const char* b)
{
    if (str(a) == str(b) && (a == nullptr) == (b == nullptr)) {
        return true;
    }
    aqz_fail(__FILE__, __LINE__, "%s: '%s' vs '%s'", what, str(a).c_str(), str(b).c_str());
    return false;
}

static void
same_array(const ZarrArraySettings& a, const ZarrArraySettings& b, const std::string& where)
{
    same_string((where + ".output_key").c_str(), a.output_key, b.output_key);
    SAME(int(a.data_type), int(b.data_type));
    SAME(int(a.downsampling_method), int(b.downsampling_method));
    SAME(a.max_levels, b.max_levels);
    SAME(a.is_ngff, b.is_ngff);
    SAME(a.compression_settings == nullptr, b.compression_settings == nullptr);
    if (a.compression_settings && b.compression_settings) {
        SAME(int(a.compression_settings->compressor), int(b.compression_settings->compressor));
        SAME(int(a.compression_settings->codec), int(b.compression_settings->codec));
        SAME(a.compression_settings->level, b.compression_settings->level);
        SAME(a.compression_settings->shuffle, b.compression_settings->shuffle);
    }
    if (!SAME(a.dimension_count, b.dimension_count)) {
        return;
    }
    for (size_t i = 0; i < a.dimension_count; ++i) {
        const auto &x = a.dimensions[i], &y = b.dimensions[i];
        const std::string d = where + ".dimensions[" + std::to_string(i) + "]";
        same_string((d + ".name").c_str(), x.name, y.name);
        same_string((d + ".unit").c_str(), x.unit, y.unit);
        SAME(int(x.type), int(y.type));
        SAME(x.array_size_px, y.array_size_px);
        SAME(x.chunk_size_px, y.chunk_size_px);
        SAME(x.shard_size_chunks, y.shard_size_chunks);
        SAME(x.scale, y.scale);
    }
    SAME(a.storage_dimension_order == nullptr, b.storage_dimension_order == nullptr);
    if (a.storage_dimension_order && b.storage_dimension_order) {
        for (size_t i = 0; i < a.dimension_count; ++i) {
            SAME(a.storage_dimension_order[i], b.storage_dimension_order[i]);
        }
    }
}

static void
same_settings(const ZarrStreamSettings& a, const ZarrStreamSettings& b)
{
    same_string("store_path", a.store_path, b.store_path);
    SAME(int(a.version == 0 ? ZarrVersion_3 : a.version), int(b.version == 0 ? ZarrVersion_3 : b.version));
    SAME(a.max_threads, b.max_threads);
    SAME(a.overwrite, b.overwrite);
    SAME(a.s3_settings == nullptr, b.s3_settings == nullptr);
    if (a.s3_settings && b.s3_settings) {
        same_string("s3.endpoint", a.s3_settings->endpoint, b.s3_settings->endpoint);
        same_string("s3.bucket_name", a.s3_settings->bucket_name, b.s3_settings->bucket_name);
        same_string("s3.region", a.s3_settings->region, b.s3_settings->region);
    }
    if (SAME(a.array_count, b.array_count)) {
        for (size_t i = 0; i < a.array_count; ++i) {
            same_array(a.arrays[i], b.arrays[i], "arrays[" + std::to_string(i) + "]");
        }
    }
    const size_t plates_a = a.hcs_settings ? a.hcs_settings->plate_count : 0;
    const size_t plates_b = b.hcs_settings ? b.hcs_settings->plate_count : 0;
    if (!SAME(plates_a, plates_b)) {
        return;
    }
    for (size_t p = 0; p < plates_a; ++p) {
        const auto &x = a.hcs_settings->plates[p], &y = b.hcs_settings->plates[p];
        same_string("plate.path", x.path, y.path);
        same_string("plate.name", x.name, y.name);
        if (SAME(x.row_count, y.row_count)) {
            for (size_t i = 0; i < x.row_count; ++i) {
                same_string("row", x.row_names[i], y.row_names[i]);
            }
        }
        if (SAME(x.column_count, y.column_count)) {
            for (size_t i = 0; i < x.column_count; ++i) {
                same_string("column", x.column_names[i], y.column_names[i]);
            }
        }
        if (SAME(x.acquisition_count, y.acquisition_count)) {
            for (size_t i = 0; i < x.acquisition_count; ++i) {
                const auto &u = x.acquisitions[i], &v = y.acquisitions[i];
                SAME(u.id, v.id);
                same_string("acquisition.name", u.name, v.name);
                same_string("acquisition.description", u.description, v.description);
                SAME(u.has_start_time, v.has_start_time);
                SAME(u.has_end_time, v.has_end_time);
                if (u.has_start_time) {
                    SAME(u.start_time, v.start_time);
                }
                if (u.has_end_time) {
                    SAME(u.end_time, v.end_time);
                }
            }
        }
        if (!SAME(x.well_count, y.well_count)) {
            continue;
        }
        for (size_t w = 0; w < x.well_count; ++w) {
            const auto &u = x.wells[w], &v = y.wells[w];
            same_string("well.row_name", u.row_name, v.row_name);
            same_string("well.column_name", u.column_name, v.column_name);
            if (!SAME(u.image_count, v.image_count)) {
                continue;
            }
            for (size_t k = 0; k < u.image_count; ++k) {
                const auto &f = u.images[k], &g = v.images[k];
                same_string("fov.path", f.path, g.path);
                SAME(f.has_acquisition_id, g.has_acquisition_id);
                if (f.has_acquisition_id) {
                    SAME(f.acquisition_id, g.acquisition_id);
                }
                if (SAME(f.array_settings == nullptr, g.array_settings == nullptr) && f.array_settings) {
                    same_array(*f.array_settings, *g.array_settings, "fov.array");
                }
            }
        }
    }
}

static std::string
dump(const ZarrStreamSettings& s, ZarrConfigFormat format)
{
    char* text = nullptr;
    const ZarrStatusCode status = ZarrStreamSettings_dump_to_string(&s, &text, format);
    if (status != ZarrStatusCode_Success || !text) {
        aqz_fail(__FILE__, __LINE__, "dump_to_string: %s", Zarr_get_last_error());
        return "";
    }
    std::string out = text;
    free(text);
    return out;
}

static bool
is_zeroed(const ZarrStreamSettings& s)
{
    ZarrStreamSettings zero;
    memset(&zero, 0, sizeof zero);
    return memcmp(&s, &zero, sizeof zero) == 0;
}

/* ---- parity with the published library --------------------------------- */

static void
test_dump_matches_published(void)
{
    Full full;
    const std::string text = dump(full.settings, ZarrConfigFormat_Json);
    const json expected = json::parse(kPublishedJson);
    CHECK(json::parse(text) == expected);
    // byte for byte: both are nlohmann::json's dump(2) of the same document
    CHECK(text == expected.dump(2));
}

static void
test_load_published_yaml(void)
{
    ZarrStreamSettings loaded;
    REQUIRE_OK(ZarrStreamSettings_load_from_string(&loaded, kPublishedYaml));
    Full full;
    same_settings(full.settings, loaded);
    CHECK(json::parse(dump(loaded, ZarrConfigFormat_Json)) == json::parse(kPublishedJson));
    ZarrStreamSettings_destroy_loaded(&loaded);
    CHECK(is_zeroed(loaded));
}

/* ---- round trips ---------------------------------------------------------- */

static void
round_trip(const ZarrStreamSettings& original)
{
    for (ZarrConfigFormat format : { ZarrConfigFormat_Yaml, ZarrConfigFormat_Json }) {
        const std::string text = dump(original, format);
        ZarrStreamSettings loaded;
        const ZarrStatusCode status = ZarrStreamSettings_load_from_string(&loaded, text.c_str());
        if (status != ZarrStatusCode_Success) {
            aqz_fail(__FILE__, __LINE__, "reloading\n%s\nfailed: %s", text.c_str(), Zarr_get_last_error());
            continue;
        }
        same_settings(original, loaded);
        CHECK(dump(loaded, format) == text);
        ZarrStreamSettings_destroy_loaded(&loaded);
    }
}

static void
test_round_trip_every_field(void)
{
    Full full;
    round_trip(full.settings);

    // Zarr v2 (this library's `zarr_version` field), no S3, max_levels
    // without a method, and strings YAML would otherwise read as something
    // else or not at all.
    full.settings.version = ZarrVersion_2;
    full.settings.s3_settings = nullptr;
    full.arrays[0].max_levels = 3;
    const char* tricky[] = { "5", "true", "null", "", "~", "1e3", "0x1F", ".inf", "y", "no",
                             "a: b", "#x", "-x", "- x", "x #y", "caf\xc3\xa9", "tab\there",
                             "quote\"s", "back\\slash", " lead", "trail ", "new\nline",
                             "[x]", "{x}", "*a", "&a", "!t", "%p", "@a", "`b", "'q'", "?",
                             "http://h:9000/p", "ends:", "Meas_01(2012-07-31_10-41-12)",
                             "yes", "On", "OFF", "n", "1_000", "0b101", "1:30", "./rel", "a:b" };
    for (const char* s : tricky) {
        full.settings.store_path = s;
        full.d1[4].unit = s;
        full.d0[0].name = s;
        full.rows[0] = s;
        full.acquisitions[0].description = s;
        const int failures = aqz_failures;
        round_trip(full.settings);
        if (aqz_failures != failures) {
            fprintf(stderr, "   ... with the string '%s'\n", s);
        }
    }
}

/* ---- fields and defaults ------------------------------------------------ */

static const char* kDims =
  "    dimensions:\n"
  "      - {name: t, type: time, array_size_px: 0, chunk_size_px: 2, shard_size_chunks: 3}\n"
  "      - {name: y, type: space, array_size_px: 48, chunk_size_px: 16, shard_size_chunks: 1}\n"
  "      - {name: x, type: space, array_size_px: 64, chunk_size_px: 16, shard_size_chunks: 2}\n";

static std::string
one_array(const std::string& top, const std::string& array_fields)
{
    return "store_path: s.zarr\n" + top + "arrays:\n  - data_type: uint16\n" + array_fields + kDims;
}

static void
test_yaml_quoting(void)
{
    // Strings a YAML 1.1 reader (PyYAML) would take for booleans or numbers
    // are written quoted; ordinary names are not.
    ZarrDimensionProperties d[4] = { { "yes", ZarrDimensionType_Space, 4, 4, 1, "On", 1.0 },
                                     { "y", ZarrDimensionType_Space, 4, 4, 1, "1_000", 1.0 },
                                     { "x", ZarrDimensionType_Space, 4, 4, 1, "micrometer", 1.0 },
                                     { "cam 1", ZarrDimensionType_Space, 4, 4, 1, "http://u:1/v", 1.0 } };
    ZarrArraySettings a = { "a/b", nullptr, d, 4, ZarrDataType_uint8, ZarrDownsamplingMethod_None, 0, nullptr, false };
    ZarrStreamSettings s = { "store.zarr", nullptr, ZarrVersion_3, 0, false, &a, 1, nullptr };
    const std::string text = dump(s, ZarrConfigFormat_Yaml);
    for (const char* line : { "name: \"yes\"\n", "unit: \"On\"\n", "name: \"y\"\n", "unit: \"1_000\"\n",
                              "name: x\n", "unit: micrometer\n", "name: cam 1\n", "unit: http://u:1/v\n",
                              "output_key: a/b\n", "store_path: store.zarr\n", "type: space\n" }) {
        if (text.find(line) == std::string::npos) {
            aqz_fail(__FILE__, __LINE__, "no '%s' in\n%s", line, text.c_str());
        }
    }
}

static void
test_defaults(void)
{
    ZarrStreamSettings s;
    REQUIRE_OK(ZarrStreamSettings_load_from_string(&s, one_array("", "").c_str()));
    CHECK(std::string(s.store_path) == "s.zarr");
    CHECK(s.s3_settings == nullptr);
    CHECK_EQ(s.version, ZarrVersion_3);
    CHECK_EQ(s.max_threads, 0);
    CHECK(!s.overwrite);
    CHECK(s.hcs_settings == nullptr);
    REQUIRE(s.array_count == 1);
    const ZarrArraySettings& a = s.arrays[0];
    CHECK(a.output_key == nullptr);
    CHECK(a.compression_settings == nullptr);
    CHECK_EQ(a.data_type, ZarrDataType_uint16);
    CHECK_EQ(a.downsampling_method, ZarrDownsamplingMethod_None);
    CHECK_EQ(a.max_levels, 0);
    CHECK(a.storage_dimension_order == nullptr);
    CHECK(!a.is_ngff);
    REQUIRE(a.dimension_count == 3);
    CHECK(std::string(a.dimensions[0].name) == "t");
    CHECK_EQ(a.dimensions[0].type, ZarrDimensionType_Time);
    CHECK_EQ(a.dimensions[0].array_size_px, 0);
    CHECK_EQ(a.dimensions[0].chunk_size_px, 2);
    CHECK_EQ(a.dimensions[0].shard_size_chunks, 3);
    CHECK(a.dimensions[0].unit == nullptr);
    CHECK(a.dimensions[0].scale == 1.0);
    CHECK_EQ(a.dimensions[2].array_size_px, 64);
    ZarrStreamSettings_destroy_loaded(&s);

    // compression level defaults to 1 and shuffle to 0, as in Python
    REQUIRE_OK(ZarrStreamSettings_load_from_string(
      &s, one_array("", "    compression: {compressor: blosc1, codec: blosc-lz4}\n").c_str()));
    REQUIRE(s.arrays[0].compression_settings != nullptr);
    CHECK_EQ(s.arrays[0].compression_settings->level, 1);
    CHECK_EQ(s.arrays[0].compression_settings->shuffle, 0);
    ZarrStreamSettings_destroy_loaded(&s);
}

struct FieldCase
{
    std::string document;
    std::function<bool(const ZarrStreamSettings&)> holds;
    const char* what;
};

static void
test_each_field(void)
{
    const auto A = [](const ZarrStreamSettings& s) -> const ZarrArraySettings& { return s.arrays[0]; };
    const std::vector<FieldCase> cases = {
        { one_array("overwrite: true\n", ""), [](auto& s) { return s.overwrite; }, "overwrite" },
        { one_array("max_threads: 7\n", ""), [](auto& s) { return s.max_threads == 7; }, "max_threads" },
        { one_array("zarr_version: 2\n", ""), [](auto& s) { return s.version == ZarrVersion_2; }, "zarr_version 2" },
        { one_array("zarr_version: 3\n", ""), [](auto& s) { return s.version == ZarrVersion_3; }, "zarr_version 3" },
        { one_array("version: 2\n", ""), [](auto& s) { return s.array_count == 1; }, "version 2" },
        { one_array("s3: {endpoint: 'http://h:9000', bucket_name: b}\n", ""),
          [](auto& s) { return s.s3_settings && std::string(s.s3_settings->endpoint) == "http://h:9000" &&
                               std::string(s.s3_settings->bucket_name) == "b" && !s.s3_settings->region; }, "s3" },
        { one_array("s3: {endpoint: e, bucket_name: b, region: r}\n", ""),
          [](auto& s) { return s.s3_settings && std::string(s.s3_settings->region) == "r"; }, "s3.region" },
        { one_array("", "    output_key: a/b\n"), [&](auto& s) { return std::string(A(s).output_key) == "a/b"; }, "output_key" },
        { one_array("", "    is_ngff: true\n"), [&](auto& s) { return A(s).is_ngff; }, "is_ngff" },
        { one_array("", "    downsampling_method: max\n"), [&](auto& s) { return A(s).downsampling_method == ZarrDownsamplingMethod_Max; }, "method max" },
        { one_array("", "    downsampling_method: decimate\n"), [&](auto& s) { return A(s).downsampling_method == ZarrDownsamplingMethod_Decimate; }, "method decimate" },
        { one_array("", "    downsampling_method: none\n"), [&](auto& s) { return A(s).downsampling_method == ZarrDownsamplingMethod_None; }, "method none" },
        { one_array("", "    downsampling_method: MEAN\n"), [&](auto& s) { return A(s).downsampling_method == ZarrDownsamplingMethod_Mean; }, "method in upper case" },
        { one_array("", "    max_levels: 4\n"), [&](auto& s) { return A(s).max_levels == 4; }, "max_levels" },
        { one_array("", "    compression: {compressor: zstd, codec: zstd, level: 9, shuffle: 0}\n"),
          [&](auto& s) { auto* c = A(s).compression_settings; return c && c->compressor == ZarrCompressor_Zstd &&
                                 c->codec == ZarrCompressionCodec_Zstd && c->level == 9; }, "zstd" },
        { one_array("", "    compression: {compressor: blosc1, codec: BLOSC_ZSTD, level: 0, shuffle: 2}\n"),
          [&](auto& s) { auto* c = A(s).compression_settings; return c && c->codec == ZarrCompressionCodec_BloscZstd &&
                                 c->level == 0 && c->shuffle == 2; }, "blosc-zstd spelt BLOSC_ZSTD" },
        { one_array("", "    compression: null\n"), [&](auto& s) { return !A(s).compression_settings; }, "compression null" },
        { one_array("", "    storage_dimension_order: [0, 2, 1]\n"),
          [&](auto& s) { auto* o = A(s).storage_dimension_order; return o && o[0] == 0 && o[1] == 2 && o[2] == 1; }, "order by index" },
        { one_array("", "    storage_dimension_order: [t, x, y]\n"),
          [&](auto& s) { auto* o = A(s).storage_dimension_order; return o && o[0] == 0 && o[1] == 2 && o[2] == 1; }, "order by name" },
        { "store_path: s\narrays:\n  - data_type: float64\n    dimensions:\n"
          "      - {name: c, kind: channel, array_size_px: 3, chunk_size_px: 1, shard_size_chunks: 1, unit: nm, scale: 0.25}\n"
          "      - {name: y, type: other, array_size_px: '8', chunk_size_px: 8, shard_size_chunks: 1}\n",
          [&](auto& s) { auto& d = A(s).dimensions; return A(s).data_type == ZarrDataType_float64 &&
                                 d[0].type == ZarrDimensionType_Channel && std::string(d[0].unit) == "nm" &&
                                 d[0].scale == 0.25 && d[1].type == ZarrDimensionType_Other && d[1].array_size_px == 8; },
          "kind, unit, scale, a quoted integer" },
        { "store_path: s\narrays:\n  - data_type: int8\n    dimensions:\n"
          "      - {name: y, type: space, array_size_px: 8, chunk_size_px: 8, shard_size_chunks: 1, unit: \"\", scale: 2}\n",
          [&](auto& s) { auto& d = A(s).dimensions[0]; return d.unit && !*d.unit && d.scale == 2.0; }, "empty unit, integer scale" },
        // JSON, compact, one line
        { R"({"store_path":"j","arrays":[{"data_type":"uint32","dimensions":[{"name":"y","type":"space","array_size_px":4,"chunk_size_px":4,"shard_size_chunks":1}]}]})",
          [&](auto& s) { return std::string(s.store_path) == "j" && A(s).data_type == ZarrDataType_uint32; }, "compact JSON" },
        // a field of view's output_key "" is unset (Python writes it)
        { "store_path: s\nplates: [{path: p, row_names: [A], column_names: ['1'], wells: [{row_name: A, column_name: '1', images: "
          "[{path: f, array: {output_key: '', data_type: uint8, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}}]}]}]\n",
          [](auto& s) { return s.hcs_settings->plates[0].wells[0].images[0].array_settings->output_key == nullptr; },
          "empty output_key of a field of view" },
        // a YAML anchor and alias
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions:\n      - &d {name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}\n      - *d\n",
          [&](auto& s) { return A(s).dimension_count == 2 && std::string(A(s).dimensions[1].name) == "y"; }, "alias" },
        // plates, with the alias hcs_plates and array_settings
        { "store_path: s\nhcs_plates:\n  - path: p\n    name: n\n    row_names: [A, B]\n    column_names: [1, 2, 12]\n"
          "    acquisitions: [{id: 3, name: a, description: d, start_time: 10, end_time: 20}, {id: 4}]\n"
          "    wells:\n      - row_name: B\n        column_name: 12\n        images:\n"
          "          - path: f\n            acquisition_id: 3\n            array_settings:\n"
          "              data_type: uint16\n              dimensions:\n"
          "                - {name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}\n"
          "                - {name: x, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}\n"
          "          - path: g\n            array: {data_type: uint8, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}\n",
          [](auto& s) {
              if (!s.hcs_settings || s.hcs_settings->plate_count != 1 || s.array_count != 0) return false;
              const auto& p = s.hcs_settings->plates[0];
              const auto& a = p.acquisitions;
              const auto& w = p.wells[0];
              return std::string(p.path) == "p" && std::string(p.name) == "n" && p.row_count == 2 &&
                     p.column_count == 3 && std::string(p.column_names[2]) == "12" && p.acquisition_count == 2 &&
                     a[0].id == 3 && std::string(a[0].name) == "a" && std::string(a[0].description) == "d" &&
                     a[0].has_start_time && a[0].start_time == 10 && a[0].has_end_time && a[0].end_time == 20 &&
                     a[1].id == 4 && !a[1].name && !a[1].has_start_time && !a[1].has_end_time &&
                     std::string(w.row_name) == "B" && std::string(w.column_name) == "12" && w.image_count == 2 &&
                     w.images[0].has_acquisition_id && w.images[0].acquisition_id == 3 &&
                     !w.images[1].has_acquisition_id && w.images[0].array_settings->dimension_count == 2 &&
                     !w.images[0].array_settings->output_key &&
                     w.images[1].array_settings->data_type == ZarrDataType_uint8;
          },
          "plates" },
    };
    for (const auto& c : cases) {
        ZarrStreamSettings s;
        const ZarrStatusCode status = ZarrStreamSettings_load_from_string(&s, c.document.c_str());
        if (status != ZarrStatusCode_Success) {
            aqz_fail(__FILE__, __LINE__, "%s: loading failed: %s", c.what, Zarr_get_last_error());
            continue;
        }
        if (!c.holds(s)) {
            aqz_fail(__FILE__, __LINE__, "%s: not loaded as expected", c.what);
        }
        round_trip(s); // and each survives a round trip
        ZarrStreamSettings_destroy_loaded(&s);
    }
}

static void
test_version_1_migration(void)
{
    // version 1 had `multiscale` where version 2 has `is_ngff`; its
    // downsampling method applied only with multiscale, Decimate by default
    const std::string doc =
      "version: 1\nstore_path: s\narrays:\n"
      "  - {output_key: a, data_type: uint8, multiscale: true, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}\n"
      "  - {output_key: b, data_type: uint8, multiscale: true, downsampling_method: max, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}\n"
      "  - {output_key: c, data_type: uint8, multiscale: false, downsampling_method: mean, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}\n"
      "  - {output_key: d, data_type: uint8, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}\n"
      "plates:\n  - path: p\n    row_names: [A]\n    column_names: ['1']\n    wells:\n"
      "      - {row_name: A, column_name: '1', images: [{path: f, array: {data_type: uint8, multiscale: true, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}}]}\n";
    ZarrStreamSettings s;
    REQUIRE_OK(ZarrStreamSettings_load_from_string(&s, doc.c_str()));
    REQUIRE(s.array_count == 4);
    CHECK(s.arrays[0].is_ngff);
    CHECK_EQ(s.arrays[0].downsampling_method, ZarrDownsamplingMethod_Decimate);
    CHECK(s.arrays[1].is_ngff);
    CHECK_EQ(s.arrays[1].downsampling_method, ZarrDownsamplingMethod_Max);
    CHECK(!s.arrays[2].is_ngff);
    CHECK_EQ(s.arrays[2].downsampling_method, ZarrDownsamplingMethod_None);
    CHECK(!s.arrays[3].is_ngff);
    CHECK_EQ(s.arrays[3].downsampling_method, ZarrDownsamplingMethod_None);
    const ZarrArraySettings* fov = s.hcs_settings->plates[0].wells[0].images[0].array_settings;
    CHECK(fov->is_ngff);
    CHECK_EQ(fov->downsampling_method, ZarrDownsamplingMethod_Decimate);
    // written back as version 2
    CHECK(json::parse(dump(s, ZarrConfigFormat_Json))["version"] == 2);
    ZarrStreamSettings_destroy_loaded(&s);
}

/* ---- bad documents ------------------------------------------------------ */

struct BadCase
{
    std::string document;
    std::vector<const char*> says; // each in the last error
};

static void
test_bad_documents(void)
{
    const std::string dims1 = "    dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]\n";
    const auto arr = [&](const std::string& fields) {
        return "store_path: s\narrays:\n  - data_type: uint8\n" + fields + dims1;
    };
    const std::vector<BadCase> cases = {
        { "", { "empty" } },
        { "# only a comment\n", { "empty" } },
        { "- a\n- b\n", { "must be a mapping", "a list" } },
        { "just text", { "must be a mapping", "just text" } },
        { "store_path: s\n", { "no arrays", "plates" } },
        { "store_path: s\narrays: []\n", { "no arrays" } },
        { "arrays: []\n", { "missing required field 'store_path'" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n   dimensions: [\n", { "not valid YAML or JSON", "line 4" } },
        { "{\"store_path\": \"s\", \"arrays\": [ {\"data_type\": \"uint8\",, } ] }", { "not valid YAML or JSON", "line 1, column" } },
        { "{\"store_path\": \"s\",\n \"arrays\": [\n", { "not valid YAML or JSON", "line 3" } },
        { "a: 1\n---\nb: 2\n", { "more than one", "line 2" } },
        { "store_path: s\nstore_path: t\narrays: []\n", { "store_path", "appears twice", "line 2" } },
        { "store_path: s\narrays: {a: 1}\n", { "arrays: expected a list, got a mapping" } },
        { "store_path: [s]\narrays: []\n", { "store_path: expected a string, got a list" } },
        { "store_path: 1.5\narrays: []\n", { "store_path: expected a string, got 1.5", "quote it" } },
        { "version: 3\nstore_path: s\narrays: []\n", { "version", "unsupported", "3", "zarr_version" } },
        { "version: two\nstore_path: s\narrays: []\n", { "version: expected a non-negative integer", "two" } },
        { "zarr_version: 4\n" + arr("").substr(0), { "zarr_version", "4" } },
        { "store_path: s\nintermediate_groups: always\narrays: []\n", { "intermediate_groups", "unknown field", "store_path, s3" } },
        { "store_path: s\noverwrite: yes\narrays: []\n", { "overwrite: expected true or false", "yes", "line 2, column 12" } },
        { "store_path: s\nmax_threads: -1\narrays: []\n", { "max_threads: expected a non-negative integer, got -1" } },
        { "store_path: s\nmax_threads: 4294967296\narrays: []\n", { "max_threads", "out of range", "4294967295" } },
        { "store_path: s\ns3: {endpoint: e}\n" + arr("").substr(14), { "s3: missing required field 'bucket_name'" } },
        { "store_path: s\ns3: {endpoint: e, bucket_name: b, secret: x}\n" + arr("").substr(14), { "s3.secret", "unknown field" } },
        { "store_path: s\narrays:\n  - 5\n", { "arrays[0]: expected a mapping of fields, got 5" } },
        { "store_path: s\narrays:\n  - dimensions: []\n", { "arrays[0]: missing required field 'data_type'" } },
        { "store_path: s\narrays:\n  - data_type: float128\n    dimensions: []\n", { "arrays[0].data_type", "float128", "uint8, uint16" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: []\n", { "arrays[0].dimensions", "at least one" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n", { "arrays[0]: missing required field 'dimensions'" } },
        { arr("    dimension: []\n"), { "arrays[0].dimension", "unknown field 'dimension'" } },
        { arr("    multiscale: true\n"), { "arrays[0].multiscale", "replaced by 'is_ngff'", "version: 1" } },
        { "version: 1\n" + arr("    is_ngff: true\n"), { "arrays[0].is_ngff", "version 2" } },
        { arr("    is_ngff: 1\n"), { "arrays[0].is_ngff: expected true or false, got 1" } },
        { arr("    downsampling_method: median\n"), { "arrays[0].downsampling_method", "median", "decimate, mean" } },
        { arr("    max_levels: 1.5\n"), { "arrays[0].max_levels: expected a non-negative integer, got 1.5" } },
        { arr("    compression: lz4\n"), { "arrays[0].compression: expected a mapping", "lz4" } },
        { arr("    compression: {codec: zstd}\n"), { "arrays[0].compression: missing required field 'compressor'" } },
        { arr("    compression: {compressor: gzip, codec: zstd}\n"), { "arrays[0].compression.compressor", "gzip", "blosc1" } },
        { arr("    compression: {compressor: zstd, codec: lz4}\n"), { "arrays[0].compression.codec", "lz4", "blosc-lz4" } },
        { arr("    compression: {compressor: zstd, codec: zstd, level: 256}\n"), { "compression.level", "256", "out of range", "255" } },
        { arr("    compression: {compressor: zstd, codec: zstd, clevel: 3}\n"), { "compression.clevel", "unknown field" } },
        { arr("    storage_dimension_order: [0, 1]\n"), { "storage_dimension_order", "2 entries for 1 dimensions" } },
        { arr("    storage_dimension_order: [3]\n"), { "storage_dimension_order[0]", "index 3" } },
        { arr("    storage_dimension_order: [q]\n"), { "storage_dimension_order[0]", "'q'", "are y" } },
        { arr("    output_key: {a: 1}\n"), { "arrays[0].output_key: expected a string, got a mapping" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]\n",
          { "arrays[0].dimensions[0]: missing required field 'name'" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]\n",
          { "arrays[0].dimensions[0]: missing required field 'type'" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, type: space, kind: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]\n",
          { "arrays[0].dimensions[0].kind", "either 'type' or 'kind'" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, type: spatial, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]\n",
          { "arrays[0].dimensions[0].type", "spatial", "space, channel, time, other" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions:\n      - {name: y, type: space, array_size_px: -4, chunk_size_px: 4, shard_size_chunks: 1}\n",
          { "arrays[0].dimensions[0].array_size_px: expected a non-negative integer, got -4", "line 5" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4}]\n",
          { "arrays[0].dimensions[0]: missing required field 'shard_size_chunks'" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1, scale: big}]\n",
          { "arrays[0].dimensions[0].scale: expected a number", "big" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1, unit: [um]}]\n",
          { "arrays[0].dimensions[0].unit: expected a string, got a list" } },
        { "store_path: s\narrays:\n  - data_type: uint8\n    dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: !!bool 1}]\n",
          { "arrays[0].dimensions[0].shard_size_chunks", "does not fit its tag" } },
        { "store_path: s\nplates:\n  - path: p\n    column_names: ['1']\n    wells: []\n", { "plates[0]: missing required field 'row_names'" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: A\n    column_names: ['1']\n    wells: []\n", { "plates[0].row_names: expected a list" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: [A]\n    column_names: [1.5]\n    wells: []\n", { "plates[0].column_names[0]: expected a string" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: [A]\n    column_names: ['1']\n    wells: [{row_name: A, column_name: '1'}]\n",
          { "plates[0].wells[0]: missing required field 'images'" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: [A]\n    column_names: ['1']\n    wells: [{row_name: A, column_name: '1', images: [{path: f}]}]\n",
          { "plates[0].wells[0].images[0]", "'array'" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: [A]\n    column_names: ['1']\n    wells: [{row_name: A, column_name: '1', images: [{path: f, array: {output_key: k, data_type: uint8, dimensions: [{name: y, type: space, array_size_px: 4, chunk_size_px: 4, shard_size_chunks: 1}]}}]}]\n",
          { "plates[0].wells[0].images[0].array.output_key", "field of view" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: [A]\n    column_names: ['1']\n    wells: []\n    acquisitions: [{name: a}]\n",
          { "plates[0].acquisitions[0]: missing required field 'id'" } },
        { "store_path: s\nplates:\n  - path: p\n    row_names: [A]\n    column_names: ['1']\n    wells: []\n    acquisitions: [{id: 1, start_time: yesterday}]\n",
          { "plates[0].acquisitions[0].start_time", "yesterday" } },
        { "store_path: s\nplates: []\nhcs_plates: []\narrays: []\n", { "hcs_plates", "either 'plates' or 'hcs_plates'" } },
        { "store_path: !!int s\narrays: []\n", { "store_path", "does not fit its tag" } },
        { "store_path: *nowhere\narrays: []\n", { "unknown alias *nowhere", "line 1" } },
        // aliases of aliases: 10^7 values from a few lines of text
        { "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
          "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
          "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
          "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
          { "more than 1000000 values", "aliases", "line 6" } },
        { std::string(100, '[') + std::string(100, ']'), { "more than 64 levels" } },
    };
    for (const auto& c : cases) {
        ZarrStreamSettings s;
        memset(&s, 0xA5, sizeof s); // junk: must be overwritten, never freed
        const ZarrStatusCode status = ZarrStreamSettings_load_from_string(&s, c.document.c_str());
        if (status != ZarrStatusCode_InvalidSettings) {
            aqz_fail(__FILE__, __LINE__, "document\n%s\nreturned %d, not InvalidSettings", c.document.c_str(), int(status));
            if (status == ZarrStatusCode_Success) {
                ZarrStreamSettings_destroy_loaded(&s);
            }
            continue;
        }
        CHECK(is_zeroed(s));
        const char* error = Zarr_get_last_error();
        CHECK(contains_ci(error, "ZarrStreamSettings_load_from_string: "));
        for (const char* part : c.says) {
            if (!contains_ci(error, part)) {
                aqz_fail(__FILE__, __LINE__, "the error for\n%s\nis \"%s\": no \"%s\"", c.document.c_str(), error, part);
            }
        }
        CHECK_EQ(Zarr_get_last_status(), ZarrStatusCode_InvalidSettings);
    }
}

/* ---- files ---------------------------------------------------------------- */

static void
test_files(void)
{
    Full full;
    char path[AQZ_PATH_MAX];
    for (const char* name : { "settings.json", "settings.JSON", "settings.yaml", "settings.yml", "settings" }) {
        path_fmt(path, "%s/%s", scratch, name);
        REQUIRE_OK(ZarrStreamSettings_dump_to_file(&full.settings, path));
        FILE* f = fopen(path, "rb");
        REQUIRE(f != nullptr);
        std::string text;
        char buffer[4096];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, f)) > 0) {
            text.append(buffer, n);
        }
        fclose(f);
        const bool is_json = contains_ci(name, ".json");
        CHECK(!text.empty() && text.back() == '\n');
        CHECK((text[0] == '{') == is_json); // JSON for .json, YAML otherwise
        if (is_json) {
            CHECK(json::parse(text) == json::parse(kPublishedJson));
        } else {
            CHECK(text == dump(full.settings, ZarrConfigFormat_Yaml));
        }
        ZarrStreamSettings loaded;
        REQUIRE_OK(ZarrStreamSettings_load_from_file(&loaded, path));
        same_settings(full.settings, loaded);
        ZarrStreamSettings_destroy_loaded(&loaded);
    }

    // any extension: the loader reads what is in the file
    path_fmt(path, "%s/json-inside.yaml", scratch);
    FILE* f = fopen(path, "wb");
    REQUIRE(f != nullptr);
    fputs(kPublishedJson, f);
    fclose(f);
    ZarrStreamSettings loaded;
    CHECK_OK(ZarrStreamSettings_load_from_file(&loaded, path));
    ZarrStreamSettings_destroy_loaded(&loaded);

    // a bad file names itself, the field and the line
    path_fmt(path, "%s/bad.yaml", scratch);
    f = fopen(path, "wb");
    REQUIRE(f != nullptr);
    fputs("store_path: s\narrays:\n  - data_type: uint7\n    dimensions: []\n", f);
    fclose(f);
    CHECK_STATUS(ZarrStreamSettings_load_from_file(&loaded, path), ZarrStatusCode_InvalidSettings);
    CHECK(contains_ci(Zarr_get_last_error(), path));
    CHECK(contains_ci(Zarr_get_last_error(), "arrays[0].data_type"));
    CHECK(contains_ci(Zarr_get_last_error(), "line 3"));
    CHECK(is_zeroed(loaded));

    path_fmt(path, "%s/does-not-exist.yaml", scratch);
    CHECK_STATUS(ZarrStreamSettings_load_from_file(&loaded, path), ZarrStatusCode_IOError);
    CHECK(contains_ci(Zarr_get_last_error(), "does-not-exist.yaml"));
    CHECK(contains_ci(Zarr_get_last_error(), "No such file"));
    CHECK_STATUS(ZarrStreamSettings_load_from_file(&loaded, scratch), ZarrStatusCode_IOError); // a directory

    path_fmt(path, "%s/no/such/dir/settings.json", scratch);
    CHECK_STATUS(ZarrStreamSettings_dump_to_file(&full.settings, path), ZarrStatusCode_IOError);
    CHECK(contains_ci(Zarr_get_last_error(), "no/such/dir"));
}

/* ---- arguments, ownership, dumping bad settings -------------------------- */

static void
test_arguments(void)
{
    Full full;
    ZarrStreamSettings s;
    char* text = (char*)"untouched";
    CHECK_STATUS(ZarrStreamSettings_load_from_string(nullptr, "a: 1"), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_load_from_string(&s, nullptr), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_load_from_file(nullptr, "x.yaml"), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_load_from_file(&s, nullptr), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_dump_to_file(nullptr, "x.yaml"), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_dump_to_file(&full.settings, nullptr), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_dump_to_string(nullptr, &text, ZarrConfigFormat_Json), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_dump_to_string(&full.settings, nullptr, ZarrConfigFormat_Json), ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(ZarrStreamSettings_dump_to_string(&full.settings, &text, ZarrConfigFormatCount), ZarrStatusCode_InvalidArgument);
    CHECK(text == nullptr);
    CHECK(contains_ci(Zarr_get_last_error(), "ZarrConfigFormat"));
    ZarrStreamSettings_destroy_loaded(nullptr); // no-op

    // dumping settings that cannot be written names the field
    full.arrays[1].data_type = (ZarrDataType)42;
    CHECK_STATUS(ZarrStreamSettings_dump_to_string(&full.settings, &text, ZarrConfigFormat_Yaml), ZarrStatusCode_InvalidSettings);
    CHECK(contains_ci(Zarr_get_last_error(), "arrays[1].data_type"));
    CHECK(contains_ci(Zarr_get_last_error(), "42"));
    full.arrays[1].data_type = ZarrDataType_uint8;
    full.d1[3].scale = NAN;
    CHECK_STATUS(ZarrStreamSettings_dump_to_string(&full.settings, &text, ZarrConfigFormat_Json), ZarrStatusCode_InvalidSettings);
    CHECK(contains_ci(Zarr_get_last_error(), "arrays[1].dimensions[3].scale"));
    full.d1[3].scale = 1.0;
    full.settings.arrays = nullptr;
    CHECK_STATUS(ZarrStreamSettings_dump_to_string(&full.settings, &text, ZarrConfigFormat_Json), ZarrStatusCode_InvalidSettings);
    CHECK(contains_ci(Zarr_get_last_error(), "arrays is NULL"));

    // destroy_loaded frees everything and zeroes the struct; loading twice
    // into one struct after destroying is fine
    for (int i = 0; i < 2; ++i) {
        REQUIRE_OK(ZarrStreamSettings_load_from_string(&s, kPublishedYaml));
        ZarrStreamSettings_destroy_loaded(&s);
        CHECK(is_zeroed(s));
        ZarrStreamSettings_destroy_loaded(&s); // again: a no-op on a zeroed struct
    }
}

/* ---- loaded settings drive a stream --------------------------------------- */

static void
test_loaded_settings_stream(void)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/loaded.zarr", scratch);
    const std::string doc = json{ { "store_path", store },
                                  { "overwrite", true },
                                  { "arrays",
                                    { { { "output_key", "cam" },
                                        { "data_type", "uint16" },
                                        { "compression", { { "compressor", "blosc1" }, { "codec", "blosc-lz4" }, { "shuffle", 1 } } },
                                        { "dimensions",
                                          { { { "name", "t" }, { "type", "time" }, { "array_size_px", 0 }, { "chunk_size_px", 2 }, { "shard_size_chunks", 1 } },
                                            { { "name", "y" }, { "type", "space" }, { "array_size_px", 8 }, { "chunk_size_px", 8 }, { "shard_size_chunks", 1 } },
                                            { { "name", "x" }, { "type", "space" }, { "array_size_px", 8 }, { "chunk_size_px", 8 }, { "shard_size_chunks", 1 } } } } } } } }
                              .dump();
    ZarrStreamSettings s;
    REQUIRE_OK(ZarrStreamSettings_load_from_string(&s, doc.c_str()));
    ZarrStream* stream = ZarrStream_create(&s);
    ZarrStreamSettings_destroy_loaded(&s); // the stream keeps a copy
    REQUIRE(stream != nullptr);
    uint16_t frame[64];
    for (int t = 0; t < 3; ++t) {
        for (int i = 0; i < 64; ++i) {
            frame[i] = uint16_t(t * 100 + i);
        }
        size_t written = 0;
        CHECK_OK(ZarrStream_append(stream, frame, sizeof frame, &written, nullptr));
    }
    CHECK_OK(ZarrStream_close(stream));
    char meta[AQZ_PATH_MAX];
    CHECK(path_exists(path_fmt(meta, "%s/cam/zarr.json", store)));
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_TEST(test_dump_matches_published);
    RUN_TEST(test_load_published_yaml);
    RUN_TEST(test_round_trip_every_field);
    RUN_TEST(test_yaml_quoting);
    RUN_TEST(test_defaults);
    RUN_TEST(test_each_field);
    RUN_TEST(test_version_1_migration);
    RUN_TEST(test_bad_documents);
    RUN_TEST(test_files);
    RUN_TEST(test_arguments);
    RUN_TEST(test_loaded_settings_stream);
    remove_tree(scratch);
    return test_summary();
}

// The metadata documents (zarr.json, .zarray, .zgroup, .zattrs) parsed with
// nlohmann::json and checked against FORMAT.md; shapes after an early stop;
// custom metadata. Driven through the C API only.
#include "test_helpers.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using nlohmann::json;

static char scratch[AQZ_PATH_MAX];

static json
read_json(const std::string& path)
{
    size_t size = 0;
    unsigned char* text = read_file(path.c_str(), &size);
    if (!text) {
        aqz_fail(__FILE__, __LINE__, "%s: missing", path.c_str());
        return json();
    }
    json doc = json::parse(std::string(reinterpret_cast<char*>(text), size), nullptr,
                           false);
    free(text);
    if (doc.is_discarded()) {
        aqz_fail(__FILE__, __LINE__, "%s: not valid JSON", path.c_str());
        return json();
    }
    return doc;
}

// An empty "configuration" object says nothing: drop it before comparing.
static json
normalized(json doc)
{
    if (doc.is_object()) {
        if (doc.contains("configuration") && doc["configuration"].is_object() &&
            doc["configuration"].empty()) {
            doc.erase("configuration");
        }
        for (auto& item : doc.items()) {
            item.value() = normalized(item.value());
        }
    } else if (doc.is_array()) {
        for (auto& item : doc) {
            item = normalized(item);
        }
    }
    return doc;
}

// CHECK_JSON(doc, expected): the two JSON values are equal; prints both.
#define CHECK_JSON(actual, expected)                                           \
    do {                                                                       \
        const json a_ = normalized(actual);                                    \
        const json e_ = normalized(expected);                                  \
        if (a_ != e_) {                                                        \
            aqz_fail(__FILE__, __LINE__, "%s is %s, expected %s", #actual,     \
                     a_.dump().c_str(), e_.dump().c_str());                    \
        }                                                                      \
    } while (0)

static std::string
store_path(const char* name)
{
    return std::string(scratch) + "/" + name;
}

static ZarrStream*
open(const std::string& store,
     ZarrVersion version,
     const char* key,
     ZarrDataType type,
     const std::vector<ZarrDimensionProperties>& dims,
     ZarrCompressionSettings* compression = nullptr)
{
    return open_stream(store.c_str(), version, key, type, dims.data(), dims.size(),
                       compression);
}

static void
append_frames(ZarrStream* stream, size_t frame_bytes, int frames, const char* key = nullptr)
{
    std::vector<unsigned char> frame(frame_bytes, 3);
    for (int i = 0; i < frames; ++i) {
        size_t bytes_out = 0;
        CHECK_OK(ZarrStream_append(stream, frame.data(), frame.size(), &bytes_out, key));
    }
}

static const std::vector<ZarrDimensionProperties> tcyx = {
    dim("t", ZarrDimensionType_Time, 0, 5, 2),
    dim("c", ZarrDimensionType_Channel, 3, 1, 3),
    dim("y", ZarrDimensionType_Space, 48, 16, 2),
    dim("x", ZarrDimensionType_Space, 64, 16, 4),
};

static void
test_v3_array_document(void)
{
    const std::string store = store_path("v3.zarr");
    ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4,
                                    1, 1 };
    ZarrStream* stream = open(store, ZarrVersion_3, "data", ZarrDataType_uint16, tcyx, &lz4);
    REQUIRE(stream != nullptr);
    append_frames(stream, 48 * 64 * 2, 3 * 7); // 7 timepoints
    CHECK_OK(ZarrStream_close(stream));

    json root = read_json(store + "/zarr.json");
    CHECK_JSON(root["zarr_format"], 3);
    CHECK_JSON(root["node_type"], "group");

    json array = read_json(store + "/data/zarr.json");
    CHECK_JSON(array["zarr_format"], 3);
    CHECK_JSON(array["node_type"], "array");
    CHECK_JSON(array["shape"], json::array({ 7, 3, 48, 64 }));
    CHECK_JSON(array["data_type"], "uint16");
    CHECK_JSON(array["fill_value"], 0);
    CHECK_JSON(array["dimension_names"], json::array({ "t", "c", "y", "x" }));
    CHECK_JSON(array["chunk_grid"],
               json::parse(R"({"name":"regular","configuration":{"chunk_shape":[10,3,32,64]}})"));
    CHECK_JSON(array["chunk_key_encoding"],
               json::parse(R"({"name":"default","configuration":{"separator":"/"}})"));
    CHECK(array.contains("attributes") && array["attributes"].is_object());

    json& codecs = array["codecs"];
    REQUIRE(codecs.is_array() && codecs.size() == 1);
    CHECK_JSON(codecs[0]["name"], "sharding_indexed");
    json& sharding = codecs[0]["configuration"];
    CHECK_JSON(sharding["chunk_shape"], json::array({ 5, 1, 16, 16 }));
    CHECK_JSON(sharding["index_location"], "end");
    CHECK_JSON(sharding["index_codecs"],
               json::parse(R"([{"name":"bytes","configuration":{"endian":"little"}},
                               {"name":"crc32c"}])"));
    json& inner = sharding["codecs"];
    REQUIRE(inner.is_array() && inner.size() == 2);
    CHECK_JSON(inner[0], json::parse(R"({"name":"bytes","configuration":{"endian":"little"}})"));
    CHECK_JSON(inner[1]["name"], "blosc");
    CHECK_JSON(inner[1]["configuration"],
               json::parse(R"({"cname":"lz4","clevel":1,"shuffle":"shuffle",
                               "typesize":2,"blocksize":0})"));
}

static void
test_v3_codec_configurations(void)
{
    struct Case
    {
        ZarrCompressionSettings settings;
        const char* name;
        const char* configuration;
    } cases[] = {
        { { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscZstd, 5, 2 }, "blosc",
          R"({"cname":"zstd","clevel":5,"shuffle":"bitshuffle","typesize":4,"blocksize":0})" },
        { { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4, 0, 0 }, "blosc",
          R"({"cname":"lz4","clevel":0,"shuffle":"noshuffle","typesize":4,"blocksize":0})" },
        { { ZarrCompressor_Zstd, ZarrCompressionCodec_Zstd, 7, 0 }, "zstd",
          R"({"level":7,"checksum":false})" },
    };
    for (auto& c : cases) {
        const std::string store = store_path("codec.zarr");
        ZarrStream* stream =
          open(store, ZarrVersion_3, nullptr, ZarrDataType_float32, tcyx, &c.settings);
        REQUIRE(stream != nullptr);
        CHECK_OK(ZarrStream_close(stream));
        json array = read_json(store + "/zarr.json");
        json inner = array["codecs"][0]["configuration"]["codecs"];
        REQUIRE(inner.is_array() && inner.size() == 2);
        CHECK_JSON(inner[1]["name"], c.name);
        CHECK_JSON(inner[1]["configuration"], json::parse(c.configuration));
    }

    // Uncompressed: the bytes codec alone.
    const std::string store = store_path("raw.zarr");
    ZarrStream* stream = open(store, ZarrVersion_3, nullptr, ZarrDataType_float32, tcyx);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    json inner = read_json(store + "/zarr.json")["codecs"][0]["configuration"]["codecs"];
    CHECK_JSON(inner, json::parse(R"([{"name":"bytes","configuration":{"endian":"little"}}])"));
}

static void
test_data_type_names(void)
{
    const char* v3_names[] = { "uint8", "uint16", "uint32", "uint64", "int8",
                               "int16", "int32", "int64", "float32", "float64" };
    const char* v2_names[] = { "|u1", "<u2", "<u4", "<u8", "|i1",
                               "<i2", "<i4", "<i8", "<f4", "<f8" };
    for (int type = 0; type < ZarrDataTypeCount; ++type) {
        const std::string store = store_path("dtype.zarr");
        ZarrStream* stream =
          open(store, ZarrVersion_3, nullptr, (ZarrDataType)type, tcyx);
        REQUIRE(stream != nullptr);
        CHECK_OK(ZarrStream_close(stream));
        CHECK_JSON(read_json(store + "/zarr.json")["data_type"], v3_names[type]);

        stream = open(store, ZarrVersion_2, nullptr, (ZarrDataType)type, tcyx);
        REQUIRE(stream != nullptr);
        CHECK_OK(ZarrStream_close(stream));
        CHECK_JSON(read_json(store + "/.zarray")["dtype"], v2_names[type]);
    }
}

static void
test_v2_documents(void)
{
    const std::string store = store_path("v2.zarr");
    ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4,
                                    1, 1 };
    ZarrStream* stream = open(store, ZarrVersion_2, "a/b", ZarrDataType_uint16, tcyx, &lz4);
    REQUIRE(stream != nullptr);
    append_frames(stream, 48 * 64 * 2, 3 * 4);
    CHECK_OK(ZarrStream_close(stream));

    CHECK_JSON(read_json(store + "/.zgroup"), json::parse(R"({"zarr_format":2})"));
    CHECK_JSON(read_json(store + "/a/.zgroup"), json::parse(R"({"zarr_format":2})"));
    json zarray = read_json(store + "/a/b/.zarray");
    CHECK_JSON(zarray["zarr_format"], 2);
    CHECK_JSON(zarray["shape"], json::array({ 4, 3, 48, 64 }));
    CHECK_JSON(zarray["chunks"], json::array({ 5, 1, 16, 16 }));
    CHECK_JSON(zarray["dtype"], "<u2");
    CHECK_JSON(zarray["fill_value"], 0);
    CHECK_JSON(zarray["order"], "C");
    CHECK_JSON(zarray["filters"], nullptr);
    CHECK_JSON(zarray["dimension_separator"], "/");
    CHECK_JSON(zarray["compressor"],
               json::parse(R"({"id":"blosc","cname":"lz4","clevel":1,"shuffle":1,
                               "blocksize":0})"));
    CHECK(read_json(store + "/a/b/.zattrs").is_object());

    // Zstd and no compressor.
    ZarrCompressionSettings zstd = { ZarrCompressor_Zstd, ZarrCompressionCodec_Zstd, 3, 0 };
    stream = open(store, ZarrVersion_2, nullptr, ZarrDataType_uint16, tcyx, &zstd);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    CHECK_JSON(read_json(store + "/.zarray")["compressor"],
               json::parse(R"({"id":"zstd","level":3})"));
    stream = open(store, ZarrVersion_2, nullptr, ZarrDataType_uint16, tcyx);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    CHECK_JSON(read_json(store + "/.zarray")["compressor"], nullptr);
}

static void
test_shape_after_an_early_stop(void)
{
    // Bounded to 10 timepoints, stopped after 4 (and a half).
    std::vector<ZarrDimensionProperties> bounded = tcyx;
    bounded[0].array_size_px = 10;
    for (ZarrVersion version : { ZarrVersion_3, ZarrVersion_2 }) {
        const std::string store = store_path("early.zarr");
        ZarrStream* stream = open(store, version, nullptr, ZarrDataType_uint8, bounded);
        REQUIRE(stream != nullptr);
        append_frames(stream, 48 * 64, 3 * 4 + 1);
        CHECK_OK(ZarrStream_close(stream));
        json doc = read_json(store + (version == ZarrVersion_3 ? "/zarr.json" : "/.zarray"));
        CHECK_JSON(doc["shape"], json::array({ 5, 3, 48, 64 }));
    }

    // Unbounded, nothing written at all.
    const std::string store = store_path("empty.zarr");
    ZarrStream* stream = open(store, ZarrVersion_3, nullptr, ZarrDataType_uint8, tcyx);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_close(stream));
    CHECK_JSON(read_json(store + "/zarr.json")["shape"], json::array({ 0, 3, 48, 64 }));
}

static void
test_custom_metadata(void)
{
    const std::string store = store_path("custom.zarr");
    ZarrStream* stream = open(store, ZarrVersion_3, "cam", ZarrDataType_uint8, tcyx);
    REQUIRE(stream != nullptr);

    CHECK_OK(ZarrStream_write_custom_metadata(stream, "cam", "instrument",
                                              R"({"objective": "20x", "na": 0.75})"));
    CHECK_OK(ZarrStream_write_custom_metadata(stream, "cam", "", R"({"operator": "ada"})"));
    CHECK_OK(ZarrStream_write_custom_metadata(stream, "cam", nullptr, R"({"run": 7})"));
    // Refused: the "ome" key, invalid JSON, a non-object, an unknown node.
    CHECK(ZarrStream_write_custom_metadata(stream, "cam", "ome", R"({"a": 1})") !=
          ZarrStatusCode_Success);
    CHECK(ZarrStream_write_custom_metadata(stream, "cam", nullptr, R"({"ome": {}})") !=
          ZarrStatusCode_Success);
    CHECK_STATUS(ZarrStream_write_custom_metadata(stream, "cam", "x", "{not json"),
                 ZarrStatusCode_InvalidArgument);
    CHECK(ZarrStream_write_custom_metadata(stream, "cam", nullptr, "[1, 2]") !=
          ZarrStatusCode_Success);
    CHECK(ZarrStream_write_custom_metadata(stream, "nope", "x", "{}") !=
          ZarrStatusCode_Success);
    CHECK_OK(ZarrStream_close(stream));

    json attributes = read_json(store + "/cam/zarr.json")["attributes"];
    CHECK_JSON(attributes["instrument"], json::parse(R"({"objective": "20x", "na": 0.75})"));
    CHECK_JSON(attributes["operator"], "ada");
    CHECK_JSON(attributes["run"], 7);
    CHECK(!attributes.contains("ome"));

    // v2: into .zattrs, for the only array with key NULL.
    const std::string v2 = store_path("custom-v2.zarr");
    stream = open(v2, ZarrVersion_2, nullptr, ZarrDataType_uint8, tcyx);
    REQUIRE(stream != nullptr);
    CHECK_OK(ZarrStream_write_custom_metadata(stream, nullptr, "note", R"({"text": "hello"})"));
    CHECK_OK(ZarrStream_close(stream));
    CHECK_JSON(read_json(v2 + "/.zattrs")["note"], json::parse(R"({"text": "hello"})"));
}

// RUN_TEST, counting a thrown exception (e.g. a JSON type error) as a failure.
#define RUN_GUARDED(fn)                                                        \
    do {                                                                       \
        aqz_test_failures = 0;                                                 \
        fprintf(stderr, "-- %s\n", #fn);                                       \
        try {                                                                  \
            fn();                                                              \
        } catch (const std::exception& e) {                                    \
            aqz_fail(__FILE__, __LINE__, "%s threw: %s", #fn, e.what());       \
        }                                                                      \
        fprintf(stderr, "%s %s\n", aqz_test_failures ? "FAIL" : "ok  ", #fn);  \
    } while (0)

int
main()
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_GUARDED(test_v3_array_document);
    RUN_GUARDED(test_v3_codec_configurations);
    RUN_GUARDED(test_data_type_names);
    RUN_GUARDED(test_v2_documents);
    RUN_GUARDED(test_shape_after_an_early_stop);
    RUN_GUARDED(test_custom_metadata);
    remove_tree(scratch);
    return test_summary();
}

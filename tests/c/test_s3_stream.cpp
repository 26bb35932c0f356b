/* Streaming to S3 through the C API: a real, signature-checking S3 server on
 * loopback (moto_server, started by tests/cpp/s3_fixture.py), boto3 in the
 * fixture as the independent reader. The objects are downloaded into a
 * folder and read with the store reader (store_reader.h) against the frames
 * written. Without a server the test fails: it never passes by skipping. */
#include "test_helpers.h"

#include "store_reader.h"

#include "../cpp/S3FixtureProcess.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

char scratch[AQZ_PATH_MAX];
aqz_test::Fixture* the_fixture = nullptr; // set by main

std::vector<uint16_t>
frames_of(std::size_t count, std::size_t pixels)
{
    std::vector<uint16_t> data(count * pixels);
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = uint16_t((i * 7 + i / pixels * 131) % 50000);
    }
    return data;
}

/* Every object under `prefix` into `folder` (keys as paths below it). */
void
download(aqz_test::Fixture& fixture, const std::string& prefix, const std::string& folder)
{
    const auto keys = fixture.call({ { "op", "keys" }, { "prefix", prefix + "/" } })["keys"];
    for (const auto& key : keys) {
        const std::string name = key.get<std::string>().substr(prefix.size() + 1);
        const auto object = fixture.call({ { "op", "get" }, { "key", key } });
        const std::string hex = object["hex"];
        std::string bytes(hex.size() / 2, '\0');
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            bytes[i] = char(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
        }
        const std::filesystem::path path = std::filesystem::path(folder) / name;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << bytes;
    }
}

ZarrS3Settings
s3_of(const aqz_test::Fixture& fixture, const std::string& endpoint_key = "endpoint")
{
    static std::string endpoint, bucket;
    endpoint = fixture.info[endpoint_key];
    bucket = fixture.info["bucket"];
    return { endpoint.c_str(), bucket.c_str(), "us-east-1" };
}

void
stream_and_read_back(aqz_test::Fixture& fixture, ZarrVersion version, const char* prefix)
{
    ZarrDimensionProperties dims[3] = {
        dim("t", ZarrDimensionType_Time, 0, 2, 2),
        dim("y", ZarrDimensionType_Space, 48, 16, 2),
        dim("x", ZarrDimensionType_Space, 40, 16, 2),
    };
    ZarrArraySettings array;
    memset(&array, 0, sizeof(array));
    array.output_key = "img";
    array.data_type = ZarrDataType_uint16;
    array.dimensions = dims;
    array.dimension_count = 3;
    ZarrS3Settings s3 = s3_of(fixture);
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = prefix;
    settings.s3_settings = &s3;
    settings.version = version;
    settings.overwrite = true;
    settings.arrays = &array;
    settings.array_count = 1;

    const std::size_t frames = 7, pixels = 48 * 40;
    const auto data = frames_of(frames, pixels);
    ZarrStream* stream = ZarrStream_create(&settings);
    REQUIRE(stream != NULL);
    size_t written = 0;
    CHECK_OK(ZarrStream_append(stream, data.data(), data.size() * 2, &written, "img"));
    CHECK_EQ(written, data.size() * 2);
    ZarrStream_destroy(stream);

    const std::string folder = std::string(scratch) + "/" + prefix;
    download(fixture, prefix, folder);
    const int v = version == ZarrVersion_2 ? 2 : 3;
    const ArrayLayout layout = layout_of(v, dims, 3, ZarrDataType_uint16, frames);
    unsigned char* actual = read_array((folder + "/img").c_str(), &layout);
    REQUIRE(actual != NULL);
    compare_pixels(actual, reinterpret_cast<const unsigned char*>(data.data()),
                   data.size(), 2, prefix);
    free(actual);
    CHECK(std::filesystem::exists(folder + (v == 3 ? "/img/zarr.json" : "/img/.zarray")));
    CHECK(fixture.call({ { "op", "uploads" }, { "prefix", prefix } })["uploads"].empty());
}

void
test_v3_round_trip()
{
    aqz_test::Fixture& fixture = *the_fixture;
    stream_and_read_back(fixture, ZarrVersion_3, "c-api/v3.zarr");
}

void
test_v2_round_trip()
{
    aqz_test::Fixture& fixture = *the_fixture;
    stream_and_read_back(fixture, ZarrVersion_2, "c-api/v2.zarr");
}

void
test_refused_credentials()
{
    aqz_test::Fixture& fixture = *the_fixture;
    const std::string secret = fixture.info["secret_access_key"];
    const std::string wrong = secret.substr(0, secret.size() - 2) + "zz";
    setenv("AWS_SECRET_ACCESS_KEY", wrong.c_str(), 1);
    ZarrDimensionProperties dims[3] = {
        dim("t", ZarrDimensionType_Time, 0, 1, 1),
        dim("y", ZarrDimensionType_Space, 16, 16, 1),
        dim("x", ZarrDimensionType_Space, 16, 16, 1),
    };
    ZarrArraySettings array;
    memset(&array, 0, sizeof(array));
    array.data_type = ZarrDataType_uint8;
    array.dimensions = dims;
    array.dimension_count = 3;
    ZarrS3Settings s3 = s3_of(fixture);
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = "c-api/refused.zarr";
    settings.s3_settings = &s3;
    settings.arrays = &array;
    settings.array_count = 1;
    ZarrStream* stream = ZarrStream_create(&settings);
    CHECK(stream == NULL);
    const std::string error = Zarr_get_last_error();
    CHECK(error.find("credentials") != std::string::npos);
    CHECK(error.find(wrong) == std::string::npos && error.find(secret) == std::string::npos);
    CHECK(fixture.call({ { "op", "keys" }, { "prefix", "c-api/refused.zarr/" } })["keys"].empty());
    setenv("AWS_SECRET_ACCESS_KEY", secret.c_str(), 1);
}

} // namespace

int
main(int argc, char** argv)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    const std::string python = argc > 2 ? argv[1] : AQZ_TEST_PYTHON;
    const std::string script = argc > 2 ? argv[2] : AQZ_S3_FIXTURE;
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    try {
        aqz_test::Fixture fixture(python, script);
        the_fixture = &fixture;
        const std::string key = fixture.info["access_key_id"];
        const std::string secret = fixture.info["secret_access_key"];
        setenv("AWS_ACCESS_KEY_ID", key.c_str(), 1);
        setenv("AWS_SECRET_ACCESS_KEY", secret.c_str(), 1);
        unsetenv("AWS_SESSION_TOKEN");
        RUN_TEST(test_v3_round_trip);
        RUN_TEST(test_v2_round_trip);
        RUN_TEST(test_refused_credentials);
    } catch (const std::exception& error) {
        fprintf(stderr, "FAILED: %s\n", error.what());
        remove_tree(scratch);
        return 1;
    }
    remove_tree(scratch);
    return test_summary();
}

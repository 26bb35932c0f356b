// zarr::s3::Client against a real, signature-checking S3 server on loopback
// (moto_server, started by tests/cpp/s3_fixture.py, which this program runs
// as a child with its stdin and stdout on pipes), with boto3 in the fixture
// as a second, independent reader of what the client wrote. Retry rules are
// tested against the fixture's scripted "flaky" server, timeouts against a
// socket that never answers.
//
// usage: test_s3_client [<python> <s3_fixture.py>]
// (defaults: the project's .venv/bin/python and tests/cpp/s3_fixture.py, as
// tests/cpp/CMakeLists.txt compiles them in). Without a server it fails: it
// never passes by skipping.

#include "Check.hpp"
#include "store/s3/Client.hpp"
#include "store/s3/Credentials.hpp"
#include "store/s3/Digest.hpp"
#include "util/Logger.hpp"
#include "util/ZarrError.hpp"

#include "S3FixtureProcess.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Json = nlohmann::json;
using zarr::ByteSpan;
using zarr::ZarrError;
using zarr::s3::Client;
using zarr::s3::ClientOptions;
using zarr::s3::Credentials;
using zarr::s3::Endpoint;
using aqz_test::Fixture;

using aqz_test::check;
using aqz_test::failures;

namespace {

// ---- helpers ----------------------------------------------------------------

Endpoint
endpoint_of(const Fixture& fx, const std::string& key = "endpoint")
{
    return { fx.info[key], fx.info["bucket"], "" }; // region: the default
}

Credentials
credentials_of(const Fixture& fx)
{
    return { fx.info["access_key_id"], fx.info["secret_access_key"], "", "the fixture" };
}

ClientOptions
quick_retries()
{
    ClientOptions options;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(40);
    return options;
}

std::string
random_bytes(std::size_t size, uint32_t seed)
{
    std::mt19937 random(seed);
    std::string out(size, '\0');
    for (char& c : out) {
        c = static_cast<char>(random());
    }
    return out;
}

ByteSpan
span_of(const std::string& text, std::size_t from = 0, std::size_t length = std::string::npos)
{
    length = std::min(length, text.size() - from);
    return { reinterpret_cast<const uint8_t*>(text.data()) + from, length };
}

// `text` cut into pieces at `cuts` (a gathered body, as a shard is).
std::vector<ByteSpan>
pieces_of(const std::string& text, std::vector<std::size_t> cuts)
{
    std::vector<ByteSpan> pieces;
    std::size_t start = 0;
    cuts.push_back(text.size());
    for (std::size_t cut : cuts) {
        pieces.push_back(span_of(text, start, cut - start));
        start = cut;
    }
    return pieces;
}

std::string
sha256(const std::string& text)
{
    return zarr::s3::digest::sha256_hex(text);
}

// The ZarrError `f` throws; fails the test if it throws none.
template<typename F>
std::optional<ZarrError>
error_of(F&& f, const char* what)
{
    try {
        f();
    } catch (const ZarrError& e) {
        std::cout << "    " << what << ": " << e.what() << std::endl;
        return e;
    }
    aqz_test::check_at(false, std::string(what) + " threw nothing", __FILE__, __LINE__);
    return std::nullopt;
}

bool
contains(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

// Every log line the client writes, to check that no secret is in one.
std::mutex log_mutex;
std::vector<std::string> log_lines;

void
capture_log(ZarrLogLevel, const char* message, void*)
{
    std::lock_guard lock(log_mutex);
    log_lines.emplace_back(message);
}

// Secrets seen by the tests: no message or log line may contain one.
std::vector<std::string> secrets;

void
check_no_secret(const std::string& text)
{
    for (const std::string& secret : secrets) {
        CHECK_MSG(!contains(text, secret), "a secret is in: " + text);
    }
}

// A port that refuses connections: bound once, then closed.
int
closed_port()
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

// ---- the tests ----------------------------------------------------------------

void
put_get_head(Fixture& fx)
{
    Client client(endpoint_of(fx), credentials_of(fx), 4);
    client.check_bucket();

    const std::string body = random_bytes(300000, 1);
    const auto pieces = pieces_of(body, { 0, 1, 70000, 70000, 299999 }); // empty pieces too
    client.put_object("basic/a.bin", pieces);
    CHECK(client.get_object("basic/a.bin") == body);
    CHECK(client.object_exists("basic/a.bin"));
    const Json seen = fx.call({ { "op", "head" }, { "key", "basic/a.bin" } });
    CHECK(seen["exists"] == true);
    CHECK(seen["size"] == body.size());
    CHECK(seen["sha256"] == sha256(body));
    std::cout << "    PutObject's content type: " << seen["content_type"] << std::endl;

    // Rewritten in place, as metadata documents are.
    const std::string json = R"({"zarr_format": 3})";
    const ByteSpan one = span_of(json);
    client.put_object("basic/zarr.json", std::span(&one, 1));
    client.put_object("basic/zarr.json", std::span(&one, 1));
    CHECK(client.get_object("basic/zarr.json") == json);

    client.put_object("basic/empty", {});
    CHECK(client.get_object("basic/empty") == std::string());
    CHECK(fx.call({ { "op", "head" }, { "key", "basic/empty" } })["size"] == 0);

    CHECK(!client.get_object("basic/missing").has_value());
    CHECK(!client.object_exists("basic/missing"));

    // Written by boto3, read by the client.
    fx.call({ { "op", "put" }, { "key", "basic/from-boto3" }, { "hex", "00ff10" } });
    CHECK(client.get_object("basic/from-boto3") == std::string("\x00\xff\x10", 3));

    // Keys that need percent-encoding (the signature covers the encoded path).
    for (const std::string key : { "odd/sp ace/x", "odd/plus+equals=amp&q?hash#", "odd/%41/é~ü",
                                   "odd/a//b", "odd/a/./b", "odd/c/../d" }) {
        const std::string content = "content of " + key;
        const ByteSpan piece = span_of(content);
        client.put_object(key, std::span(&piece, 1));
        CHECK_MSG(client.get_object(key) == content, key);
        CHECK_MSG(client.object_exists(key), key);
        CHECK_MSG(fx.call({ { "op", "head" }, { "key", key } })["sha256"] == sha256(content), key);
    }
    auto keys = client.list_objects("odd/");
    auto listed = fx.call({ { "op", "keys" }, { "prefix", "odd/" } })["keys"].get<std::vector<std::string>>();
    CHECK(keys == listed);
    CHECK(keys.size() == 6);
    CHECK(client.list_objects("odd/sp ace/") == std::vector<std::string>{ "odd/sp ace/x" });
    CHECK(client.list_objects("odd/plus+") ==
          std::vector<std::string>{ "odd/plus+equals=amp&q?hash#" });

    error_of([&] { client.put_object("", {}); }, "empty key");
    error_of([&] { client.get_object(std::string(1025, 'k')); }, "over-long key");
}

void
list_and_delete_many(Fixture& fx)
{
    // 1234 objects from 4 threads at once: more than one ListObjectsV2 page
    // and DeleteObjects batch, and the client shared between threads.
    Client client(endpoint_of(fx), credentials_of(fx), 4);
    constexpr int count = 1234;
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) {
        keys.push_back("many/" + std::to_string(i % 7) + "/key-" + std::to_string(i));
    }
    std::atomic<int> next{ 0 };
    std::atomic<int> errors{ 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = next++; i < count; i = next++) {
                try {
                    const ByteSpan piece = span_of(keys[i]);
                    client.put_object(keys[i], std::span(&piece, 1));
                } catch (const std::exception& e) {
                    std::cerr << e.what() << '\n';
                    ++errors;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    CHECK(errors == 0);

    auto listed = client.list_objects("many/");
    auto expected = keys;
    std::sort(expected.begin(), expected.end());
    CHECK(listed == expected);
    CHECK(fx.call({ { "op", "keys" }, { "prefix", "many/" } })["keys"].size() == count);
    CHECK(client.list_objects("many/3/").size() == 176);
    CHECK(client.list_objects("nothing-here/").empty());
    CHECK(client.get_object(keys[1000]) == keys[1000]);

    auto doomed = keys;
    doomed.push_back("many/never-existed"); // not an error
    client.delete_objects(doomed);
    CHECK(client.list_objects("many/").empty());
    CHECK(fx.call({ { "op", "keys" }, { "prefix", "many/" } })["keys"].empty());
    client.delete_objects({});
}

void
multipart(Fixture& fx)
{
    Client client(endpoint_of(fx), credentials_of(fx), 3);
    const std::size_t mib = 1 << 20;
    const std::vector<std::string> parts = { random_bytes(5 * mib + 7, 2),
                                             random_bytes(5 * mib + 11, 3),
                                             random_bytes(5 * mib + 13, 4) };
    const std::string key = "multi/shard.bin";
    const std::string id = client.create_multipart_upload(key);
    CHECK(!id.empty());

    // Uploaded out of order (3, then 1 and 2 at once), each from pieces.
    std::vector<std::string> etags(3);
    const auto upload = [&](int number) {
        const std::string& part = parts[number - 1];
        const auto pieces = pieces_of(part, { 1000, part.size() / 2 });
        etags[number - 1] = client.upload_part(key, id, number, pieces);
    };
    upload(3);
    std::thread first([&] { upload(1); });
    upload(2);
    first.join();
    for (const auto& etag : etags) {
        CHECK(!etag.empty());
    }
    CHECK(!client.object_exists(key)); // nothing visible before completion
    CHECK(fx.call({ { "op", "uploads" }, { "prefix", "multi/" } })["uploads"].size() == 1);

    client.complete_multipart_upload(key, id, etags);
    const std::string whole = parts[0] + parts[1] + parts[2];
    const Json seen = fx.call({ { "op", "head" }, { "key", key } });
    CHECK(seen["size"] == whole.size());
    CHECK(seen["sha256"] == sha256(whole));
    CHECK(seen["etag"].get<std::string>().ends_with("-3\""));
    CHECK(seen["content_type"] == "application/octet-stream");
    CHECK(client.get_object(key) == whole);
    CHECK(fx.call({ { "op", "uploads" }, { "prefix", "multi/" } })["uploads"].empty());

    error_of([&] { client.upload_part(key, id, 0, {}); }, "part number 0");
    error_of([&] { client.complete_multipart_upload(key, id, {}); }, "no parts");
    error_of([&] { client.upload_part(key, "no-such-upload", 1, {}); }, "part of an unknown upload");
}

void
abort_upload(Fixture& fx)
{
    Client client(endpoint_of(fx), credentials_of(fx), 2);
    const std::string key = "aborted/shard.bin";
    const std::string id = client.create_multipart_upload(key);
    const std::string part = random_bytes(5 << 20, 5);
    const ByteSpan piece = span_of(part);
    client.upload_part(key, id, 1, std::span(&piece, 1));
    CHECK(fx.call({ { "op", "uploads" }, { "prefix", "aborted/" } })["uploads"].size() == 1);

    client.abort_multipart_upload(key, id);
    CHECK(fx.call({ { "op", "uploads" }, { "prefix", "aborted/" } })["uploads"].empty());
    CHECK(!client.object_exists(key));
    CHECK(fx.call({ { "op", "head" }, { "key", key } })["exists"] == false);
    client.abort_multipart_upload(key, id); // already gone: not an error
}

void
refused_credentials(Fixture& fx)
{
    Credentials wrong = credentials_of(fx);
    wrong.secret_access_key += "x";
    secrets.push_back(wrong.secret_access_key);
    Client client(endpoint_of(fx), wrong, 2);
    auto e = error_of([&] { client.check_bucket(); }, "wrong secret");
    if (e) {
        CHECK(e->code() == ZarrStatusCode_InvalidSettings);
        CHECK(contains(e->what(), "refused the credentials"));
        CHECK(contains(e->what(), "secret access key does not match"));
        CHECK(contains(e->what(), "SignatureDoesNotMatch"));
        CHECK(contains(e->what(), wrong.access_key_id));
        check_no_secret(e->what());
    }
    const ByteSpan nothing{};
    e = error_of([&] { client.put_object("refused/x", std::span(&nothing, 1)); },
                 "put with a wrong secret");
    if (e) {
        CHECK(e->code() == ZarrStatusCode_IOError);
        CHECK(contains(e->what(), "HTTP 403 SignatureDoesNotMatch"));
        CHECK(!contains(e->what(), "attempts")); // a 403 is not retried
        check_no_secret(e->what());
    }

    Credentials unknown{ "AKIAUNKNOWNUNKNOWN00", "whatever-secret-value", "", "a test" };
    secrets.push_back(unknown.secret_access_key);
    Client stranger(endpoint_of(fx), unknown, 1);
    e = error_of([&] { stranger.check_bucket(); }, "unknown access key");
    if (e) {
        CHECK(e->code() == ZarrStatusCode_InvalidSettings);
        CHECK(contains(e->what(), "InvalidAccessKeyId"));
        check_no_secret(e->what());
    }
}

void
session_token(Fixture& fx)
{
    const Json& session = fx.info["session"];
    Credentials temporary{ session["access_key_id"], session["secret_access_key"],
                           session["session_token"], "the fixture's AssumeRole" };
    secrets.push_back(temporary.secret_access_key);
    secrets.push_back(temporary.session_token);
    Client client(endpoint_of(fx), temporary, 1);
    client.check_bucket();
    const std::string content = "written with a session token";
    const ByteSpan piece = span_of(content);
    client.put_object("session/x", std::span(&piece, 1));
    CHECK(fx.call({ { "op", "head" }, { "key", "session/x" } })["sha256"] == sha256(content));

    Credentials bad_token = temporary;
    bad_token.session_token = temporary.session_token.substr(0, 40) + "AAAA";
    secrets.push_back(bad_token.session_token);
    Client refused(endpoint_of(fx), bad_token, 1);
    auto e = error_of([&] { refused.check_bucket(); }, "wrong session token");
    if (e) {
        CHECK(e->code() == ZarrStatusCode_InvalidSettings);
        CHECK(contains(e->what(), "session token"));
        check_no_secret(e->what());
    }
}

void
missing_bucket(Fixture& fx)
{
    Endpoint endpoint = endpoint_of(fx);
    endpoint.bucket = "no-such-bucket";
    Client client(endpoint, credentials_of(fx), 1);
    auto e = error_of([&] { client.check_bucket(); }, "missing bucket");
    if (e) {
        CHECK(e->code() == ZarrStatusCode_InvalidSettings);
        CHECK(contains(e->what(), "bucket 'no-such-bucket' does not exist"));
    }
    e = error_of([&] { client.get_object("x"); }, "get from a missing bucket");
    if (e) {
        CHECK(e->code() == ZarrStatusCode_IOError);
        CHECK(contains(e->what(), "NoSuchBucket"));
    }
}

void
unreachable_endpoint(Fixture& fx)
{
    Endpoint endpoint = endpoint_of(fx);
    endpoint.url = "http://127.0.0.1:" + std::to_string(closed_port());
    Client client(endpoint, credentials_of(fx), 1); // the default options
    const auto start = std::chrono::steady_clock::now();
    auto e = error_of([&] { client.check_bucket(); }, "closed port");
    const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "    (" << seconds << " s)" << std::endl;
    CHECK(seconds < 5);
    if (e) {
        CHECK(e->code() == ZarrStatusCode_InvalidSettings);
        CHECK(contains(e->what(), "cannot reach the S3 endpoint"));
    }

    for (const char* url : { "127.0.0.1:9000", "ftp://host", "http://host/path", "http://",
                             "http://user:pw@host" }) {
        Endpoint bad = endpoint_of(fx);
        bad.url = url;
        e = error_of([&] { Client(bad, credentials_of(fx), 1); }, url);
        CHECK(e && e->code() == ZarrStatusCode_InvalidSettings);
    }
    Endpoint bad_bucket = endpoint_of(fx);
    bad_bucket.bucket = "a/b";
    e = error_of([&] { Client(bad_bucket, credentials_of(fx), 1); }, "bucket with a slash");
    CHECK(e && e->code() == ZarrStatusCode_InvalidSettings);
    CHECK(Client(endpoint_of(fx), credentials_of(fx), 1).endpoint().region == "us-east-1");
}

void
stalled_server(Fixture& fx)
{
    // Accepts connections (the kernel does) and never answers: the
    // low-speed limit ends each attempt, the retry count ends the call.
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(fd, 16);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);

    Endpoint endpoint = endpoint_of(fx);
    endpoint.url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    ClientOptions options = quick_retries();
    options.low_speed_time = std::chrono::seconds(1);
    options.max_attempts = 2;
    Client client(endpoint, credentials_of(fx), 1, options);
    const auto start = std::chrono::steady_clock::now();
    const std::string body(1000, 'x');
    const ByteSpan piece = span_of(body);
    auto e = error_of([&] { client.put_object("stalled", std::span(&piece, 1)); }, "stalled server");
    const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "    (" << seconds << " s)" << std::endl;
    CHECK(seconds < 6);
    if (e) {
        CHECK(e->code() == ZarrStatusCode_IOError);
        CHECK(contains(e->what(), "after 2 attempts"));
    }
    close(fd);
}

void
retries(Fixture& fx)
{
    Client client(endpoint_of(fx, "flaky_endpoint"), credentials_of(fx), 2, quick_retries());
    const std::string body = random_bytes(3 << 20, 6); // sent again on each attempt
    const auto pieces = pieces_of(body, { 1 << 20 });
    const auto attempts_for = [&](Json script, const std::function<void()>& call) {
        fx.call({ { "op", "flaky" }, { "script", script } });
        call();
        return fx.call({ { "op", "flaky_count" } })["count"].get<int>();
    };
    const auto put = [&] { client.put_object("flaky/x", pieces); };

    CHECK(attempts_for({ 503, 500, 502 }, put) == 4);
    CHECK(attempts_for({ 429 }, put) == 2);
    CHECK(attempts_for({ "reset" }, put) == 2);
    CHECK(attempts_for({ 500 }, [&] { CHECK(client.get_object("flaky/y")); }) == 2);
    CHECK(attempts_for({ "200error" }, [&] {
              client.complete_multipart_upload("flaky/x", "u1", { "\"etag\"" });
          }) == 2);
    CHECK(attempts_for({ 503 }, [&] {
              CHECK(client.list_objects("flaky/").empty());
          }) == 2);

    int count = attempts_for({ 500, 500, 500, 500, 500, 500 }, [&] {
        auto e = error_of(put, "500 every time");
        CHECK(e && contains(e->what(), "HTTP 500 InternalError: scripted (after 4 attempts)"));
    });
    CHECK(count == 4);
    count = attempts_for({ 403 }, [&] {
        auto e = error_of(put, "403");
        CHECK(e && contains(e->what(), "HTTP 403 AccessDenied"));
    });
    CHECK(count == 1);
    count = attempts_for({ 404 }, [&] { CHECK(!client.get_object("flaky/z")); });
    CHECK(count == 1);
    count = attempts_for({ "reset", "reset", "reset", "reset", "reset" }, [&] {
        auto e = error_of(put, "reset every time");
        CHECK(e && e->code() == ZarrStatusCode_IOError && contains(e->what(), "after 4 attempts"));
    });
    CHECK(count == 4);

    // A retried CompleteMultipartUpload whose first attempt completed the
    // upload (its answer lost) finds the upload gone: done if the object's
    // ETag is the one these parts make (MD5 of their MD5s, "-2").
    const std::vector<std::string> etags = { "\"0cc175b9c0f1b6a831c399e269772661\"",
                                             "\"92eb5ffee6ae2fec3ad71c777531578f\"" };
    const Json gone = { { "status", 404 }, { "code", "NoSuchUpload" } };
    count = attempts_for({ 500, gone, { { "status", 200 }, { "etag", "\"96e024ba2074fe77e8e965ba43a704be-2\"" } } },
                         [&] { client.complete_multipart_upload("flaky/x", "u1", etags); });
    CHECK(count == 3);
    count = attempts_for({ 500, gone, { { "status", 200 }, { "etag", "\"someone-elses-object-2\"" } } }, [&] {
        auto e = error_of([&] { client.complete_multipart_upload("flaky/x", "u1", etags); },
                          "upload gone, another object there");
        CHECK(e && contains(e->what(), "NoSuchUpload"));
    });
    CHECK(count == 3);
    count = attempts_for(Json::array({ gone }), [&] { // gone at the first attempt: an error
        CHECK(error_of([&] { client.complete_multipart_upload("flaky/x", "u1", etags); },
                       "upload unknown"));
    });
    CHECK(count == 1);
}

void
connection_reuse(Fixture& fx)
{
    // moto closes every connection after its answer; the flaky server keeps
    // them open, as S3 does.
    Client client(endpoint_of(fx, "flaky_endpoint"), credentials_of(fx), 2, quick_retries());
    fx.call({ { "op", "flaky" }, { "script", Json::array() } });
    const std::string body(100000, 'b');
    const ByteSpan piece = span_of(body);
    for (int i = 0; i < 10; ++i) {
        client.put_object("reuse/x", std::span(&piece, 1));
        CHECK(client.object_exists("reuse/x"));
    }
    Json seen = fx.call({ { "op", "flaky_count" } });
    CHECK(seen["count"] == 20);
    CHECK(seen["connections"] == 1);

    // Two threads at once: two handles, two connections, and no more.
    fx.call({ { "op", "flaky" }, { "script", Json::array() } });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                client.put_object("reuse/y", std::span(&piece, 1));
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    seen = fx.call({ { "op", "flaky_count" } });
    CHECK(seen["count"] == 40);
    CHECK(seen["connections"] <= 2);
}

void
shared_credentials_file(Fixture& fx)
{
    const fs::path dir = fs::temp_directory_path() / ("aqz-s3-creds-" + std::to_string(getpid()));
    fs::create_directories(dir / ".aws");
    const fs::path file = dir / "credentials";
    {
        std::ofstream out(file);
        out << "# a comment\n[default]\naws_access_key_id = AKIAWRONGDEFAULT0000\n"
               "aws_secret_access_key = not-this-one\n\n"
               "[aqz-test]\n ; another comment\n  aws_access_key_id=" << fx.info["access_key_id"].get<std::string>()
            << "\naws_secret_access_key =   " << fx.info["secret_access_key"].get<std::string>()
            << "  \n[incomplete]\naws_access_key_id = AKIAONLYANID00000000\n";
    }
    const auto clear_env = [] {
        for (const char* name : { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                  "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE" }) {
            unsetenv(name);
        }
    };
    clear_env();
    setenv("HOME", dir.c_str(), 1);

    setenv("AWS_SHARED_CREDENTIALS_FILE", file.c_str(), 1);
    setenv("AWS_PROFILE", "aqz-test", 1);
    const Credentials from_file = Credentials::resolve();
    CHECK(from_file.access_key_id == fx.info["access_key_id"]);
    CHECK(from_file.secret_access_key == fx.info["secret_access_key"]);
    CHECK(contains(from_file.source, "profile 'aqz-test'"));
    Client client(endpoint_of(fx), from_file, 1);
    client.check_bucket();
    const std::string content = "from the credentials file";
    const ByteSpan piece = span_of(content);
    client.put_object("creds/x", std::span(&piece, 1));
    CHECK(fx.call({ { "op", "head" }, { "key", "creds/x" } })["sha256"] == sha256(content));

    unsetenv("AWS_PROFILE"); // "default": a key moto does not know
    CHECK(Credentials::resolve().access_key_id == "AKIAWRONGDEFAULT0000");

    setenv("AWS_PROFILE", "nobody", 1);
    auto e = error_of([] { Credentials::resolve(); }, "missing profile");
    CHECK(e && e->code() == ZarrStatusCode_InvalidSettings && contains(e->what(), "'nobody'"));
    setenv("AWS_PROFILE", "incomplete", 1);
    e = error_of([] { Credentials::resolve(); }, "profile without a secret");
    CHECK(e && contains(e->what(), "aws_secret_access_key"));

    // ~/.aws/credentials when AWS_SHARED_CREDENTIALS_FILE is unset.
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    setenv("AWS_PROFILE", "aqz-test", 1);
    e = error_of([] { Credentials::resolve(); }, "no credentials at all");
    CHECK(e && e->code() == ZarrStatusCode_InvalidSettings &&
          contains(e->what(), "no S3 credentials"));
    fs::copy_file(file, dir / ".aws" / "credentials");
    CHECK(Credentials::resolve().access_key_id == fx.info["access_key_id"]);

    // The environment wins over the file.
    setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENVIRONMENT0", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
    setenv("AWS_SESSION_TOKEN", "env-token", 1);
    const Credentials from_env = Credentials::resolve();
    CHECK(from_env.access_key_id == "AKIAFROMENVIRONMENT0");
    CHECK(from_env.secret_access_key == "env-secret");
    CHECK(from_env.session_token == "env-token");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    e = error_of([] { Credentials::resolve(); }, "id without a secret");
    CHECK(e && contains(e->what(), "AWS_SECRET_ACCESS_KEY is not"));

    clear_env();
    fs::remove_all(dir);
}

} // namespace

int
main(int argc, char** argv)
{
    if (argc != 1 && argc != 3) {
        std::cerr << "usage: " << argv[0] << " [<python> <s3_fixture.py>]\n";
        return 2;
    }
    const std::string python = argc == 3 ? argv[1] : AQZ_TEST_PYTHON;
    const std::string fixture = argc == 3 ? argv[2] : AQZ_S3_FIXTURE;
    if (!fs::exists(python)) {
        std::cerr << "FAILED: " << python
                  << " not found: run `make venv` (it installs moto[server] and boto3)\n";
        return 1;
    }
    zarr::Logger::set_level(ZarrLogLevel_Debug);
    zarr::Logger::set_callback(&capture_log, nullptr);
    const auto start = std::chrono::steady_clock::now();
    try {
        Fixture fx(python, fixture);
        secrets.push_back(fx.info["secret_access_key"]);
        const std::pair<const char*, void (*)(Fixture&)> tests[] = {
            { "put_get_head", put_get_head },
            { "list_and_delete_many", list_and_delete_many },
            { "multipart", multipart },
            { "abort_upload", abort_upload },
            { "refused_credentials", refused_credentials },
            { "session_token", session_token },
            { "missing_bucket", missing_bucket },
            { "unreachable_endpoint", unreachable_endpoint },
            { "stalled_server", stalled_server },
            { "retries", retries },
            { "connection_reuse", connection_reuse },
            { "shared_credentials_file", shared_credentials_file },
        };
        for (const auto& [name, run] : tests) {
            const int before = failures;
            const auto test_start = std::chrono::steady_clock::now();
            std::cout << "[ RUN  ] " << name << std::endl;
            try {
                run(fx);
            } catch (const std::exception& e) {
                ++failures;
                std::cerr << name << ": unexpected exception: " << e.what() << std::endl;
            }
            const auto seconds = std::chrono::duration<double>(
                                   std::chrono::steady_clock::now() - test_start)
                                   .count();
            std::cout << (failures == before ? "[  OK  ] " : "[ FAIL ] ") << name << " ("
                      << seconds << " s)" << std::endl;
        }
    } catch (const std::exception& e) {
        std::cerr << "FAILED: " << e.what() << std::endl;
        return 1;
    }
    zarr::Logger::set_callback(nullptr, nullptr);
    for (const std::string& line : log_lines) {
        check_no_secret(line);
    }
    for (const std::string& line : log_lines) {
        std::cout << "    log: " << line << '\n';
    }
    std::cout << log_lines.size() << " log lines checked for secrets; total "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              << " s" << std::endl;
    return aqz_test::summary("test_s3_client");
}

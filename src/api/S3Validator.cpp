#include "api/S3Validator.hpp"

#include "util/Utf8.hpp"
#include "util/ZarrError.hpp"

#include <cstdlib>
#include <string_view>

namespace zarr {
namespace {

constexpr ZarrStatusCode kInvalid = ZarrStatusCode_InvalidSettings;
constexpr uint64_t kMinPartBytes = 5 << 20;      // S3's smallest part but the last
constexpr uint64_t kMaxPartBytes = 5ull << 30;   // and its largest

std::string
required_text(const char* value, const char* field)
{
    if (!value || !*value) {
        fail(kInvalid, "s3_settings.", field, " is empty");
    }
    const std::string text(value);
    if (!is_valid_utf8(text)) {
        fail(kInvalid, "s3_settings.", field, " '", printable(text), "' is not valid UTF-8");
    }
    return text;
}

/// store_path as a key prefix: '/'-separated names, none empty, "." or "..".
std::string
prefix_of(const std::string& store_path)
{
    std::string_view path(store_path);
    while (!path.empty() && path.front() == '/') {
        path.remove_prefix(1);
    }
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    std::size_t start = 0;
    while (start < path.size()) {
        const std::size_t end = std::min(path.find('/', start), path.size());
        const std::string_view name = path.substr(start, end - start);
        if (name.empty() || name == "." || name == "..") {
            fail(kInvalid,
                 "store_path '",
                 printable(store_path),
                 "' is not a key prefix for S3: it has an empty, '.' or '..' component");
        }
        start = end + 1;
    }
    if (path.size() > 512) {
        fail(kInvalid,
             "store_path '",
             printable(store_path).substr(0, 80),
             "...' is ",
             path.size(),
             " bytes: S3 keys are at most 1024 bytes, so the prefix may have 512");
    }
    return std::string(path);
}

uint64_t
part_bytes()
{
    const char* value = std::getenv("ZARR_S3_PART_SIZE");
    if (!value || !*value) {
        return kMinPartBytes;
    }
    char* end = nullptr;
    const unsigned long long bytes = std::strtoull(value, &end, 10);
    if (*end != '\0' || bytes < kMinPartBytes || bytes > kMaxPartBytes) {
        fail(kInvalid,
             "ZARR_S3_PART_SIZE '",
             printable(value),
             "' is not a number of bytes from 5 MiB (5242880) to 5 GiB");
    }
    return bytes;
}

} // namespace

S3Spec
S3Validator::validate(const ZarrS3Settings& settings, const std::string& store_path)
{
    S3Spec spec;
    spec.endpoint = required_text(settings.endpoint, "endpoint");
    if (spec.endpoint.rfind("http://", 0) != 0 && spec.endpoint.rfind("https://", 0) != 0) {
        fail(kInvalid,
             "s3_settings.endpoint '",
             printable(spec.endpoint),
             "' needs a scheme: http:// or https://, e.g. http://127.0.0.1:9000");
    }
    spec.bucket = required_text(settings.bucket_name, "bucket_name");
    if (settings.region && *settings.region) {
        spec.region = required_text(settings.region, "region");
    }
    spec.prefix = prefix_of(store_path);
    spec.part_bytes = part_bytes();
    return spec;
}

} // namespace zarr

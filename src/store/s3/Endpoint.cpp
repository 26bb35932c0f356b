#include "store/s3/Endpoint.hpp"

#include "util/ZarrError.hpp"

#include <curl/curl.h>

#include <memory>

namespace zarr::s3 {
namespace {

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

// One part of a parsed URL, or "" where it has none.
std::string
part(CURLU* url, CURLUPart which)
{
    char* value = nullptr;
    if (curl_url_get(url, which, &value, 0) != CURLUE_OK || value == nullptr) {
        return {};
    }
    std::string result(value);
    curl_free(value);
    return result;
}

void
check_bucket_name(const std::string& bucket)
{
    // Path-style addressing puts the name in the path: it must be one
    // segment. Legacy buckets may have upper case and '_', so only the
    // characters no S3 bucket can have are refused.
    if (bucket.empty() || bucket.size() > 255) {
        fail(ZarrStatusCode_InvalidSettings,
             "invalid S3 bucket name '",
             bucket,
             "': it must have 1 to 255 characters");
    }
    for (char c : bucket) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                        c == '_';
        if (!ok) {
            fail(ZarrStatusCode_InvalidSettings,
                 "invalid S3 bucket name '",
                 bucket,
                 "': only letters, digits, '.', '-' and '_' are allowed");
        }
    }
}

} // namespace

Endpoint
Endpoint::validated() const
{
    // libcurl's own URL parser: the URL is read as libcurl will read it.
    UrlHandle handle(curl_url(), &curl_url_cleanup);
    if (!handle) {
        fail(ZarrStatusCode_OutOfMemory, "cannot parse the S3 endpoint");
    }
    if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
        fail(ZarrStatusCode_InvalidSettings,
             "invalid S3 endpoint '",
             url,
             "': expected scheme://host[:port], e.g. http://127.0.0.1:9000");
    }
    const std::string scheme = part(handle.get(), CURLUPART_SCHEME);
    const std::string host = part(handle.get(), CURLUPART_HOST);
    const std::string port = part(handle.get(), CURLUPART_PORT);
    const std::string path = part(handle.get(), CURLUPART_PATH);
    if (scheme != "http" && scheme != "https") {
        fail(ZarrStatusCode_InvalidSettings,
             "invalid S3 endpoint '",
             url,
             "': the scheme must be http or https");
    }
    if (host.empty() || !part(handle.get(), CURLUPART_USER).empty() ||
        !part(handle.get(), CURLUPART_QUERY).empty() ||
        !part(handle.get(), CURLUPART_FRAGMENT).empty() ||
        (!path.empty() && path != "/")) {
        fail(ZarrStatusCode_InvalidSettings,
             "invalid S3 endpoint '",
             url,
             "': expected scheme://host[:port] only (the bucket is a "
             "separate setting; credentials come from the environment)");
    }
    check_bucket_name(bucket);

    Endpoint result;
    // curl_url_get gives an IPv6 host with its brackets.
    result.url = scheme + "://" + host + (port.empty() ? "" : ":" + port);
    result.bucket = bucket;
    result.region = region.empty() ? "us-east-1" : region;
    for (char c : result.region) {
        // It goes into CURLOPT_AWS_SIGV4's "aws:amz:<region>:s3".
        if (c == ':' || c == '/' || c <= ' ') {
            fail(ZarrStatusCode_InvalidSettings,
                 "invalid S3 region '",
                 region,
                 "'");
        }
    }
    return result;
}

} // namespace zarr::s3

#pragma once

#include "store/ByteSpan.hpp"

#include <span>
#include <string>
#include <vector>

namespace zarr::s3 {

/// One S3 request, as Client builds it and Transfer sends it.
struct Request
{
    const char* operation = ""; // S3's name for it ("PutObject"), for messages
    std::string method;         // GET, HEAD, PUT, POST or DELETE
    std::string key;            // the object, or "" for the bucket; for messages
    std::string url;            // endpoint/bucket/encoded key + canonical query
    std::vector<std::string> headers; // "Name: value", signed with the rest
    std::span<const ByteSpan> body;   // PUT and POST; must outlive the request
    /// x-amz-content-sha256: the body's SHA-256 or UNSIGNED-PAYLOAD. Always
    /// sent: libcurl 7.88 signs without it a payload hash that servers
    /// checking signatures do not accept.
    std::string payload_sha256;
    /// CompleteMultipartUpload and DeleteObjects may answer HTTP 200 and
    /// put an <Error> document in the body: check it.
    bool error_in_ok_body = false;
};

} // namespace zarr::s3

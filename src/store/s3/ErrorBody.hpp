#pragma once

#include <string>
#include <string_view>

namespace zarr::s3 {

/// The <Error> document S3 sends with a failure (empty fields when the body
/// is not one: HEAD responses have no body, a proxy may send HTML).
struct ErrorBody
{
    std::string code;    // e.g. NoSuchBucket, SignatureDoesNotMatch
    std::string message;
    std::string region;  // where the bucket is, for a wrong-region error

    static ErrorBody parse(std::string_view body);
};

} // namespace zarr::s3

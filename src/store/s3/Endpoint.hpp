#pragma once

#include <string>

namespace zarr::s3 {

/// Where the objects go. Requests are addressed path-style,
/// `<url>/<bucket>/<key>`, which every S3 implementation understands and
/// needs no DNS name per bucket.
struct Endpoint
{
    std::string url;    // scheme://host[:port], e.g. http://127.0.0.1:9000
    std::string bucket;
    std::string region; // empty means "us-east-1"

    /// This endpoint with the URL as libcurl parsed it (scheme://host[:port],
    /// no trailing '/') and the default region filled in.
    /// Throws ZarrError(InvalidSettings) for a URL that is not http(s) with a
    /// host and no path, query or user name, and for an invalid bucket name.
    Endpoint validated() const;
};

} // namespace zarr::s3

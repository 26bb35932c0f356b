#pragma once

#include "store/s3/ErrorBody.hpp"

#include <string>

namespace zarr::s3 {

/// What one attempt of a request came back with.
struct Response
{
    /// libcurl's result (a CURLcode); 0 if an HTTP response arrived.
    int transport = 0;
    /// libcurl's message when `transport` is not 0.
    std::string transport_error;

    long status = 0; // HTTP status
    std::string body;
    // The response headers the client uses (values trimmed).
    std::string etag;
    std::string bucket_region; // x-amz-bucket-region

    /// The parsed error document of a failure (and of a 2xx response whose
    /// request says it may carry one).
    ErrorBody error;
    int attempts = 0; // how many were made, set by Client

    bool ok() const noexcept
    {
        return transport == 0 && status / 100 == 2 && error.code.empty();
    }
};

} // namespace zarr::s3

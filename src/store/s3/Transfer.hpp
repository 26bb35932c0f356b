#pragma once

#include "store/s3/ClientOptions.hpp"
#include "store/s3/Credentials.hpp"
#include "store/s3/Endpoint.hpp"
#include "store/s3/Request.hpp"
#include "store/s3/Response.hpp"

#include <string>

typedef void CURL;

namespace zarr::s3 {

/// Sends one attempt of a request on an easy handle: sets every option
/// afresh (curl_easy_reset keeps the handle's open connection), signs with
/// libcurl's AWS SigV4, streams the body from the caller's memory, and
/// collects status, body and the headers the client reads. No retries and
/// no exceptions for failed transfers: the caller decides from Response.
class Transfer
{
  public:
    Transfer(const Endpoint& endpoint,
             const Credentials& credentials,
             const ClientOptions& options);

    Response run(CURL* handle, const Request& request) const;

  private:
    std::string sigv4_;      // "aws:amz:<region>:s3"
    std::string user_;       // access key id
    std::string password_;   // secret access key: only ever given to libcurl
    std::string token_header_; // "x-amz-security-token: ..." or ""
    std::string user_agent_;
    ClientOptions options_;
};

} // namespace zarr::s3

#pragma once

#include "store/s3/ClientOptions.hpp"
#include "store/s3/Response.hpp"

#include <chrono>
#include <string_view>

namespace zarr::s3 {

/// Which failed attempts are worth another try, and how long to wait first.
/// Transient: the server was busy or broke (5xx but 501, 429, S3's
/// SlowDown / RequestTimeout / InternalError / ServiceUnavailable /
/// OperationAborted), or the connection failed (refused, reset, timed out,
/// closed without an answer). Everything else (a 4xx: bad credentials, no
/// such bucket; an unresolvable host name; a malformed request) fails at
/// once: retrying would give the same answer.
class RetryPolicy
{
  public:
    explicit RetryPolicy(const ClientOptions& options);

    /// `s3_code`: the <Code> of the error body, if any.
    static bool transient(const Response& response, std::string_view s3_code);

    /// Whether attempt `attempts_made + 1` may start, `elapsed` after the
    /// first began, and after how long a wait.
    bool may_retry(int attempts_made, std::chrono::milliseconds elapsed) const;
    std::chrono::milliseconds backoff(int attempts_made) const;

  private:
    ClientOptions options_;
};

} // namespace zarr::s3

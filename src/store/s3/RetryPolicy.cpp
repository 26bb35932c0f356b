#include "store/s3/RetryPolicy.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <random>

namespace zarr::s3 {

RetryPolicy::RetryPolicy(const ClientOptions& options)
  : options_(options)
{
}

bool
RetryPolicy::transient(const Response& response, std::string_view s3_code)
{
    switch (response.transport) {
        case CURLE_OK:
            break;
        case CURLE_COULDNT_CONNECT:   // refused: the server may be restarting
        case CURLE_OPERATION_TIMEDOUT: // connect timeout or the low-speed limit
        case CURLE_SEND_ERROR:        // reset while sending
        case CURLE_RECV_ERROR:        // reset while receiving
        case CURLE_GOT_NOTHING:       // closed without a response
        case CURLE_PARTIAL_FILE:      // response cut short
        case CURLE_SSL_CONNECT_ERROR: // handshake cut short
            return true;
        default:
            return false;
    }
    if (response.status == 429 ||
        (response.status >= 500 && response.status != 501)) {
        return true;
    }
    static constexpr std::array<std::string_view, 6> codes = {
        "SlowDown",       "RequestTimeout",     "InternalError",
        "ServiceUnavailable", "OperationAborted", "Throttling"
    };
    return std::find(codes.begin(), codes.end(), s3_code) != codes.end();
}

bool
RetryPolicy::may_retry(int attempts_made, std::chrono::milliseconds elapsed) const
{
    return attempts_made < options_.max_attempts && elapsed < options_.retry_budget;
}

std::chrono::milliseconds
RetryPolicy::backoff(int attempts_made) const
{
    // Exponential, capped, with jitter so that workers failing together do
    // not retry together.
    auto wait = options_.backoff_initial;
    for (int i = 1; i < attempts_made && wait < options_.backoff_max; ++i) {
        wait *= 2;
    }
    wait = std::min(wait, options_.backoff_max);
    thread_local std::minstd_rand random(std::random_device{}());
    std::uniform_real_distribution<double> fraction(0.5, 1.0);
    return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(wait.count()) * fraction(random)));
}

} // namespace zarr::s3

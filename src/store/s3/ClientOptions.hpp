#pragma once

#include <chrono>

namespace zarr::s3 {

/// How long a request may take and how often it is tried. The defaults make
/// a dead or stuck server an error within about 20 seconds and a closed
/// port one within about 2 seconds, while riding out a server's brief
/// hiccups (5xx, throttling, a dropped connection).
struct ClientOptions
{
    /// TCP (and TLS) connection setup, per attempt.
    std::chrono::milliseconds connect_timeout{ 5000 };
    /// An attempt is abandoned when fewer than `low_speed_bytes` per second
    /// move for `low_speed_time`: a server that stops answering, without a
    /// cap on how long a large upload that is progressing may take.
    long low_speed_bytes = 1;
    std::chrono::seconds low_speed_time{ 10 };

    /// Attempts per request, the first included, for transient failures
    /// (5xx, 429, S3's SlowDown/RequestTimeout, timeouts, resets, refused
    /// connections). Other failures are not retried.
    int max_attempts = 4;
    /// The wait before retry n is up to backoff_initial * 2^(n-1), at most
    /// backoff_max, randomised to between half and all of that.
    std::chrono::milliseconds backoff_initial{ 200 };
    std::chrono::milliseconds backoff_max{ 2000 };
    /// No retry starts once this much time has passed since the first
    /// attempt began.
    std::chrono::milliseconds retry_budget{ 20000 };

    /// Whether uploads carry their body's SHA-256 in the signature
    /// (a pass over the bytes) instead of UNSIGNED-PAYLOAD. Request bodies
    /// of XML are always hashed.
    bool sign_payload = false;
};

} // namespace zarr::s3

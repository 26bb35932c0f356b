#pragma once

#include "store/ByteSpan.hpp"
#include "store/s3/ClientOptions.hpp"
#include "store/s3/Credentials.hpp"
#include "store/s3/Endpoint.hpp"
#include "util/ZarrError.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace zarr::s3 {

class HandlePool;
class RetryPolicy;
class Transfer;
struct Request;
struct Response;

/// The S3 operations a store needs, on one bucket, over libcurl.
///
/// - Thread-safe: any number of threads may call at once; at most
///   `max_connections` requests are in flight (each on its own pooled
///   libcurl handle and connection, reused by later requests), the others
///   wait for a handle.
/// - Signed with libcurl's AWS SigV4 (CURLOPT_AWS_SIGV4).
/// - Keys are '/'-separated object keys in the bucket (1 to 1024 bytes, no
///   NUL; an invalid one throws ZarrError(InvalidArgument)).
/// - Transient failures are retried as ClientOptions says; then, and for
///   any other failure, a ZarrError(IOError) is thrown naming the
///   operation, key, bucket and endpoint, and giving the HTTP status with
///   S3's error code and message, or the connection error. check_bucket
///   throws ZarrError(InvalidSettings) instead.
/// - The secret key and the session token are in no message.
/// - Request bodies are read from the caller's memory while the call runs
///   (never copied into one buffer); the memory must stay valid and
///   unchanged until the call returns.
class Client
{
  public:
    /// `endpoint` is validated (Endpoint::validated: throws
    /// ZarrError(InvalidSettings)); nothing is sent yet.
    Client(Endpoint endpoint,
           Credentials credentials,
           std::size_t max_connections,
           ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// The validated endpoint (canonical URL, region filled in).
    const Endpoint& endpoint() const noexcept { return endpoint_; }

    /// For stream creation: that the endpoint answers, the bucket exists
    /// and the credentials are accepted for it (HeadBucket). Throws
    /// ZarrError(InvalidSettings) saying which of these failed: "cannot
    /// reach the S3 endpoint", "bucket ... does not exist", "refused the
    /// credentials" (with S3's reason: unknown access key ID, secret that
    /// does not match, invalid session token, access denied), or a wrong
    /// region.
    void check_bucket();

    /// PutObject: `key` becomes the concatenated pieces of `body`, in one
    /// request (S3 takes up to 5 GiB so).
    void put_object(const std::string& key, std::span<const ByteSpan> body);

    /// CreateMultipartUpload; returns the upload ID for the calls below.
    /// Nothing is visible at `key` until complete_multipart_upload.
    std::string create_multipart_upload(const std::string& key);

    /// UploadPart: part `part_number` (1 to 10000) of the upload. Parts may
    /// be uploaded in any order and concurrently; all but the last must be
    /// at least 5 MiB. Returns the part's ETag, for completion.
    std::string upload_part(const std::string& key,
                            const std::string& upload_id,
                            int part_number,
                            std::span<const ByteSpan> body);

    /// CompleteMultipartUpload with parts 1..n, where `etags[i]` is part
    /// i+1's ETag: the object appears at `key`, whole. If a retry finds the
    /// upload already gone, the object at `key` is checked to be this
    /// upload's (its ETag is the one S3 gives these parts).
    void complete_multipart_upload(const std::string& key,
                                   const std::string& upload_id,
                                   const std::vector<std::string>& etags);

    /// AbortMultipartUpload: the parts are discarded; nothing appears at
    /// `key`. An upload that is already gone is not an error.
    void abort_multipart_upload(const std::string& key,
                                const std::string& upload_id);

    /// GetObject: the whole object, or nullopt if there is no such key
    /// (a missing bucket is an error).
    std::optional<std::string> get_object(const std::string& key);

    /// HeadObject: whether `key` exists. (S3 answers a missing key with 403,
    /// an error here, when the credentials lack s3:ListBucket.)
    bool object_exists(const std::string& key);

    /// ListObjectsV2, every page: all keys that start with `prefix` (whole
    /// keys, prefix included), in S3's order (by UTF-8 bytes).
    std::vector<std::string> list_objects(const std::string& prefix);

    /// DeleteObjects in batches of 1000 (with Content-MD5, as S3 requires).
    /// Missing keys are not errors. Keys S3 refuses to delete are collected
    /// over all batches and reported in one ZarrError(IOError) at the end,
    /// with their codes.
    void delete_objects(const std::vector<std::string>& keys);

  private:
    /// Aborts the uploads of `key` other than `kept` (after a retried
    /// CreateMultipartUpload, whose first attempts may have created one).
    void abort_lost_uploads(const std::string& key, const std::string& kept);
    Request make_request(const char* operation,
                         const char* method,
                         const std::string& key,
                         const std::string& query) const;
    /// Sends with retries; returns the last attempt's response, whatever
    /// it is.
    Response send(const Request& request);
    /// Sends; returns the response if ok(), else throws IOError.
    Response send_ok(const Request& request);
    [[noreturn]] void fail_request(const Request& request,
                                   const Response& response,
                                   ZarrStatusCode code) const;
    [[noreturn]] void fail_credentials(const Response& response) const;
    std::string what(const Request& request) const;
    /// `text` with every occurrence of the secret and the token removed,
    /// whatever put them there.
    std::string redacted(std::string text) const;
    bool completed_before(const std::string& key,
                          const std::vector<std::string>& etags);

    Endpoint endpoint_;
    Credentials credentials_;
    ClientOptions options_;
    std::unique_ptr<RetryPolicy> retry_;
    std::unique_ptr<Transfer> transfer_;
    std::unique_ptr<HandlePool> pool_;
};

} // namespace zarr::s3

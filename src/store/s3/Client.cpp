#include "store/s3/Client.hpp"

#include "store/s3/Digest.hpp"
#include "store/s3/HandlePool.hpp"
#include "store/s3/ListPage.hpp"
#include "store/s3/Query.hpp"
#include "store/s3/Request.hpp"
#include "store/s3/Response.hpp"
#include "store/s3/RetryPolicy.hpp"
#include "store/s3/Transfer.hpp"
#include "store/s3/UrlEncoding.hpp"
#include "store/s3/XmlDocuments.hpp"
#include "util/Logger.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace zarr::s3 {
namespace {

// S3's limits.
constexpr std::size_t max_key_bytes = 1024;
constexpr int max_part_number = 10000;
constexpr std::size_t delete_batch = 1000;
// Failed keys named in a DeleteObjects error; the rest are counted.
constexpr std::size_t failures_named = 5;

const std::string unsigned_payload = "UNSIGNED-PAYLOAD";

void
check_key(const std::string& key)
{
    if (key.empty() || key.size() > max_key_bytes ||
        key.find('\0') != std::string::npos) {
        const bool long_key = key.size() > 100;
        fail(ZarrStatusCode_InvalidArgument,
             "invalid S3 key '",
             long_key ? key.substr(0, 100) + "..." : key,
             "' (",
             key.size(),
             " bytes): it must have 1 to 1024 bytes and no NUL");
    }
}

ByteSpan
span_of(const std::string& text)
{
    return { reinterpret_cast<const uint8_t*>(text.data()), text.size() };
}

// "HTTP 403 SignatureDoesNotMatch: The request signature ..." or the
// connection error, then how many attempts it took if more than one.
std::string
outcome(const Response& response, bool with_attempts = true)
{
    std::string text;
    if (response.transport != 0) {
        text = response.transport_error;
    } else {
        text = concat("HTTP ", response.status);
        if (!response.error.code.empty()) {
            text += " " + response.error.code;
        }
        if (!response.error.message.empty()) {
            text += ": " + response.error.message;
        }
    }
    if (with_attempts && response.attempts > 1) {
        text += concat(" (after ", response.attempts, " attempts)");
    }
    return text;
}

// The multipart ETag S3 gives an object completed from parts with these
// ETags: the MD5 of their concatenated binary MD5s, then "-<count>".
// Empty if an ETag is not a plain MD5 (e.g. with SSE-KMS).
std::string
multipart_etag(const std::vector<std::string>& etags)
{
    std::string digests;
    for (std::string etag : etags) {
        etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
        if (etag.size() != 32) {
            return {};
        }
        for (std::size_t i = 0; i < 32; i += 2) {
            const auto nibble = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            const int high = nibble(etag[i]);
            const int low = nibble(etag[i + 1]);
            if (high < 0 || low < 0) {
                return {};
            }
            digests += static_cast<char>(high * 16 + low);
        }
    }
    return concat('"', digest::hex(digest::md5(digests)), '-', etags.size(), '"');
}

} // namespace

Client::Client(Endpoint endpoint,
               Credentials credentials,
               std::size_t max_connections,
               ClientOptions options)
  : endpoint_(endpoint.validated())
  , credentials_(std::move(credentials))
  , options_(options)
  , retry_(std::make_unique<RetryPolicy>(options_))
  , transfer_(std::make_unique<Transfer>(endpoint_, credentials_, options_))
  , pool_(std::make_unique<HandlePool>(max_connections))
{
    if (credentials_.access_key_id.empty() || credentials_.secret_access_key.empty()) {
        fail(ZarrStatusCode_InvalidSettings,
             "S3 credentials need an access key ID and a secret access key");
    }
}

Client::~Client() = default;

Request
Client::make_request(const char* operation,
                     const char* method,
                     const std::string& key,
                     const std::string& query) const
{
    Request request;
    request.operation = operation;
    request.method = method;
    request.key = key;
    request.url = endpoint_.url + "/" + endpoint_.bucket;
    if (!key.empty()) {
        request.url += "/" + url::encode_key(key);
    }
    request.url += query;
    // No body: the SHA-256 of nothing, signed as such.
    static const std::string empty_sha256 = digest::sha256_hex(std::string_view());
    request.payload_sha256 = empty_sha256;
    return request;
}

Response
Client::send(const Request& request)
{
    const auto start = std::chrono::steady_clock::now();
    for (int attempt = 1;; ++attempt) {
        Response response;
        {
            auto handle = pool_->acquire();
            response = transfer_->run(handle.get(), request);
        }
        response.attempts = attempt;
        const bool http_failure = response.transport == 0 && response.status / 100 != 2;
        if (http_failure || (response.transport == 0 && request.error_in_ok_body)) {
            response.error = ErrorBody::parse(response.body);
        }
        if (response.ok()) {
            return response;
        }
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
        if (!RetryPolicy::transient(response, response.error.code) ||
            !retry_->may_retry(attempt, elapsed)) {
            return response;
        }
        const auto wait = retry_->backoff(attempt);
        log_debug(redacted(concat(what(request), ": ", outcome(response, false),
                                  "; attempt ", attempt, " of ", options_.max_attempts,
                                  " failed, retrying in ", wait.count(), " ms")));
        std::this_thread::sleep_for(wait);
    }
}

Response
Client::send_ok(const Request& request)
{
    Response response = send(request);
    if (!response.ok()) {
        fail_request(request, response, ZarrStatusCode_IOError);
    }
    return response;
}

std::string
Client::what(const Request& request) const
{
    if (request.key.empty()) {
        return concat("S3 ", request.operation, " on bucket '", endpoint_.bucket,
                      "' at ", endpoint_.url);
    }
    return concat("S3 ", request.operation, " of '", request.key, "' in bucket '",
                  endpoint_.bucket, "' at ", endpoint_.url);
}

void
Client::fail_request(const Request& request,
                     const Response& response,
                     ZarrStatusCode code) const
{
    fail(code, redacted(concat(what(request), " failed: ", outcome(response))));
}

std::string
Client::redacted(std::string text) const
{
    for (const std::string* secret :
         { &credentials_.secret_access_key, &credentials_.session_token }) {
        if (secret->empty()) {
            continue;
        }
        for (auto at = text.find(*secret); at != std::string::npos;
             at = text.find(*secret, at)) {
            text.replace(at, secret->size(), "<redacted>");
        }
    }
    return text;
}

void
Client::check_bucket()
{
    const Request head = make_request("HeadBucket", "HEAD", "", "");
    const Response response = send(head);
    if (response.ok()) {
        return;
    }
    if (response.transport != 0) {
        fail(ZarrStatusCode_InvalidSettings,
             redacted(concat("cannot reach the S3 endpoint ", endpoint_.url, ": ",
                             outcome(response))));
    }
    if (response.status == 404) {
        fail(ZarrStatusCode_InvalidSettings,
             concat("the S3 bucket '", endpoint_.bucket, "' does not exist at ",
                    endpoint_.url));
    }
    if (!response.bucket_region.empty() && response.bucket_region != endpoint_.region) {
        fail(ZarrStatusCode_InvalidSettings,
             concat("the S3 bucket '", endpoint_.bucket, "' at ", endpoint_.url,
                    " is in region '", response.bucket_region, "', not '",
                    endpoint_.region, "': set the region"));
    }
    if (response.status == 400 || response.status == 401 || response.status == 403) {
        // A HEAD response has no body to say why: ask again with a GET.
        const Request list = make_request(
          "ListObjectsV2", "GET", "", Query().add("list-type", "2").add("max-keys", "1").str());
        const Response detail = send(list);
        fail_credentials(detail.transport == 0 && !detail.ok() ? detail : response);
    }
    fail_request(head, response, ZarrStatusCode_InvalidSettings);
}

void
Client::fail_credentials(const Response& response) const
{
    const std::string& code = response.error.code;
    const std::string whose = concat("access key ID '", credentials_.access_key_id,
                                     "' from ", credentials_.source);
    std::string reason;
    if (code == "InvalidAccessKeyId") {
        reason = "the access key ID is not known there";
    } else if (code == "SignatureDoesNotMatch") {
        reason = "the secret access key does not match the access key ID";
    } else if (code == "InvalidToken" || code == "ExpiredToken" ||
               code == "TokenRefreshRequired") {
        reason = "the session token (AWS_SESSION_TOKEN) is invalid or expired";
    } else if (code == "AccessDenied" || code == "AllAccessDisabled") {
        reason = concat("access to bucket '", endpoint_.bucket, "' is denied");
    } else if (code == "AuthorizationHeaderMalformed" && !response.error.region.empty()) {
        fail(ZarrStatusCode_InvalidSettings,
             concat("the S3 bucket '", endpoint_.bucket, "' at ", endpoint_.url,
                    " is in region '", response.error.region, "', not '",
                    endpoint_.region, "': set the region"));
    } else if (code == "NoSuchBucket") {
        fail(ZarrStatusCode_InvalidSettings,
             concat("the S3 bucket '", endpoint_.bucket, "' does not exist at ",
                    endpoint_.url));
    } else {
        reason = "the request was refused";
    }
    fail(ZarrStatusCode_InvalidSettings,
         redacted(concat("S3 at ", endpoint_.url, " refused the credentials (", whose,
                         "): ", reason, " [", outcome(response), "]")));
}

void
Client::put_object(const std::string& key, std::span<const ByteSpan> body)
{
    check_key(key);
    Request request = make_request("PutObject", "PUT", key, "");
    request.body = body;
    request.payload_sha256 =
      options_.sign_payload ? digest::sha256_hex(body) : unsigned_payload;
    send_ok(request);
}

std::string
Client::create_multipart_upload(const std::string& key)
{
    check_key(key);
    Request request =
      make_request("CreateMultipartUpload", "POST", key, Query().add("uploads").str());
    // S3 gives the object the Content-Type of this request, and libcurl
    // would send its POST default, application/x-www-form-urlencoded.
    request.headers.push_back("Content-Type: application/octet-stream");
    const Response response = send_ok(request);
    std::string id = xml::upload_id(response.body);
    if (id.empty()) {
        fail(ZarrStatusCode_IOError,
             what(request), " returned no UploadId");
    }
    if (response.attempts > 1) {
        abort_lost_uploads(key, id);
    }
    return id;
}

void
Client::abort_lost_uploads(const std::string& key, const std::string& kept)
{
    // An earlier attempt may have created an upload whose answer never
    // came: nobody would complete or abort it, and its parts would hold
    // storage. (One writer per key: another upload of this key in flight
    // is such a leftover.) Best effort: the stream goes on either way.
    try {
        Query query;
        query.add("uploads").add("prefix", key);
        const Request request = make_request("ListMultipartUploads", "GET", "", query.str());
        for (const std::string& id : xml::upload_ids_of(send_ok(request).body, key)) {
            if (id != kept) {
                abort_multipart_upload(key, id);
                log_debug(concat("aborted an upload of '", key,
                                 "' whose creation was answered too late"));
            }
        }
    } catch (const std::exception& error) {
        log_warning(redacted(concat("could not look for uploads of '", key,
                                    "' left by a retried creation: ", error.what())));
    }
}

std::string
Client::upload_part(const std::string& key,
                    const std::string& upload_id,
                    int part_number,
                    std::span<const ByteSpan> body)
{
    check_key(key);
    if (part_number < 1 || part_number > max_part_number) {
        fail(ZarrStatusCode_InvalidArgument,
             "S3 part number ", part_number, " of '", key,
             "' is outside 1 to 10000");
    }
    Request request = make_request(
      "UploadPart", "PUT", key,
      Query().add("partNumber", std::to_string(part_number)).add("uploadId", upload_id).str());
    request.body = body;
    request.payload_sha256 =
      options_.sign_payload ? digest::sha256_hex(body) : unsigned_payload;
    const Response response = send_ok(request);
    if (response.etag.empty()) {
        fail(ZarrStatusCode_IOError,
             what(request), " (part ", part_number, ") returned no ETag");
    }
    return response.etag;
}

void
Client::complete_multipart_upload(const std::string& key,
                                  const std::string& upload_id,
                                  const std::vector<std::string>& etags)
{
    check_key(key);
    if (etags.empty()) {
        fail(ZarrStatusCode_InvalidArgument,
             "an S3 multipart upload of '", key, "' needs at least one part");
    }
    const std::string document = xml::complete_multipart_upload(etags);
    const ByteSpan body = span_of(document);
    Request request = make_request("CompleteMultipartUpload", "POST", key,
                                   Query().add("uploadId", upload_id).str());
    request.body = std::span(&body, 1);
    request.payload_sha256 = digest::sha256_hex(document);
    request.headers.push_back("Content-Type: application/xml");
    request.error_in_ok_body = true;

    const Response response = send(request);
    if (response.ok()) {
        if (!xml::is_complete_multipart_upload_result(response.body)) {
            fail(ZarrStatusCode_IOError,
                 what(request), " returned an unexpected response");
        }
        return;
    }
    // An attempt that completed the upload but whose answer was lost makes
    // the retry find no upload: done, if the object is this upload's.
    if (response.attempts > 1 && response.error.code == "NoSuchUpload" &&
        completed_before(key, etags)) {
        return;
    }
    fail_request(request, response, ZarrStatusCode_IOError);
}

bool
Client::completed_before(const std::string& key, const std::vector<std::string>& etags)
{
    const std::string expected = multipart_etag(etags);
    const Response head = send(make_request("HeadObject", "HEAD", key, ""));
    return !expected.empty() && head.ok() && head.etag == expected;
}

void
Client::abort_multipart_upload(const std::string& key, const std::string& upload_id)
{
    check_key(key);
    const Request request = make_request("AbortMultipartUpload", "DELETE", key,
                                         Query().add("uploadId", upload_id).str());
    const Response response = send(request);
    if (response.ok() || (response.status == 404 && response.error.code == "NoSuchUpload")) {
        return;
    }
    fail_request(request, response, ZarrStatusCode_IOError);
}

std::optional<std::string>
Client::get_object(const std::string& key)
{
    check_key(key);
    const Request request = make_request("GetObject", "GET", key, "");
    Response response = send(request);
    if (response.ok()) {
        return std::move(response.body);
    }
    if (response.status == 404 &&
        (response.error.code == "NoSuchKey" || response.error.code.empty())) {
        return std::nullopt;
    }
    fail_request(request, response, ZarrStatusCode_IOError);
}

bool
Client::object_exists(const std::string& key)
{
    check_key(key);
    const Request request = make_request("HeadObject", "HEAD", key, "");
    const Response response = send(request);
    if (response.ok()) {
        return true;
    }
    if (response.status == 404) {
        return false;
    }
    fail_request(request, response, ZarrStatusCode_IOError);
}

std::vector<std::string>
Client::list_objects(const std::string& prefix)
{
    std::vector<std::string> keys;
    std::string token;
    do {
        Query query;
        query.add("list-type", "2").add("encoding-type", "url");
        if (!prefix.empty()) {
            query.add("prefix", prefix);
        }
        if (!token.empty()) {
            query.add("continuation-token", token);
        }
        Request request = make_request("ListObjectsV2", "GET", "", query.str());
        ListPage page = ListPage::parse(send_ok(request).body);
        keys.insert(keys.end(), std::make_move_iterator(page.keys.begin()),
                    std::make_move_iterator(page.keys.end()));
        token = std::move(page.next_continuation_token);
    } while (!token.empty());
    return keys;
}

void
Client::delete_objects(const std::vector<std::string>& keys)
{
    for (const std::string& key : keys) {
        check_key(key);
    }
    std::vector<xml::DeleteFailure> failures;
    for (std::size_t start = 0; start < keys.size(); start += delete_batch) {
        const std::size_t count = std::min(delete_batch, keys.size() - start);
        const std::string document =
          xml::delete_objects(std::span(keys).subspan(start, count));
        const ByteSpan body = span_of(document);
        Request request = make_request("DeleteObjects", "POST", "", Query().add("delete").str());
        request.body = std::span(&body, 1);
        request.payload_sha256 = digest::sha256_hex(document);
        request.headers.push_back("Content-MD5: " + digest::base64(digest::md5(document)));
        request.headers.push_back("Content-Type: application/xml");
        request.error_in_ok_body = true;
        auto batch = xml::delete_failures(send_ok(request).body);
        failures.insert(failures.end(), batch.begin(), batch.end());
    }
    if (failures.empty()) {
        return;
    }
    std::string list;
    for (std::size_t i = 0; i < failures.size() && i < failures_named; ++i) {
        list += concat(i ? ", '" : "'", failures[i].key, "' (", failures[i].code,
                       failures[i].message.empty() ? "" : ": ", failures[i].message, ")");
    }
    if (failures.size() > failures_named) {
        list += concat(" and ", failures.size() - failures_named, " more");
    }
    fail(ZarrStatusCode_IOError,
         redacted(concat("S3 DeleteObjects in bucket '", endpoint_.bucket, "' at ",
                         endpoint_.url, ": ", failures.size(), " of ", keys.size(),
                         " keys were not deleted: ", list)));
}

} // namespace zarr::s3

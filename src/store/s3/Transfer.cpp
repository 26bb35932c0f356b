#include "store/s3/Transfer.hpp"

#include "store/s3/BodyReader.hpp"
#include "util/ZarrError.hpp"

#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <string_view>

#ifndef ACQUIRE_ZARR_VERSION
#define ACQUIRE_ZARR_VERSION "dev"
#endif

namespace zarr::s3 {
namespace {

using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

// Fits each piece of memory libcurl sends into fewer, larger writes than
// its 64 KiB default.
constexpr long upload_buffer_size = 256 * 1024;

std::string_view
trim(std::string_view text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    return text;
}

bool
is_header(std::string_view line, std::string_view name)
{
    if (line.size() <= name.size() || line[name.size()] != ':') {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) {
            return false;
        }
    }
    return true;
}

std::size_t
on_body(char* data, std::size_t size, std::size_t count, void* user)
{
    static_cast<Response*>(user)->body.append(data, size * count);
    return size * count;
}

// Called once per header line, for every response of the request
// (a "100 Continue" first, when the server sends one).
std::size_t
on_header(char* data, std::size_t size, std::size_t count, void* user)
{
    auto* response = static_cast<Response*>(user);
    const std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) { // a new response: forget the last one's
        response->etag.clear();
        response->bucket_region.clear();
    } else if (is_header(line, "etag")) {
        response->etag = trim(line.substr(5));
    } else if (is_header(line, "x-amz-bucket-region")) {
        response->bucket_region = trim(line.substr(20));
    }
    return size * count;
}

void
append(HeaderList& list, const std::string& header)
{
    curl_slist* grown = curl_slist_append(list.get(), header.c_str());
    if (grown == nullptr) {
        fail(ZarrStatusCode_OutOfMemory, "cannot build an S3 request");
    }
    list.release();
    list.reset(grown);
}

} // namespace

Transfer::Transfer(const Endpoint& endpoint,
                   const Credentials& credentials,
                   const ClientOptions& options)
  : sigv4_("aws:amz:" + endpoint.region + ":s3")
  , user_(credentials.access_key_id)
  , password_(credentials.secret_access_key)
  , token_header_(credentials.session_token.empty()
                    ? ""
                    : "x-amz-security-token: " + credentials.session_token)
  , user_agent_("acquire-zarr/" ACQUIRE_ZARR_VERSION)
  , options_(options)
{
}

Response
Transfer::run(CURL* curl, const Request& request) const
{
    Response response;
    BodyReader body(request.body);
    char error[CURL_ERROR_SIZE] = {};

    // libcurl signs every header in this list (an empty "Expect:" to turn
    // off 100-continue would be signed too, and then not sent).
    HeaderList headers(nullptr, &curl_slist_free_all);
    append(headers, "x-amz-content-sha256: " + request.payload_sha256);
    if (!token_header_.empty()) {
        append(headers, token_header_);
    }
    for (const std::string& header : request.headers) {
        append(headers, header);
    }

    // Worker threads: no signals (libcurl would otherwise use SIGALRM for
    // DNS timeouts).
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    // Keys are paths of their own: "a/./b" must not become "a/b".
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    // S3 speaks HTTP/1.1; one request per handle at a time anyway.
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(
      curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes);
    curl_easy_setopt(
      curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));

    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    // Not CURLOPT_USERPWD: that splits "id:secret" at the first ':', which
    // would misread an access key ID containing one.
    curl_easy_setopt(curl, CURLOPT_USERNAME, user_.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);

    if (request.method == "PUT") {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(
          curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    if (request.method == "PUT" || request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, &BodyReader::curl_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &body);
        curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &BodyReader::curl_seek);
        curl_easy_setopt(curl, CURLOPT_SEEKDATA, &body);
        curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, upload_buffer_size);
    }

    const CURLcode result = curl_easy_perform(curl);
    if (result == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    }
    // Nothing of this request stays in the idle handle: not the header
    // list, error buffer and callback data on this stack frame, nor the
    // secret. The open connection does stay.
    curl_easy_reset(curl);

    response.transport = result;
    if (result != CURLE_OK) {
        response.transport_error =
          error[0] != '\0' ? std::string(error) : curl_easy_strerror(result);
        while (!response.transport_error.empty() &&
               std::isspace(static_cast<unsigned char>(response.transport_error.back()))) {
            response.transport_error.pop_back();
        }
    }
    return response;
}

} // namespace zarr::s3

#include "store/s3/UrlEncoding.hpp"

#include "util/ZarrError.hpp"

#include <curl/curl.h>

#include <climits>

namespace zarr::s3::url {
namespace {

// curl_easy_escape/unescape take an int length and return memory to free
// with curl_free. The handle argument has been ignored since 7.82.
std::string
take(char* text, std::size_t length)
{
    if (text == nullptr) {
        fail(ZarrStatusCode_OutOfMemory, "cannot percent-encode an S3 key");
    }
    std::string result(text, length);
    curl_free(text);
    return result;
}

int
length_of(std::string_view text)
{
    if (text.size() > INT_MAX / 3) {
        fail(ZarrStatusCode_InvalidArgument, "an S3 key or query value is too long");
    }
    return static_cast<int>(text.size());
}

} // namespace

std::string
encode_component(std::string_view text)
{
    if (text.empty()) { // a length of 0 would mean strlen()
        return {};
    }
    char* encoded = curl_easy_escape(nullptr, text.data(), length_of(text));
    return take(encoded, encoded ? std::char_traits<char>::length(encoded) : 0);
}

std::string
encode_key(std::string_view key)
{
    std::string out;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = key.find('/', start);
        out += encode_component(key.substr(start, slash - start));
        if (slash == std::string_view::npos) {
            return out;
        }
        out += '/';
        start = slash + 1;
    }
}

std::string
decode_form(std::string_view text)
{
    std::string plus_as_space(text);
    for (char& c : plus_as_space) {
        if (c == '+') {
            c = ' ';
        }
    }
    if (plus_as_space.empty()) {
        return {};
    }
    int length = 0;
    char* decoded = curl_easy_unescape(
      nullptr, plus_as_space.data(), length_of(plus_as_space), &length);
    return take(decoded, decoded ? static_cast<std::size_t>(length) : 0);
}

} // namespace zarr::s3::url

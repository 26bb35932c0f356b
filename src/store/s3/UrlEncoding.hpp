#pragma once

#include <string>
#include <string_view>

/// Percent-encoding as SigV4 wants it (RFC 3986: every byte but
/// A-Z a-z 0-9 - . _ ~ as %XX, upper-case hex), done by libcurl. libcurl
/// 7.88 signs the path and query exactly as written in the URL, and the
/// server signs its own canonical encoding of what it received, so the URL
/// must already be in that canonical form.
namespace zarr::s3::url {

/// One query value or name: '/' too is encoded.
std::string
encode_component(std::string_view text);

/// An object key in a path: each '/'-separated segment is encoded and the
/// slashes are kept (S3 does not encode them in its canonical URI).
std::string
encode_key(std::string_view key);

/// The inverse of S3's `encoding-type=url` in list responses, which writes
/// a space as '+' (and a '+' as %2B).
std::string
decode_form(std::string_view text);

} // namespace zarr::s3::url

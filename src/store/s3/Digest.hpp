#pragma once

#include "store/ByteSpan.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

/// The digests S3 requests carry, computed by OpenSSL's libcrypto.
namespace zarr::s3::digest {

/// Lowercase hex SHA-256 of the concatenated pieces: the value of
/// x-amz-content-sha256 for a signed payload.
std::string
sha256_hex(std::span<const ByteSpan> pieces);

std::string
sha256_hex(std::string_view bytes);

/// The raw MD5 of `bytes` (Content-MD5, multipart ETags).
std::array<uint8_t, 16>
md5(std::string_view bytes);

/// Standard base64 with padding (Content-MD5's encoding).
std::string
base64(std::span<const uint8_t> bytes);

/// Lowercase hex of raw bytes.
std::string
hex(std::span<const uint8_t> bytes);

} // namespace zarr::s3::digest

#include "store/s3/Digest.hpp"

#include "util/ZarrError.hpp"

#include <openssl/evp.h>

#include <memory>
#include <vector>

namespace zarr::s3::digest {
namespace {

using Context = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

template<std::size_t Size>
std::array<uint8_t, Size>
compute(const EVP_MD* algorithm, std::span<const ByteSpan> pieces)
{
    Context context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    bool ok = context && algorithm &&
              EVP_DigestInit_ex(context.get(), algorithm, nullptr) == 1;
    for (const ByteSpan& piece : pieces) {
        ok = ok && EVP_DigestUpdate(context.get(), piece.data, piece.size) == 1;
    }
    std::array<uint8_t, Size> digest{};
    unsigned int length = 0;
    ok = ok && EVP_DigestFinal_ex(context.get(), digest.data(), &length) == 1 &&
         length == Size;
    if (!ok) { // e.g. MD5 unavailable in a FIPS-only OpenSSL configuration
        fail(ZarrStatusCode_InternalError,
             "OpenSSL cannot compute ",
             algorithm ? EVP_MD_get0_name(algorithm) : "a digest");
    }
    return digest;
}

ByteSpan
span_of(std::string_view bytes)
{
    return { reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size() };
}

} // namespace

std::string
sha256_hex(std::span<const ByteSpan> pieces)
{
    const auto digest = compute<32>(EVP_sha256(), pieces);
    return hex(digest);
}

std::string
sha256_hex(std::string_view bytes)
{
    const ByteSpan piece = span_of(bytes);
    return sha256_hex(std::span(&piece, 1));
}

std::array<uint8_t, 16>
md5(std::string_view bytes)
{
    const ByteSpan piece = span_of(bytes);
    return compute<16>(EVP_md5(), std::span(&piece, 1));
}

std::string
base64(std::span<const uint8_t> bytes)
{
    // EVP_EncodeBlock writes 4 characters per 3 bytes and a terminating NUL.
    std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
    const int length =
      EVP_EncodeBlock(out.data(), bytes.data(), static_cast<int>(bytes.size()));
    return std::string(reinterpret_cast<const char*>(out.data()), length);
}

std::string
hex(std::span<const uint8_t> bytes)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (uint8_t byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 0xf];
    }
    return out;
}

} // namespace zarr::s3::digest

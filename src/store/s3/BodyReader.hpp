#pragma once

#include "store/ByteSpan.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace zarr::s3 {

/// Feeds a request body to libcurl from the caller's pieces of memory
/// (CURLOPT_READFUNCTION / CURLOPT_SEEKFUNCTION), so an upload is never
/// joined into one buffer first: each byte is copied once, into libcurl's
/// send buffer. The pieces must outlive the transfer.
class BodyReader
{
  public:
    explicit BodyReader(std::span<const ByteSpan> pieces);

    std::size_t size() const noexcept { return size_; }

    /// Copies up to `capacity` next bytes to `out`; 0 at the end.
    std::size_t read(char* out, std::size_t capacity) noexcept;
    /// Moves to byte `offset` (libcurl rewinds to resend a body); false if
    /// past the end.
    bool seek(uint64_t offset) noexcept;

    // The C callbacks, with `this` as their user pointer.
    static std::size_t curl_read(char* out, std::size_t size, std::size_t count, void* self);
    static int curl_seek(void* self, int64_t offset, int origin);

  private:
    std::span<const ByteSpan> pieces_;
    std::size_t size_ = 0;
    std::size_t piece_ = 0;  // the piece the next byte comes from
    std::size_t offset_ = 0; // within that piece
};

} // namespace zarr::s3

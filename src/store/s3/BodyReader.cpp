#include "store/s3/BodyReader.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace zarr::s3 {

BodyReader::BodyReader(std::span<const ByteSpan> pieces)
  : pieces_(pieces)
{
    for (const ByteSpan& piece : pieces_) {
        size_ += piece.size;
    }
}

std::size_t
BodyReader::read(char* out, std::size_t capacity) noexcept
{
    std::size_t written = 0;
    while (written < capacity && piece_ < pieces_.size()) {
        const ByteSpan& piece = pieces_[piece_];
        const std::size_t n = std::min(capacity - written, piece.size - offset_);
        if (n > 0) {
            std::memcpy(out + written, piece.data + offset_, n);
        }
        written += n;
        offset_ += n;
        if (offset_ == piece.size) {
            ++piece_;
            offset_ = 0;
        }
    }
    return written;
}

bool
BodyReader::seek(uint64_t offset) noexcept
{
    if (offset > size_) {
        return false;
    }
    piece_ = 0;
    offset_ = 0;
    while (piece_ < pieces_.size() && offset >= pieces_[piece_].size) {
        offset -= pieces_[piece_].size;
        ++piece_;
    }
    offset_ = static_cast<std::size_t>(offset);
    return true;
}

std::size_t
BodyReader::curl_read(char* out, std::size_t size, std::size_t count, void* self)
{
    return static_cast<BodyReader*>(self)->read(out, size * count);
}

int
BodyReader::curl_seek(void* self, int64_t offset, int origin)
{
    if (origin != SEEK_SET || offset < 0) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    return static_cast<BodyReader*>(self)->seek(static_cast<uint64_t>(offset))
             ? CURL_SEEKFUNC_OK
             : CURL_SEEKFUNC_FAIL;
}

} // namespace zarr::s3

#include "util/AlignedBuffer.hpp"

#include <new>
#include <utility>

namespace zarr {

AlignedBuffer::AlignedBuffer(std::size_t bytes, std::size_t alignment)
{
    ensure(bytes, alignment);
}

AlignedBuffer::~AlignedBuffer()
{
    release();
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& other) noexcept
  : data_(std::exchange(other.data_, nullptr))
  , size_(std::exchange(other.size_, 0))
  , alignment_(std::exchange(other.alignment_, 0))
{
}

AlignedBuffer&
AlignedBuffer::operator=(AlignedBuffer&& other) noexcept
{
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        alignment_ = std::exchange(other.alignment_, 0);
    }
    return *this;
}

uint8_t*
AlignedBuffer::ensure(std::size_t bytes, std::size_t alignment)
{
    if (alignment < alignof(std::max_align_t)) {
        alignment = alignof(std::max_align_t);
    }
    if (data_ && size_ >= bytes && alignment_ >= alignment) {
        return data_;
    }
    release();
    const std::size_t size = bytes > 0 ? bytes : 1;
    data_ = static_cast<uint8_t*>(::operator new(size, std::align_val_t(alignment)));
    size_ = size;
    alignment_ = alignment;
    return data_;
}

void
AlignedBuffer::release()
{
    if (data_) {
        ::operator delete(data_, std::align_val_t(alignment_));
        data_ = nullptr;
        size_ = 0;
        alignment_ = 0;
    }
}

} // namespace zarr

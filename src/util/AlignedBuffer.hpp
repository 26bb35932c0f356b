#pragma once

#include <cstddef>
#include <cstdint>

namespace zarr {

/// Memory whose address is a multiple of `alignment` (a power of two), as
/// direct I/O (O_DIRECT) needs. Its contents are not initialised, and are
/// not kept when it grows.
class AlignedBuffer
{
  public:
    AlignedBuffer() = default;
    AlignedBuffer(std::size_t bytes, std::size_t alignment);
    ~AlignedBuffer();

    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    AlignedBuffer(AlignedBuffer&& other) noexcept;
    AlignedBuffer& operator=(AlignedBuffer&& other) noexcept;

    /// At least `bytes` bytes aligned to at least `alignment`; reallocates
    /// (dropping the contents) only when the current memory falls short.
    uint8_t* ensure(std::size_t bytes, std::size_t alignment);

    uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }

  private:
    void release();

    uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t alignment_ = 0;
};

/// `value` rounded up to a multiple of `alignment` (a power of two; 0 or 1
/// leave it unchanged).
constexpr uint64_t
align_up(uint64_t value, uint64_t alignment)
{
    return alignment <= 1 ? value : (value + alignment - 1) & ~(alignment - 1);
}

constexpr uint64_t
align_down(uint64_t value, uint64_t alignment)
{
    return alignment <= 1 ? value : value & ~(alignment - 1);
}

} // namespace zarr

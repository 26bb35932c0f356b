#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace zarr {

/// Cuts appended bytes into whole frames. Callers may append any number of
/// bytes (part of a frame, one frame, many); whole frames in the caller's
/// memory are handed on without a copy, pieces are joined in a frame buffer
/// of our own until complete.
class FrameAssembler
{
  public:
    explicit FrameAssembler(std::size_t frame_bytes)
      : frame_bytes_(frame_bytes)
    {
    }

    /// Calls `on_frame(const uint8_t*)` for each frame `size` bytes from
    /// `data` complete (NULL `data` means zeros; a frame of zeros is passed
    /// as NULL). Returns when all `size` bytes are taken.
    template<typename OnFrame>
    void take(const uint8_t* data, std::size_t size, OnFrame&& on_frame)
    {
        std::size_t done = 0;
        while (done < size) {
            const std::size_t left = size - done;
            if (partial_bytes_ == 0 && left >= frame_bytes_) {
                // The common case: a whole frame straight from the caller.
                on_frame(data ? data + done : nullptr);
                done += frame_bytes_;
                continue;
            }
            if (!partial_frame_) {
                partial_frame_.reset(new uint8_t[frame_bytes_]);
            }
            const std::size_t take = std::min(frame_bytes_ - partial_bytes_, left);
            if (data) {
                std::memcpy(partial_frame_.get() + partial_bytes_, data + done, take);
            } else {
                std::memset(partial_frame_.get() + partial_bytes_, 0, take);
            }
            partial_bytes_ += take;
            done += take;
            if (partial_bytes_ == frame_bytes_) {
                partial_bytes_ = 0;
                on_frame(partial_frame_.get());
            }
        }
    }

    /// Bytes of an incomplete frame held.
    std::size_t partial_bytes() const { return partial_bytes_; }

    /// Completes the held partial frame with zeros and returns it; NULL if
    /// there is none.
    const uint8_t* pad_partial_frame()
    {
        if (partial_bytes_ == 0) {
            return nullptr;
        }
        std::memset(partial_frame_.get() + partial_bytes_, 0, frame_bytes_ - partial_bytes_);
        partial_bytes_ = 0;
        return partial_frame_.get();
    }

    std::size_t memory_in_use() const { return partial_frame_ ? frame_bytes_ : 0; }

  private:
    std::size_t frame_bytes_;
    std::unique_ptr<uint8_t[]> partial_frame_;
    std::size_t partial_bytes_ = 0;
};

} // namespace zarr

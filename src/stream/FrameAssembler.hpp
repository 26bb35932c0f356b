#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace zarr {

/// Cuts appended bytes into whole frames, and each frame into *pieces* of
/// `piece_bytes` (a frame's last piece may be shorter; it is passed padded
/// with zeros to `piece_bytes`). A piece is a whole frame unless the array
/// is banded (see FrameBanding.hpp). Callers may append any number of bytes
/// (part of a frame, one frame, many); whole pieces in the caller's memory
/// are handed on without a copy, the rest are joined in a piece buffer of
/// our own until complete.
class FrameAssembler
{
  public:
    FrameAssembler(std::size_t frame_bytes, std::size_t piece_bytes)
      : frame_bytes_(frame_bytes)
      , piece_bytes_(std::min(piece_bytes, frame_bytes))
    {
    }

    explicit FrameAssembler(std::size_t frame_bytes)
      : FrameAssembler(frame_bytes, frame_bytes)
    {
    }

    /// Calls `on_piece(const uint8_t*)` for each piece the `size` bytes from
    /// `data` complete (NULL `data` means zeros; a whole piece of zeros is
    /// passed as NULL). Returns when all `size` bytes are taken.
    template<typename OnPiece>
    void take(const uint8_t* data, std::size_t size, OnPiece&& on_piece)
    {
        std::size_t done = 0;
        while (done < size) {
            const std::size_t left = size - done;
            const std::size_t want = std::min(piece_bytes_, frame_bytes_ - frame_offset_);
            if (partial_bytes_ == 0 && left >= want && want == piece_bytes_) {
                // The common case: a whole piece straight from the caller.
                advance(want);
                on_piece(data ? data + done : nullptr);
                done += want;
                continue;
            }
            if (!buffer_) {
                buffer_.reset(new uint8_t[piece_bytes_]);
            }
            const std::size_t take = std::min(want - partial_bytes_, left);
            if (data) {
                std::memcpy(buffer_.get() + partial_bytes_, data + done, take);
            } else {
                std::memset(buffer_.get() + partial_bytes_, 0, take);
            }
            partial_bytes_ += take;
            done += take;
            if (partial_bytes_ == want) { // a frame's short last piece is padded
                std::memset(buffer_.get() + want, 0, piece_bytes_ - want);
                partial_bytes_ = 0;
                advance(want);
                on_piece(buffer_.get());
            }
        }
    }

    /// Bytes of an incomplete frame taken (handed on or held).
    std::size_t partial_frame_bytes() const { return frame_offset_ + partial_bytes_; }

    /// Completes the held partial piece with zeros and returns it; NULL if
    /// there is none. The frame's later pieces are never handed on: the
    /// next bytes start a new frame.
    const uint8_t* pad_partial_piece()
    {
        frame_offset_ = 0;
        if (partial_bytes_ == 0) {
            return nullptr;
        }
        std::memset(buffer_.get() + partial_bytes_, 0, piece_bytes_ - partial_bytes_);
        partial_bytes_ = 0;
        return buffer_.get();
    }

    std::size_t memory_in_use() const { return buffer_ ? piece_bytes_ : 0; }

  private:
    void advance(std::size_t piece)
    {
        frame_offset_ += piece;
        if (frame_offset_ == frame_bytes_) {
            frame_offset_ = 0;
        }
    }

    std::size_t frame_bytes_;
    std::size_t piece_bytes_;
    std::size_t frame_offset_ = 0; // bytes of the current frame's complete pieces
    std::unique_ptr<uint8_t[]> buffer_;
    std::size_t partial_bytes_ = 0;
};

} // namespace zarr

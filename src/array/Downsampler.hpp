#pragma once

#include "zarr.types.h"

#include <cstddef>
#include <cstdint>

namespace zarr {

/// Shrinks the frames of one pyramid level into the frames of the next.
///
/// A frame is a C-order `height` × `width` image of `type` pixels in native
/// (little-endian) byte order. Each output pixel reduces one block of input
/// samples: 2×2 in Y/X when the step halves Y and X (else 1×1), from one
/// plane, or from two consecutive Z planes when the step halves Z. An odd
/// height or width repeats its last row or column, so every block of a frame
/// has the same number of samples (1, 2, 4 or 8).
///
/// DECIMATE keeps the block's first sample (top-left of the first plane);
/// MEAN averages exactly (integers: rounded to nearest, ties to even, like
/// numpy's rint; never overflowing); MIN and MAX propagate NaN for floats.
///
/// Buffers need no particular alignment: pixels are moved with memcpy, which
/// the compiler turns into plain (vectorised) loads and stores. The output
/// must not overlap either input.
class Downsampler
{
  public:
    /// One step from a level whose frames are `height` × `width`.
    /// `halve_xy`: 2×2 blocks in Y/X (else 1×1: frames keep their size).
    /// `halve_z`: the step combines two consecutive planes.
    /// Throws ZarrError(InvalidArgument) for ZarrDownsamplingMethod_None, an
    /// unknown method or type, or an empty frame.
    Downsampler(ZarrDownsamplingMethod method,
                ZarrDataType type,
                uint64_t height,
                uint64_t width,
                bool halve_xy,
                bool halve_z);

    uint64_t input_height() const { return height_; }
    uint64_t output_height() const;
    uint64_t output_width() const;
    std::size_t input_frame_bytes() const;
    std::size_t output_frame_bytes() const;

    /// Writes one output frame (output_frame_bytes()) from input frames of
    /// input_frame_bytes(). `first` is the even Z plane; `second` the odd
    /// one, or nullptr when the step does not halve Z or when `first` is an
    /// odd final plane that passes through (then only the Y/X reduction is
    /// applied to `first`). Throws ZarrError(InvalidArgument) when `first` or
    /// `output` is null, or `second` is given to a step that does not halve Z.
    void reduce(const uint8_t* first,
                const uint8_t* second,
                uint8_t* output) const;

    /// As reduce(), for input rows [first_row, first_row + rows) only: writes
    /// the output rows they make into the output frame at `output` (rows
    /// first_row / 2 on, or first_row on when Y/X are kept). Lets a caller
    /// reduce a frame band by band while each band is in the cache. Throws
    /// ZarrError(InvalidArgument) as reduce() does, and for rows outside the
    /// frame or, when Y is halved, a band that splits a row pair (an odd
    /// `first_row`, or odd `rows` short of the frame's end).
    void reduce_rows(const uint8_t* first,
                     const uint8_t* second,
                     uint8_t* output,
                     uint64_t first_row,
                     uint64_t rows) const;

  private:
    /// One instantiation per (pixel type, method), chosen at construction so
    /// reduce() does not dispatch per pixel. Writes output rows
    /// [output_begin, output_end).
    using FrameKernel = void (*)(uint64_t height,
                                 uint64_t width,
                                 bool halve_xy,
                                 const uint8_t* first,
                                 const uint8_t* second,
                                 uint8_t* output,
                                 uint64_t output_begin,
                                 uint64_t output_end);

    FrameKernel kernel_;
    uint64_t height_;
    uint64_t width_;
    bool halve_xy_;
    bool halve_z_;
    std::size_t bytes_per_pixel_;
};

} // namespace zarr

#pragma once

#include "spec/DimensionSpec.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zarr {

/// Frames arrive in acquisition order and are stored in storage order
/// (`storage_dimension_order`). The first dimension stays first and Y/X stay
/// last, so only the dimensions between them change places, which changes a
/// frame's number but not which layer it belongs to; a swap of Y and X
/// transposes each frame.
class StorageOrder
{
  public:
    /// `acquired`: the dimensions in acquisition order. `order[i]`: the
    /// acquisition index of stored dimension i (empty = acquisition order).
    StorageOrder(const std::vector<DimensionSpec>& acquired, std::vector<std::size_t> order);

    /// Whether `order` (as the constructor takes it) swaps Y and X.
    static bool transposes(const std::vector<std::size_t>& order);

    bool transposes_frames() const { return transposes_; }

    /// The stored number of the `acquired`-th frame.
    uint64_t stored_frame(uint64_t acquired) const;

    /// Transposes one acquired frame (height x width pixels of `pixel_bytes`)
    /// into `stored` (width x height).
    void transpose(const uint8_t* acquired, uint8_t* stored, std::size_t pixel_bytes) const;

  private:
    std::vector<std::size_t> order_;
    std::vector<uint64_t> acquired_sizes_; // the frame dimensions (all but Y/X)
    std::vector<uint64_t> stored_strides_; // per acquired frame dimension
    bool transposes_ = false;
    uint64_t height_ = 0; // acquired frame
    uint64_t width_ = 0;
};

} // namespace zarr

#include "stream/StorageOrder.hpp"

#include <algorithm>
#include <cstring>

namespace zarr {
namespace {

/// Transposes in square blocks so that both the rows read and the rows
/// written stay in cache.
template<typename Pixel>
void
transpose_blocks(const uint8_t* in, uint8_t* out, uint64_t height, uint64_t width)
{
    constexpr uint64_t kBlock = 32;
    for (uint64_t y0 = 0; y0 < height; y0 += kBlock) {
        const uint64_t y1 = std::min(height, y0 + kBlock);
        for (uint64_t x0 = 0; x0 < width; x0 += kBlock) {
            const uint64_t x1 = std::min(width, x0 + kBlock);
            for (uint64_t y = y0; y < y1; ++y) {
                for (uint64_t x = x0; x < x1; ++x) {
                    std::memcpy(out + (x * height + y) * sizeof(Pixel),
                                in + (y * width + x) * sizeof(Pixel),
                                sizeof(Pixel));
                }
            }
        }
    }
}

} // namespace

StorageOrder::StorageOrder(const std::vector<DimensionSpec>& acquired,
                           std::vector<std::size_t> order)
  : order_(std::move(order))
{
    const std::size_t rank = acquired.size();
    height_ = acquired[rank - 2].size;
    width_ = acquired[rank - 1].size;
    if (order_.empty()) {
        return;
    }
    transposes_ = transposes(order_);
    const std::size_t frame_dims = rank - 2;
    for (std::size_t i = 0; i < frame_dims; ++i) {
        acquired_sizes_.push_back(acquired[i].size);
    }
    // Stored strides in frames, indexed by acquisition dimension.
    stored_strides_.assign(frame_dims, 0);
    uint64_t stride = 1;
    for (std::size_t i = frame_dims; i-- > 0;) {
        stored_strides_[order_[i]] = stride;
        stride *= acquired[order_[i]].size;
    }
}

bool
StorageOrder::transposes(const std::vector<std::size_t>& order)
{
    const std::size_t rank = order.size();
    return rank >= 2 && order[rank - 2] == rank - 1;
}

uint64_t
StorageOrder::stored_frame(uint64_t acquired) const
{
    if (order_.empty()) {
        return acquired;
    }
    // Split the number into acquisition indices (the first dimension,
    // perhaps unbounded, takes what is left) and recombine them in storage
    // order.
    uint64_t stored = 0;
    uint64_t rest = acquired;
    for (std::size_t i = acquired_sizes_.size(); i-- > 1;) {
        stored += (rest % acquired_sizes_[i]) * stored_strides_[i];
        rest /= acquired_sizes_[i];
    }
    if (!acquired_sizes_.empty()) {
        stored += rest * stored_strides_[0];
    }
    return stored;
}

void
StorageOrder::transpose(const uint8_t* acquired, uint8_t* stored, std::size_t pixel_bytes) const
{
    switch (pixel_bytes) {
        case 1:
            return transpose_blocks<uint8_t>(acquired, stored, height_, width_);
        case 2:
            return transpose_blocks<uint16_t>(acquired, stored, height_, width_);
        case 4:
            return transpose_blocks<uint32_t>(acquired, stored, height_, width_);
        default:
            return transpose_blocks<uint64_t>(acquired, stored, height_, width_);
    }
}

} // namespace zarr

#include "array/LayerBufferPool.hpp"

namespace zarr {

LayerBufferPool::LayerBufferPool(std::size_t capacity,
                                 std::size_t slot_count,
                                 std::size_t chunk_bytes)
  : slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
{
    for (std::size_t i = 0; i < capacity; ++i) {
        buffers_.push_back(std::make_unique<LayerBuffer>(slot_count_, chunk_bytes_));
        free_.push_back(buffers_.back().get());
    }
}

LayerBuffer*
LayerBufferPool::acquire()
{
    std::unique_lock lock(mutex_);
    if (free_.empty()) {
        const auto start = std::chrono::steady_clock::now();
        released_.wait(lock, [this] { return !free_.empty(); });
        ++wait_count_;
        time_waited_ += std::chrono::steady_clock::now() - start;
    }
    LayerBuffer* buffer = free_.back();
    free_.pop_back();
    return buffer;
}

void
LayerBufferPool::release(LayerBuffer* buffer)
{
    {
        std::lock_guard lock(mutex_);
        free_.push_back(buffer);
    }
    released_.notify_one();
}

std::size_t
LayerBufferPool::bytes_allocated() const
{
    return buffers_.size() * slot_count_ * chunk_bytes_; // fixed at construction
}

std::size_t
LayerBufferPool::wait_count() const
{
    std::lock_guard lock(mutex_);
    return wait_count_;
}

std::chrono::nanoseconds
LayerBufferPool::time_waited() const
{
    std::lock_guard lock(mutex_);
    return time_waited_;
}

} // namespace zarr

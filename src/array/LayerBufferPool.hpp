#pragma once

#include "array/LayerBuffer.hpp"
#include "util/ThreadPool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace zarr {

/// A fixed number of LayerBuffers. When all are in use, acquire() waits
/// until a writer job releases one: this is the stream's back-pressure, and
/// what bounds its memory.
class LayerBufferPool
{
  public:
    /// Creates and populates every buffer now, with the help of `workers`,
    /// so that streaming never waits for the kernel to find memory (and a
    /// lack of it shows at stream creation). If memory runs out after the
    /// first buffer, the pool carries on with the buffers it has.
    LayerBufferPool(std::size_t capacity,
                    std::size_t slot_count,
                    std::size_t chunk_bytes,
                    ThreadPool& workers);

    /// Waits for a free buffer. Not after retire().
    LayerBuffer* acquire();
    void release(LayerBuffer* buffer);

    /// No buffer is acquired again (the stream is closing): the free ones
    /// are freed now, and each one in flight when it is released, by the
    /// thread releasing it.
    void retire();
    bool retired() const { return retired_.load(std::memory_order_relaxed); }

    /// Bytes held by the buffers.
    std::size_t bytes_allocated() const;

    /// How often, and for how long in total, acquire() had to wait.
    std::size_t wait_count() const;
    std::chrono::nanoseconds time_waited() const;

  private:
    std::unique_ptr<LayerBuffer> make_populated_buffer(ThreadPool& workers) const;
    /// Moves `buffer` out of buffers_ (under the lock).
    std::unique_ptr<LayerBuffer> take(LayerBuffer* buffer);

    std::size_t capacity_;
    std::size_t slot_count_;
    std::size_t chunk_bytes_;

    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::vector<std::unique_ptr<LayerBuffer>> buffers_; // null once freed
    std::atomic<bool> retired_{ false };
    std::vector<LayerBuffer*> free_;
    std::size_t wait_count_ = 0;
    std::chrono::nanoseconds time_waited_{ 0 };
};

} // namespace zarr

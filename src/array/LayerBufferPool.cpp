#include "array/LayerBufferPool.hpp"

#include "util/Logger.hpp"

#include <latch>
#include <stdexcept>

namespace zarr {

LayerBufferPool::LayerBufferPool(std::size_t capacity,
                                 std::size_t slot_count,
                                 std::size_t chunk_bytes,
                                 ThreadPool& workers)
  : capacity_(capacity)
  , slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
{
    // Every buffer is made and populated now, before the first frame: the
    // kernel's page faults (and, in a VM, the host's) then never compete
    // with acquisition for the cores. The first buffer must exist; without
    // memory for the others the stream goes on with fewer.
    for (std::size_t i = 0; i < capacity_; ++i) {
        std::unique_ptr<LayerBuffer> buffer;
        try {
            buffer = make_populated_buffer(workers);
        } catch (const std::bad_alloc&) {
            if (i == 0) {
                throw;
            }
            capacity_ = i;
            log_warning("not enough memory for another layer buffer: continuing with ",
                        capacity_);
            break;
        }
        free_.push_back(buffer.get());
        buffers_.push_back(std::move(buffer));
    }
}

std::unique_ptr<LayerBuffer>
LayerBufferPool::make_populated_buffer(ThreadPool& workers) const
{
    auto buffer = std::make_unique<LayerBuffer>(slot_count_, chunk_bytes_);
    // Populating hundreds of MiB is work for every core: the workers take
    // a part each, this thread the last one.
    const std::size_t parts = workers.thread_count() + 1;
    std::latch done(std::ptrdiff_t(parts - 1));
    std::size_t part = 0;
    try {
        for (; part + 1 < parts; ++part) {
            workers.submit([&buffer, &done, part, parts] {
                buffer->populate(part, parts);
                done.count_down();
            });
        }
    } catch (const std::exception&) {
        for (; part + 1 < parts; ++part) { // could not hand it out: do it here
            buffer->populate(part, parts);
            done.count_down();
        }
    }
    buffer->populate(parts - 1, parts);
    done.wait(); // the jobs refer to `buffer` and `done`
    return buffer;
}

LayerBuffer*
LayerBufferPool::acquire()
{
    if (retired()) {
        throw std::logic_error("a layer buffer was asked for after the last frame");
    }
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
    std::unique_ptr<LayerBuffer> done; // freed after the lock
    {
        std::lock_guard lock(mutex_);
        if (retired()) {
            done = take(buffer);
        } else {
            free_.push_back(buffer);
        }
    }
    released_.notify_one();
}

void
LayerBufferPool::retire()
{
    std::vector<std::unique_ptr<LayerBuffer>> done; // freed after the lock
    {
        std::lock_guard lock(mutex_);
        retired_ = true;
        for (LayerBuffer* buffer : free_) {
            done.push_back(take(buffer));
        }
        free_.clear();
    }
}

std::unique_ptr<LayerBuffer>
LayerBufferPool::take(LayerBuffer* buffer)
{
    for (auto& owned : buffers_) {
        if (owned.get() == buffer) {
            return std::move(owned);
        }
    }
    return nullptr;
}

std::size_t
LayerBufferPool::bytes_allocated() const
{
    std::lock_guard lock(mutex_);
    std::size_t held = 0;
    for (const auto& buffer : buffers_) {
        held += buffer ? 1 : 0;
    }
    return held * slot_count_ * chunk_bytes_;
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

#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace zarr {

/// A fixed set of worker threads taking jobs in FIFO order. The queue itself
/// is not bounded: what bounds memory is that every job refers to a buffer
/// from a fixed pool (see LayerBufferPool), so no more jobs can exist than
/// buffers. Jobs must not throw; they report failures themselves.
class ThreadPool
{
  public:
    /// Throws ZarrError when the threads cannot be created.
    explicit ThreadPool(std::size_t thread_count);
    ~ThreadPool();

    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    void submit(std::function<void()> job);

    /// Blocks until the queue is empty and no job is running.
    void wait_idle();

    std::size_t thread_count() const { return workers_.size(); }

  private:
    void work();
    /// Lets the workers finish the queue, then joins them.
    void stop();

    std::mutex mutex_;
    std::condition_variable job_ready_;
    std::condition_variable idle_;
    std::deque<std::function<void()>> jobs_;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

} // namespace zarr

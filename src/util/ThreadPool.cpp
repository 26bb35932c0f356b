#include "util/ThreadPool.hpp"

#include "util/ZarrError.hpp"

#include <system_error>

namespace zarr {

ThreadPool::ThreadPool(std::size_t thread_count)
{
    if (thread_count == 0) {
        thread_count = 1;
    }
    try {
        workers_.reserve(thread_count);
        for (std::size_t i = 0; i < thread_count; ++i) {
            workers_.emplace_back([this] { work(); });
        }
    } catch (const std::system_error& error) {
        // Out of threads (a pids limit, or too many asked for): stop the
        // ones made, and refuse rather than terminate. A resource the
        // machine cannot give, like memory: not an internal error.
        const std::size_t made = workers_.size();
        stop();
        fail(ZarrStatusCode_OutOfMemory,
             "cannot start ",
             thread_count,
             " worker threads (",
             made,
             " started): ",
             error.what(),
             "; lower max_threads or ZARR_MAX_THREADS");
    }
}

ThreadPool::~ThreadPool()
{
    stop();
}

void
ThreadPool::stop()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    job_ready_.notify_all();
    for (auto& worker : workers_) {
        if (worker.joinable()) {
            worker.join();
        }
    }
}

void
ThreadPool::submit(std::function<void()> job)
{
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    job_ready_.notify_one();
}

void
ThreadPool::wait_idle()
{
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return jobs_.empty() && running_ == 0; });
}

void
ThreadPool::work()
{
    std::unique_lock lock(mutex_);
    while (true) {
        job_ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) {
            return; // stopping, and nothing left to do
        }
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        ++running_;
        lock.unlock();
        job();
        lock.lock();
        --running_;
        if (jobs_.empty() && running_ == 0) {
            idle_.notify_all();
        }
    }
}

} // namespace zarr

#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

typedef void CURL;

namespace zarr::s3 {

/// At most `size` libcurl easy handles, each used by one request at a time
/// and kept between requests: a handle keeps its connection open, so the
/// next request on it skips the TCP (and TLS) handshake. Handles are made
/// when first needed; a request that finds all of them busy waits.
class HandlePool
{
  public:
    explicit HandlePool(std::size_t size);
    ~HandlePool();
    HandlePool(const HandlePool&) = delete;
    HandlePool& operator=(const HandlePool&) = delete;

    /// One handle, given back when the lease ends.
    class Lease
    {
      public:
        Lease(HandlePool& pool, CURL* handle);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        CURL* get() const noexcept { return handle_; }

      private:
        HandlePool& pool_;
        CURL* handle_;
    };

    Lease acquire();

  private:
    void release(CURL* handle);

    const std::size_t size_;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<CURL*> idle_;
    std::size_t created_ = 0;
};

} // namespace zarr::s3

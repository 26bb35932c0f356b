#include "store/s3/HandlePool.hpp"

#include "util/ZarrError.hpp"

#include <curl/curl.h>

#include <algorithm>

namespace zarr::s3 {
namespace {

// curl_global_init once per process, before the first handle; never
// cleaned up, as other code in the process may use libcurl too. It is
// thread-safe in libcurl builds with CURL_VERSION_THREADSAFE (7.84+), and
// call_once keeps it to one call in ours.
void
init_libcurl()
{
    static std::once_flag once;
    static CURLcode result = CURLE_OK;
    std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (result != CURLE_OK) {
        fail(ZarrStatusCode_InternalError,
             "cannot initialise libcurl: ",
             curl_easy_strerror(result));
    }
}

} // namespace

HandlePool::HandlePool(std::size_t size)
  : size_(std::max<std::size_t>(size, 1))
{
    init_libcurl();
}

HandlePool::~HandlePool()
{
    for (CURL* handle : idle_) {
        curl_easy_cleanup(handle);
    }
}

HandlePool::Lease
HandlePool::acquire()
{
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || created_ < size_; });
    if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return Lease(*this, handle);
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr) {
        fail(ZarrStatusCode_OutOfMemory, "cannot create a libcurl handle");
    }
    ++created_;
    return Lease(*this, handle);
}

void
HandlePool::release(CURL* handle)
{
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(handle);
    }
    available_.notify_one();
}

HandlePool::Lease::Lease(HandlePool& pool, CURL* handle)
  : pool_(pool)
  , handle_(handle)
{
}

HandlePool::Lease::~Lease()
{
    pool_.release(handle_);
}

} // namespace zarr::s3

#include "array/LayerBuffer.hpp"

#include <cstring>
#include <new>
#include <sys/mman.h>
#include <unistd.h>

namespace zarr {

LayerBuffer::LayerBuffer(std::size_t slot_count, std::size_t chunk_bytes)
  : slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
{
    // Anonymous pages come zeroed from the kernel: no memset. (Asking for
    // huge pages here was tried: with the kernel's default `defrag=madvise`
    // their faults compact memory synchronously, which made throughput
    // bimodal once tmpfs had fragmented memory.)
    void* memory = ::mmap(nullptr,
                          bytes(),
                          PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS,
                          -1,
                          0);
    if (memory == MAP_FAILED) {
        throw std::bad_alloc();
    }
    chunks_ = static_cast<uint8_t*>(memory);
}

void
LayerBuffer::populate(std::size_t part, std::size_t parts)
{
    const std::size_t page = std::size_t(::sysconf(_SC_PAGESIZE));
    const std::size_t pages = (bytes() + page - 1) / page;
    const std::size_t first = pages * part / parts;
    const std::size_t last = pages * (part + 1) / parts;
    if (first == last) {
        return;
    }
#ifdef MADV_POPULATE_WRITE
    if (::madvise(chunks_ + first * page, (last - first) * page, MADV_POPULATE_WRITE) == 0) {
        return;
    }
#endif
    // Older kernels: touching a page has the same effect (it stays zero).
    for (std::size_t i = first; i < last; ++i) {
        chunks_[i * page] = 0;
    }
}

void
LayerBuffer::clear()
{
    std::memset(chunks_, 0, bytes());
}

LayerBuffer::~LayerBuffer()
{
    ::munmap(chunks_, bytes());
}

} // namespace zarr

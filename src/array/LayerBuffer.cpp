#include "array/LayerBuffer.hpp"

#include <new>
#include <sys/mman.h>

namespace zarr {

LayerBuffer::LayerBuffer(std::size_t slot_count, std::size_t chunk_bytes)
  : slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
{
    // Anonymous pages come zeroed from the kernel: no memset. They are
    // populated now, in one call, rather than by a page fault per 4 KiB
    // while frames arrive. (Asking for
    // huge pages here was tried: with the kernel's default `defrag=madvise`
    // their faults compact memory synchronously, which made throughput
    // bimodal once tmpfs had fragmented memory.)
    void* memory = ::mmap(nullptr,
                          bytes(),
                          PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                          -1,
                          0);
    if (memory == MAP_FAILED) {
        throw std::bad_alloc();
    }
    chunks_ = static_cast<uint8_t*>(memory);
}

LayerBuffer::~LayerBuffer()
{
    ::munmap(chunks_, bytes());
}

} // namespace zarr

#include "array/LayerBuffer.hpp"

#include <new>
#include <sys/mman.h>

namespace zarr {

LayerBuffer::LayerBuffer(std::size_t slot_count, std::size_t chunk_bytes)
  : slot_count_(slot_count)
  , chunk_bytes_(chunk_bytes)
{
    // Anonymous pages come zeroed from the kernel, so no memset, and asking
    // for huge pages makes first touch cost one fault per 2 MiB, not 4 KiB:
    // layers are hundreds of MiB.
    void* memory = ::mmap(nullptr,
                          bytes(),
                          PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS,
                          -1,
                          0);
    if (memory == MAP_FAILED) {
        throw std::bad_alloc();
    }
    ::madvise(memory, bytes(), MADV_HUGEPAGE); // a hint: failure is harmless
    chunks_ = static_cast<uint8_t*>(memory);
}

LayerBuffer::~LayerBuffer()
{
    ::munmap(chunks_, bytes());
}

} // namespace zarr

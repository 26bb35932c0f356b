#include "array/LayerBuffer.hpp"

#include "array/ChunkLattice.hpp"
#include "util/StreamingCopy.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>
#include <sys/mman.h>
#include <unistd.h>

namespace zarr {
namespace {

/// About how many bytes of a frame's rows scatter() copies before telling
/// RowsWritten: well inside a core's L2 cache, with room for what the
/// callback writes.
constexpr uint64_t kBandBytes = 128 * 1024;

} // namespace

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
LayerBuffer::discard(std::size_t slot)
{
    const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
    const uintptr_t start = uintptr_t(chunk(slot));
    const uintptr_t first = (start + page - 1) / page * page;
    const uintptr_t last = (start + chunk_bytes_) / page * page;
    if (first < last) {
        ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
    }
}

void
LayerBuffer::clear()
{
    std::memset(chunks_, 0, bytes());
}

void
LayerBuffer::scatter(const ChunkLattice& lattice,
                     const uint8_t* frame,
                     uint64_t frame_number,
                     const LayerWriter::RowsWritten& rows_written)
{
    const auto location = lattice.locate(frame_number);
    const std::size_t across = lattice.chunks_across();
    const std::size_t down = lattice.chunks_down();
    const std::size_t pixel = lattice.bytes_per_pixel();
    const std::size_t tile_row = lattice.tile_width() * pixel;
    const std::size_t frame_row = lattice.frame_width() * pixel;
    const uint64_t tile_height = lattice.tile_height();

    // Where this frame's tile starts in each chunk it touches.
    thread_local std::vector<uint8_t*> tiles;
    tiles.resize(down * across);
    for (std::size_t i = 0; i < down * across; ++i) {
        tiles[i] = chunk(lattice.slot_of(location.first_chunk + i)) +
                   location.offset_in_chunk;
    }

    // Row by row through the frame (the caller's memory is read in order),
    // each row cut into its chunks' tile rows; after each band, what the
    // band's rows are also wanted for (see RowsWritten). An even number of
    // rows per band, so that a 2x2 reduction never straddles two; small
    // enough to stay in the cache.
    const uint64_t height = lattice.frame_height();
    const uint64_t band_rows = std::max<uint64_t>(2, kBandBytes / frame_row / 2 * 2);
    uint64_t band_start = 0;
    for (uint64_t y = 0; y < height; ++y) {
        uint8_t* const* row_tiles = tiles.data() + (y / tile_height) * across;
        const std::size_t offset_in_tile = (y % tile_height) * tile_row;
        const uint8_t* source = frame ? frame + y * frame_row : nullptr;
        for (std::size_t x = 0; x < across; ++x) {
            const std::size_t start = x * tile_row;
            const std::size_t width = std::min(tile_row, frame_row - start);
            uint8_t* target = row_tiles[x] + offset_in_tile;
            if (source) {
                streaming_copy(target, source + start, width);
            } else {
                std::memset(target, 0, width);
            }
        }
        if (rows_written && (y + 1 - band_start == band_rows || y + 1 == height)) {
            rows_written(band_start, y + 1 - band_start);
            band_start = y + 1;
        }
    }
    streaming_copy_fence(); // the layer may go to a worker next
}

LayerBuffer::~LayerBuffer()
{
    ::munmap(chunks_, bytes());
}

} // namespace zarr

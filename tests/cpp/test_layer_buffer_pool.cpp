// LayerBufferPool: back-pressure (acquire waits for a release), and retire():
// at the end of a stream the free buffers are freed at once and each one in
// flight when it is released, on the releasing thread; a buffer's discarded
// slots read as zeros; asking for a buffer after retire() is an error, not a
// wait for ever.

#include "Check.hpp"
#include "array/LayerBufferPool.hpp"
#include "util/ThreadPool.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

using zarr::LayerBuffer;
using zarr::LayerBufferPool;
using zarr::ThreadPool;

using aqz_test::check;

namespace {

constexpr std::size_t kSlots = 3;
constexpr std::size_t kChunkBytes = 3 * 4096 + 100; // not a whole number of pages

void
test_back_pressure()
{
    ThreadPool workers(2);
    LayerBufferPool pool(2, kSlots, kChunkBytes, workers);
    check(pool.bytes_allocated() == 2 * kSlots * kChunkBytes, "two buffers");
    LayerBuffer* a = pool.acquire();
    LayerBuffer* b = pool.acquire();
    check(a != b, "two different buffers");
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        pool.release(a);
    });
    LayerBuffer* c = pool.acquire(); // waits for the release
    releaser.join();
    check(c == a, "the released buffer comes back");
    check(pool.wait_count() == 1 && pool.time_waited() > std::chrono::milliseconds(20),
          "the wait is counted");
    pool.release(b);
    pool.release(c);
}

void
test_retire()
{
    ThreadPool workers(2);
    LayerBufferPool pool(3, kSlots, kChunkBytes, workers);
    LayerBuffer* in_flight = pool.acquire();
    std::memset(in_flight->chunk(0), 7, kSlots * kChunkBytes);
    pool.retire();
    check(pool.retired(), "retired");
    check(pool.bytes_allocated() == kSlots * kChunkBytes, "the two free buffers are freed at once");

    in_flight->discard(1);
    const uint8_t* slot = in_flight->chunk(1);
    // The pages wholly inside slot 1 read as zeros; its first and last
    // bytes share pages with slots 0 and 2, which keep their bytes.
    check(slot[0] == 7 && slot[kChunkBytes - 1] == 7, "bytes on shared pages are kept");
    bool zeros = true;
    for (std::size_t i = 4096; i < 2 * 4096; ++i) {
        zeros = zeros && slot[i] == 0;
    }
    check(zeros, "a discarded slot's own pages read as zeros");
    check(in_flight->chunk(0)[100] == 7 && in_flight->chunk(2)[100] == 7, "other slots kept");

    pool.release(in_flight);
    check(pool.bytes_allocated() == 0, "a buffer released after retire() is freed");
    bool refused = false;
    try {
        pool.acquire();
    } catch (const std::logic_error&) {
        refused = true;
    }
    check(refused, "acquire() after retire() is refused");
}

} // namespace

int
main()
{
    test_back_pressure();
    test_retire();
    return aqz_test::summary("test_layer_buffer_pool");
}

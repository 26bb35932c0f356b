#include "util/StreamingCopy.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zarr {

void
streaming_copy(uint8_t* target, const uint8_t* source, std::size_t bytes)
{
#if defined(__SSE2__)
    if (reinterpret_cast<uintptr_t>(target) % 16 == 0 && bytes >= 64) {
        std::size_t i = 0;
        for (; i + 64 <= bytes; i += 64) {
            const auto* in = reinterpret_cast<const __m128i*>(source + i);
            auto* out = reinterpret_cast<__m128i*>(target + i);
            const __m128i a = _mm_loadu_si128(in);
            const __m128i b = _mm_loadu_si128(in + 1);
            const __m128i c = _mm_loadu_si128(in + 2);
            const __m128i d = _mm_loadu_si128(in + 3);
            _mm_stream_si128(out, a);
            _mm_stream_si128(out + 1, b);
            _mm_stream_si128(out + 2, c);
            _mm_stream_si128(out + 3, d);
        }
        std::memcpy(target + i, source + i, bytes - i);
        return;
    }
#endif
    std::memcpy(target, source, bytes);
}

void
streaming_copy_fence()
{
#if defined(__SSE2__)
    _mm_sfence(); // non-temporal stores are weakly ordered
#endif
}

} // namespace zarr

#pragma once

// The hot case of the pyramid, by hand: one output row of a 2x2 (or
// 2x2x2) MEAN of uint16 pixels, rounded to nearest with ties to even, in
// SSE2 (part of every x86-64). GCC's vectorisation of the generic loop in
// Downsampler.cpp needs even/odd shuffles and 32-bit lanes for the whole
// sum; here _mm_madd_epi16 adds each horizontal pair in one instruction,
// which made the 2048x2048 frame 2-3x faster (test_downsampler's
// benchmark). Where the CPU has AVX2 (chosen at run time), the same in
// 256-bit lanes first: 0.57 -> 0.37 ms per 2048x2048 frame there, and in
// the LZ4 MEAN pyramid stream a third less reduction time. Elsewhere the
// generic loop does all the work.

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AQZ_MEAN_ROW_AVX2 1
#endif

namespace zarr {

#if defined(AQZ_MEAN_ROW_AVX2)
/// The same as mean_row_u16 (below, whose comments explain the arithmetic)
/// 16 pairs at a time in AVX2, for the machines that have it (most x86-64
/// of the last decade; the build targets plain x86-64, so it is chosen at
/// run time): twice the pixels per instruction, which matters now that the
/// pyramid reduces rows while they are in the cache. Returns how many pairs
/// it did (a multiple of 16).
template<bool TwoPlanes>
__attribute__((target("avx2"))) std::size_t
mean_row_u16_avx2(const uint8_t* a,
                  const uint8_t* b,
                  const uint8_t* c,
                  const uint8_t* d,
                  std::size_t pairs,
                  uint8_t* output)
{
    const __m256i bias = _mm256_set1_epi16(int16_t(0x8000));
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i one = _mm256_set1_epi32(1);
    const auto pair_sums = [&](const uint8_t* row, std::size_t byte)
                             __attribute__((target("avx2"))) {
        const __m256i pixels = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + byte));
        return _mm256_madd_epi16(_mm256_xor_si256(pixels, bias), ones);
    };
    constexpr int shift = TwoPlanes ? 3 : 2;
    const __m256i half_less_one = _mm256_set1_epi32((1 << shift) / 2 - 1);
    const auto round = [&](__m256i s) __attribute__((target("avx2"))) {
        const __m256i quotient_is_odd = _mm256_and_si256(_mm256_srai_epi32(s, shift), one);
        return _mm256_srai_epi32(
          _mm256_add_epi32(_mm256_add_epi32(s, half_less_one), quotient_is_odd), shift);
    };
    const std::size_t done = pairs / 16 * 16;
    for (std::size_t x = 0; x < done; x += 16) {
        const std::size_t left = 4 * x; // bytes: two pixels per pair
        const std::size_t right = left + 32;
        __m256i low = _mm256_add_epi32(pair_sums(a, left), pair_sums(b, left));
        __m256i high = _mm256_add_epi32(pair_sums(a, right), pair_sums(b, right));
        if constexpr (TwoPlanes) {
            low = _mm256_add_epi32(low, _mm256_add_epi32(pair_sums(c, left), pair_sums(d, left)));
            high =
              _mm256_add_epi32(high, _mm256_add_epi32(pair_sums(c, right), pair_sums(d, right)));
        }
        // The pack works within each 128-bit half (low 0-3, high 0-3, low
        // 4-7, high 4-7): the permute puts the quarters back in order.
        const __m256i packed = _mm256_packs_epi32(round(low), round(high));
        const __m256i means = _mm256_permute4x64_epi64(packed, 0xD8);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(output + 2 * x),
                            _mm256_xor_si256(means, bias));
    }
    return done;
}

/// Whether this CPU runs mean_row_u16_avx2 (asked once).
inline bool
cpu_has_avx2()
{
    static const bool has = __builtin_cpu_supports("avx2");
    return has;
}
#endif

/// Reduces the first `pairs` column pairs of the rows into `output` and
/// returns how many it did (a multiple of 8; 0 without SSE2): the caller
/// reduces the rest. `c` and `d` (the second plane's rows) are used when
/// `TwoPlanes`.
template<bool TwoPlanes>
std::size_t
mean_row_u16(const uint8_t* a,
             const uint8_t* b,
             const uint8_t* c,
             const uint8_t* d,
             std::size_t pairs,
             uint8_t* output)
{
#if defined(__SSE2__)
    std::size_t start = 0;
#if defined(AQZ_MEAN_ROW_AVX2)
    if (cpu_has_avx2()) {
        start = mean_row_u16_avx2<TwoPlanes>(a, b, c, d, pairs, output);
    }
#endif
    // Biasing by 0x8000 makes each uint16 u the int16 u - 32768, which
    // madd sums in pairs exactly into 32-bit lanes. With n samples the
    // lane holds s = sum - n * 32768, and since n * 32768 is a multiple of
    // n, rounding s and adding 32768 back rounds the sum: the result,
    // biased again, is in int16 range for the saturating pack.
    const __m128i bias = _mm_set1_epi16(int16_t(0x8000));
    const __m128i ones = _mm_set1_epi16(1);
    const __m128i one = _mm_set1_epi32(1);
    const auto pair_sums = [&](const uint8_t* row, std::size_t byte) {
        const __m128i pixels = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + byte));
        return _mm_madd_epi16(_mm_xor_si128(pixels, bias), ones);
    };
    // divide_rounding_to_even(s, 4 or 8 samples), as in Downsampler.cpp.
    constexpr int shift = TwoPlanes ? 3 : 2;
    const __m128i half_less_one = _mm_set1_epi32((1 << shift) / 2 - 1);
    const auto round = [&](__m128i s) {
        const __m128i quotient_is_odd = _mm_and_si128(_mm_srai_epi32(s, shift), one);
        return _mm_srai_epi32(_mm_add_epi32(_mm_add_epi32(s, half_less_one), quotient_is_odd),
                              shift);
    };
    const std::size_t done = pairs / 8 * 8;
    for (std::size_t x = start; x < done; x += 8) {
        const std::size_t left = 4 * x; // bytes: two pixels per pair
        const std::size_t right = left + 16;
        __m128i low = _mm_add_epi32(pair_sums(a, left), pair_sums(b, left));
        __m128i high = _mm_add_epi32(pair_sums(a, right), pair_sums(b, right));
        if constexpr (TwoPlanes) {
            low = _mm_add_epi32(low, _mm_add_epi32(pair_sums(c, left), pair_sums(d, left)));
            high = _mm_add_epi32(high, _mm_add_epi32(pair_sums(c, right), pair_sums(d, right)));
        }
        const __m128i means = _mm_packs_epi32(round(low), round(high));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(output + 2 * x), _mm_xor_si128(means, bias));
    }
    return done;
#else
    (void)a, (void)b, (void)c, (void)d, (void)pairs, (void)output;
    return 0;
#endif
}

} // namespace zarr

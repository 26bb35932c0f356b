// zarr::Downsampler against a brute-force reference: every method, every
// data type, odd and even frame sizes, 2-D and 3-D steps, the odd-plane
// pass-through, exact tie rounding and values at the ends of each type's
// range. Prints a throughput figure for the hot case (never asserted).

#include "Check.hpp"
#include "array/Downsampler.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

using zarr::Downsampler;

using aqz_test::check;
using aqz_test::failures;

namespace {

const ZarrDownsamplingMethod kMethods[] = { ZarrDownsamplingMethod_Decimate,
                                            ZarrDownsamplingMethod_Mean,
                                            ZarrDownsamplingMethod_Min,
                                            ZarrDownsamplingMethod_Max };

const char*
method_name(ZarrDownsamplingMethod method)
{
    switch (method) {
        case ZarrDownsamplingMethod_Decimate:
            return "decimate";
        case ZarrDownsamplingMethod_Mean:
            return "mean";
        case ZarrDownsamplingMethod_Min:
            return "min";
        case ZarrDownsamplingMethod_Max:
            return "max";
        default:
            return "?";
    }
}

template<typename T>
std::string
show(T value)
{
    if constexpr (std::is_floating_point_v<T>) {
        char text[64];
        std::snprintf(text, sizeof text, "%.17g", double(value));
        return text;
    } else if constexpr (std::is_signed_v<T>) {
        return std::to_string(int64_t(value));
    } else {
        return std::to_string(uint64_t(value));
    }
}

/// numpy-style rint of sum / count with exact integer math: floor division
/// (made explicit for negative sums), then ties go to the even quotient.
__int128
exact_rounded_mean(__int128 sum, __int128 count)
{
    __int128 quotient = sum / count;
    __int128 remainder = sum % count;
    if (remainder < 0) {
        quotient -= 1;
        remainder += count;
    }
    if (2 * remainder > count || (2 * remainder == count && quotient % 2 != 0)) {
        quotient += 1;
    }
    return quotient;
}

/// The expected output frame, one output pixel at a time: gather the block's
/// samples (with the edge repeated), then reduce them.
template<typename T>
struct Expected
{
    std::vector<T> pixels;
    std::vector<double> magnitudes; // largest |sample| of each block
};

template<typename T>
Expected<T>
reference(ZarrDownsamplingMethod method,
          const std::vector<T>& first,
          const std::vector<T>* second,
          uint64_t height,
          uint64_t width,
          bool halve_xy)
{
    const uint64_t out_height = halve_xy ? (height + 1) / 2 : height;
    const uint64_t out_width = halve_xy ? (width + 1) / 2 : width;
    Expected<T> out;
    for (uint64_t r = 0; r < out_height; ++r) {
        for (uint64_t c = 0; c < out_width; ++c) {
            std::vector<uint64_t> rows{ halve_xy ? 2 * r : r };
            std::vector<uint64_t> cols{ halve_xy ? 2 * c : c };
            if (halve_xy) {
                rows.push_back(2 * r + 1 < height ? 2 * r + 1 : height - 1);
                cols.push_back(2 * c + 1 < width ? 2 * c + 1 : width - 1);
            }
            std::vector<T> samples;
            for (const std::vector<T>* plane : { &first, second }) {
                if (!plane) {
                    continue;
                }
                for (uint64_t row : rows) {
                    for (uint64_t col : cols) {
                        samples.push_back((*plane)[row * width + col]);
                    }
                }
            }
            double magnitude = 0;
            for (T s : samples) {
                magnitude = std::max(magnitude, std::fabs(double(s)));
            }
            T result = samples[0];
            if (method == ZarrDownsamplingMethod_Min) {
                for (T s : samples) {
                    result = s < result ? s : result;
                }
            } else if (method == ZarrDownsamplingMethod_Max) {
                for (T s : samples) {
                    result = s > result ? s : result;
                }
            } else if (method == ZarrDownsamplingMethod_Mean) {
                if constexpr (std::is_floating_point_v<T>) {
                    long double sum = 0;
                    for (T s : samples) {
                        sum += s;
                    }
                    result = T(sum / samples.size());
                } else {
                    __int128 sum = 0;
                    for (T s : samples) {
                        sum += __int128(s);
                    }
                    result = T(exact_rounded_mean(sum, samples.size()));
                }
            }
            out.pixels.push_back(result);
            out.magnitudes.push_back(magnitude);
        }
    }
    return out;
}

/// Floats: the engine sums in double, the reference in long double; when
/// samples cancel, the difference scales with the samples, not the mean.
template<typename T>
bool
same_value(T got, T want, double magnitude)
{
    if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(want)) {
            return std::isnan(got);
        }
        const double tolerance =
          4 * double(std::numeric_limits<T>::epsilon()) * std::max(magnitude, 1e-300);
        return std::fabs(double(got) - double(want)) <= tolerance;
    } else {
        return got == want;
    }
}

/// Runs the Downsampler on `first`/`second` from deliberately misaligned
/// buffers (it promises no alignment requirement), with guard bytes after
/// the output to catch overruns.
template<typename T>
std::vector<T>
run(ZarrDownsamplingMethod method,
    ZarrDataType type,
    const std::vector<T>& first,
    const std::type_identity_t<std::vector<T>>* second, // may be a plain nullptr
    uint64_t height,
    uint64_t width,
    bool halve_xy,
    bool halve_z,
    std::size_t misalign,
    uint64_t band_rows = 0) // > 0: reduce_rows() band by band
{
    const Downsampler downsampler(method, type, height, width, halve_xy, halve_z);
    const std::size_t in_bytes = downsampler.input_frame_bytes();
    const std::size_t out_bytes = downsampler.output_frame_bytes();
    check(in_bytes == first.size() * sizeof(T), "input_frame_bytes");

    constexpr std::size_t guard = 16;
    std::vector<uint8_t> first_bytes(in_bytes + misalign);
    std::vector<uint8_t> second_bytes(in_bytes + misalign);
    std::vector<uint8_t> out_bytes_buffer(out_bytes + misalign + guard, 0xA5);
    std::memcpy(first_bytes.data() + misalign, first.data(), in_bytes);
    if (second) {
        std::memcpy(second_bytes.data() + misalign, second->data(), in_bytes);
    }
    const uint8_t* second_input = second ? second_bytes.data() + misalign : nullptr;
    if (band_rows == 0) {
        downsampler.reduce(first_bytes.data() + misalign,
                           second_input,
                           out_bytes_buffer.data() + misalign);
    } else {
        for (uint64_t row = 0; row < height; row += band_rows) {
            downsampler.reduce_rows(first_bytes.data() + misalign,
                                    second_input,
                                    out_bytes_buffer.data() + misalign,
                                    row,
                                    std::min(band_rows, height - row));
        }
    }

    bool guard_intact = true;
    for (std::size_t i = 0; i < guard; ++i) {
        guard_intact &= out_bytes_buffer[misalign + out_bytes + i] == 0xA5;
    }
    check(guard_intact, "output written past output_frame_bytes()");

    std::vector<T> out(out_bytes / sizeof(T));
    std::memcpy(out.data(), out_bytes_buffer.data() + misalign, out_bytes);
    return out;
}

enum class Values
{
    FullRange,
    NearExtremes,
    NearMax,
    Tiny, // 0..3 (or -2..2): many exact ties
};

template<typename T>
std::vector<T>
random_frame(std::mt19937_64& random, std::size_t pixels, Values values)
{
    using Limits = std::numeric_limits<T>;
    std::vector<T> frame(pixels);
    for (T& pixel : frame) {
        const uint64_t bits = random();
        if constexpr (std::is_floating_point_v<T>) {
            const double unit = double(bits >> 11) / double(uint64_t(1) << 53);
            switch (values) {
                case Values::Tiny:
                    pixel = T(bits % 8) / 4; // exact quarters: exact sums
                    break;
                case Values::NearMax:
                    pixel = T(Limits::max() / 16 * (0.5 + unit / 2));
                    break;
                default:
                    pixel = T((unit - 0.5) * 2000);
            }
        } else {
            const T spread = T(bits % 16);
            switch (values) {
                case Values::FullRange:
                    pixel = T(bits);
                    break;
                case Values::NearExtremes:
                    pixel = (bits >> 32) % 2 ? T(Limits::max() - spread)
                                             : T(Limits::min() + spread);
                    break;
                case Values::NearMax:
                    pixel = T(Limits::max() - spread);
                    break;
                case Values::Tiny:
                    pixel = T(T(bits % 4) - (std::is_signed_v<T> ? 2 : 0));
                    break;
            }
        }
    }
    return frame;
}

struct Shape
{
    uint64_t height;
    uint64_t width;
};

struct Step
{
    bool halve_xy;
    bool halve_z;
    bool with_second; // false with halve_z: the odd final plane passes through
};

template<typename T>
void
test_against_reference(ZarrDataType type, const char* type_name)
{
    std::mt19937_64 random(0x5eed + type);
    const Shape shapes[] = { { 1, 1 }, { 1, 8 }, { 1, 7 }, { 7, 1 }, { 2, 2 },
                             { 3, 5 }, { 7, 9 }, { 6, 4 }, { 64, 64 },
                             // wide enough for the SIMD kernel (MeanRowU16.hpp) and a
                             // generic remainder after it, with and without an odd column
                             { 5, 35 }, { 4, 50 } };
    const Step steps[] = { { true, false, false },
                           { true, true, true },
                           { true, true, false },
                           { false, true, true },
                           { false, true, false } };
    const Values value_kinds[] = {
        Values::FullRange, Values::NearExtremes, Values::NearMax, Values::Tiny
    };
    for (const Shape& shape : shapes) {
        for (const Step& step : steps) {
            for (Values values : value_kinds) {
                const std::size_t pixels = shape.height * shape.width;
                const std::vector<T> first = random_frame<T>(random, pixels, values);
                const std::vector<T> second = random_frame<T>(random, pixels, values);
                const std::vector<T>* second_plane = step.with_second ? &second : nullptr;
                for (ZarrDownsamplingMethod method : kMethods) {
                    const Expected<T> expected = reference(
                      method, first, second_plane, shape.height, shape.width, step.halve_xy);
                    // Whole frames, and bands of two rows (reduce_rows, as the
                    // pyramid calls it while a band is in the cache).
                    for (const uint64_t band_rows : { 0, 2 }) {
                        const std::vector<T> got = run(method,
                                                       type,
                                                       first,
                                                       second_plane,
                                                       shape.height,
                                                       shape.width,
                                                       step.halve_xy,
                                                       step.halve_z,
                                                       pixels % 2 + 1,
                                                       band_rows);
                        std::string where = std::string(type_name) + " " + method_name(method) +
                                            " " + std::to_string(shape.height) + "x" +
                                            std::to_string(shape.width) +
                                            (step.halve_xy ? " halve_xy" : "") +
                                            (step.halve_z ? " halve_z" : "") +
                                            (step.with_second ? " two planes" : " one plane") +
                                            (band_rows ? " in bands" : "") +
                                            " values#" + std::to_string(int(values));
                        const std::vector<T>& want = expected.pixels;
                        check(got.size() == want.size(), where + ": output size");
                        for (std::size_t i = 0; i < want.size() && i < got.size(); ++i) {
                            if (!same_value(got[i], want[i], expected.magnitudes[i])) {
                                check(false,
                                      where + ": pixel " + std::to_string(i) + " is " +
                                        show(got[i]) + ", want " + show(want[i]));
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The mean of explicit samples through the Downsampler.
template<typename T>
T
mean_of(ZarrDataType type,
        uint64_t height,
        uint64_t width,
        bool halve_xy,
        const std::vector<T>& first,
        const std::vector<T>* second = nullptr)
{
    const std::vector<T> out = run(ZarrDownsamplingMethod_Mean,
                                   type,
                                   first,
                                   second,
                                   height,
                                   width,
                                   halve_xy,
                                   second != nullptr,
                                   0);
    return out.at(0);
}

template<typename T>
void
expect_mean(ZarrDataType type,
            const std::vector<T>& block,
            T want,
            const std::vector<T>* second = nullptr)
{
    const T got = mean_of(type, 2, 2, true, block, second);
    std::string samples;
    for (T s : block) {
        samples += show(s) + " ";
    }
    check(got == want,
          "mean of 2x2 { " + samples + "}" + (second ? " + second plane" : "") +
            " is " + show(got) + ", want " + show(want));
}

void
test_tie_rounding()
{
    const auto u8 = ZarrDataType_uint8;
    expect_mean<uint8_t>(u8, { 1, 2, 2, 1 }, 2);     // 1.5 -> 2
    expect_mean<uint8_t>(u8, { 2, 3, 3, 2 }, 2);     // 2.5 -> 2
    expect_mean<uint8_t>(u8, { 1, 1, 1, 2 }, 1);     // 1.25
    expect_mean<uint8_t>(u8, { 1, 2, 2, 2 }, 2);     // 1.75
    expect_mean<uint8_t>(u8, { 0, 0, 0, 2 }, 0);     // 0.5 -> 0
    expect_mean<uint8_t>(u8, { 255, 255, 255, 254 }, 255); // 254.75
    expect_mean<uint8_t>(u8, { 255, 254, 255, 254 }, 254); // 254.5 -> 254

    const auto i8 = ZarrDataType_int8;
    expect_mean<int8_t>(i8, { -1, -2, -2, -1 }, -2); // -1.5 -> -2
    expect_mean<int8_t>(i8, { -2, -3, -3, -2 }, -2); // -2.5 -> -2
    expect_mean<int8_t>(i8, { -1, 0, 0, -1 }, 0);    // -0.5 -> 0
    expect_mean<int8_t>(i8, { -1, -1, -1, 0 }, -1);  // -0.75
    expect_mean<int8_t>(i8, { -128, -128, -128, -127 }, -128);
    expect_mean<int8_t>(i8, { 127, -128, 127, -128 }, 0); // -0.5 -> 0

    // An odd edge repeats: 4 samples that average the 2 distinct ones.
    check(mean_of<uint8_t>(u8, 1, 2, true, { 1, 2 }) == 2, "1x2 {1,2} -> 2");
    check(mean_of<uint8_t>(u8, 1, 2, true, { 2, 3 }) == 2, "1x2 {2,3} -> 2");
    check(mean_of<uint8_t>(u8, 2, 1, true, { 5, 6 }) == 6, "2x1 {5,6} -> 6");
    check(mean_of<uint8_t>(u8, 1, 1, true, { 7 }) == 7, "1x1 {7} -> 7");
    {
        const std::vector<uint8_t> row{ 1, 2, 5 };
        const std::vector<uint8_t> out =
          run(ZarrDownsamplingMethod_Mean, u8, row, nullptr, 1, 3, true, false, 0);
        check(out == std::vector<uint8_t>({ 2, 5 }), "1x3 {1,2,5} -> {2,5}");
    }

    // Z only: 2 samples.
    const std::vector<uint8_t> one{ 1 }, two{ 2 }, three{ 3 };
    check(mean_of<uint8_t>(u8, 1, 1, false, one, &two) == 2, "z {1,2} -> 2");
    check(mean_of<uint8_t>(u8, 1, 1, false, two, &three) == 2, "z {2,3} -> 2");
    const std::vector<int8_t> minus3{ -3 }, minus2{ -2 };
    check(mean_of<int8_t>(i8, 1, 1, false, minus3, &minus2) == -2, "z {-3,-2} -> -2");

    // 2x2x2 divides once: rounding each plane first would give 0.
    const std::vector<uint8_t> ones{ 1, 1, 1, 1 };
    expect_mean<uint8_t>(u8, { 0, 0, 0, 2 }, 1, &ones); // 6/8 = 0.75
    expect_mean<uint8_t>(u8, { 0, 0, 0, 1 }, 1, &ones); // 5/8 = 0.625
    expect_mean<uint8_t>(u8, { 0, 0, 0, 0 }, 0, &ones); // 4/8 = 0.5 -> 0
    const std::vector<uint8_t> twos{ 2, 2, 2, 2 };
    expect_mean<uint8_t>(u8, { 1, 1, 1, 1 }, 2, &twos); // 12/8 = 1.5 -> 2

    constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();
    const auto u64 = ZarrDataType_uint64;
    expect_mean<uint64_t>(u64, { u64_max, u64_max, u64_max, u64_max }, u64_max);
    expect_mean<uint64_t>(u64, { u64_max, u64_max, u64_max, u64_max - 1 }, u64_max);
    expect_mean<uint64_t>(u64, { u64_max, u64_max - 1, u64_max, u64_max - 1 },
                          u64_max - 1); // max - 0.5: max is odd
    const std::vector<uint64_t> u64_maxes(4, u64_max);
    expect_mean<uint64_t>(u64, { u64_max, u64_max, u64_max, u64_max }, u64_max, &u64_maxes);

    constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
    constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();
    const auto i64 = ZarrDataType_int64;
    expect_mean<int64_t>(i64, { i64_max, i64_max, i64_max, i64_max }, i64_max);
    expect_mean<int64_t>(i64, { i64_min, i64_min, i64_min, i64_min }, i64_min);
    expect_mean<int64_t>(i64, { i64_max, i64_min, i64_max, i64_min }, 0); // -0.5
    expect_mean<int64_t>(i64, { i64_min, i64_min + 1, i64_min, i64_min + 1 }, i64_min);
    const std::vector<int64_t> i64_mins(4, i64_min);
    expect_mean<int64_t>(i64, { i64_min, i64_min, i64_min, i64_min }, i64_min, &i64_mins);

    constexpr int32_t i32_max = std::numeric_limits<int32_t>::max();
    constexpr int32_t i32_min = std::numeric_limits<int32_t>::min();
    const auto i32 = ZarrDataType_int32;
    expect_mean<int32_t>(i32, { i32_max, i32_max, i32_max, i32_max - 1 }, i32_max);
    expect_mean<int32_t>(i32, { i32_min, i32_min, i32_min, i32_min + 1 }, i32_min);
    constexpr uint32_t u32_max = std::numeric_limits<uint32_t>::max();
    expect_mean<uint32_t>(ZarrDataType_uint32, { u32_max, u32_max, u32_max, u32_max }, u32_max);
    expect_mean<uint16_t>(ZarrDataType_uint16, { 65535, 65535, 65535, 65535 }, 65535);
}

void
test_floats()
{
    expect_mean<float>(ZarrDataType_float32, { 1, 2, 3, 4 }, 2.5f);
    expect_mean<double>(ZarrDataType_float64, { 1, 2, 2, 1 }, 1.5); // no integer rounding
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (ZarrDownsamplingMethod method :
         { ZarrDownsamplingMethod_Mean, ZarrDownsamplingMethod_Min, ZarrDownsamplingMethod_Max }) {
        for (std::size_t at = 0; at < 4; ++at) {
            std::vector<float> block{ 1, 2, 0, 3 };
            block[at] = nan;
            const std::vector<float> out =
              run(method, ZarrDataType_float32, block, nullptr, 2, 2, true, false, 0);
            check(std::isnan(out[0]),
                  std::string(method_name(method)) + " keeps a NaN at sample " +
                    std::to_string(at));
        }
    }
}

template<typename Action>
void
expect_invalid_argument(const std::string& what, Action action)
{
    try {
        action();
        check(false, what + ": did not throw");
    } catch (const zarr::ZarrError& error) {
        check(error.code() == ZarrStatusCode_InvalidArgument,
              what + ": threw code " + std::to_string(int(error.code())));
    }
}

void
test_interface()
{
    const Downsampler odd(ZarrDownsamplingMethod_Mean, ZarrDataType_uint16, 7, 9, true, false);
    check(odd.output_height() == 4 && odd.output_width() == 5, "7x9 halves to 4x5");
    check(odd.input_frame_bytes() == 7 * 9 * 2, "7x9 uint16 input bytes");
    check(odd.output_frame_bytes() == 4 * 5 * 2, "4x5 uint16 output bytes");
    const Downsampler z_only(ZarrDownsamplingMethod_Max, ZarrDataType_float64, 7, 9, false, true);
    check(z_only.output_height() == 7 && z_only.output_width() == 9, "Z-only keeps 7x9");
    check(z_only.output_frame_bytes() == 7 * 9 * 8, "Z-only output bytes");

    expect_invalid_argument("method None", [] {
        Downsampler(ZarrDownsamplingMethod_None, ZarrDataType_uint8, 2, 2, true, false);
    });
    expect_invalid_argument("method Count", [] {
        Downsampler(ZarrDownsamplingMethodCount, ZarrDataType_uint8, 2, 2, true, false);
    });
    expect_invalid_argument("type Count", [] {
        Downsampler(ZarrDownsamplingMethod_Mean, ZarrDataTypeCount, 2, 2, true, false);
    });
    expect_invalid_argument("empty frame", [] {
        Downsampler(ZarrDownsamplingMethod_Mean, ZarrDataType_uint8, 0, 2, true, false);
    });
    expect_invalid_argument("second plane without halve_z", [] {
        const Downsampler d(ZarrDownsamplingMethod_Mean, ZarrDataType_uint8, 2, 2, true, false);
        uint8_t in[4] = {}, out[1];
        d.reduce(in, in, out);
    });
    expect_invalid_argument("null input", [] {
        const Downsampler d(ZarrDownsamplingMethod_Mean, ZarrDataType_uint8, 2, 2, true, false);
        uint8_t out[1];
        d.reduce(nullptr, nullptr, out);
    });
    // reduce_rows: a band must lie in the frame and, when Y halves, keep
    // row pairs together (an odd band only at the frame's end).
    const Downsampler bands(ZarrDownsamplingMethod_Mean, ZarrDataType_uint8, 5, 2, true, false);
    uint8_t in[10] = {}, out[10];
    expect_invalid_argument("rows past the frame", [&] { bands.reduce_rows(in, nullptr, out, 4, 2); });
    expect_invalid_argument("rows starting past the frame", [&] {
        bands.reduce_rows(in, nullptr, out, 6, 0);
    });
    expect_invalid_argument("odd first row", [&] { bands.reduce_rows(in, nullptr, out, 1, 2); });
    expect_invalid_argument("odd band mid-frame", [&] { bands.reduce_rows(in, nullptr, out, 0, 3); });
    bands.reduce_rows(in, nullptr, out, 4, 1); // the odd last row: allowed
    const Downsampler kept(ZarrDownsamplingMethod_Max, ZarrDataType_uint8, 5, 2, false, true);
    kept.reduce_rows(in, in, out, 1, 1); // Y kept: any rows
}

/// ns per output frame for one configuration; informational only.
void
benchmark(const char* label,
          ZarrDownsamplingMethod method,
          bool halve_xy,
          bool halve_z)
{
    constexpr uint64_t side = 2048;
    const Downsampler downsampler(method, ZarrDataType_uint16, side, side, halve_xy, halve_z);
    std::mt19937_64 random(7);
    std::vector<uint8_t> first(downsampler.input_frame_bytes());
    std::vector<uint8_t> second(downsampler.input_frame_bytes());
    for (std::size_t i = 0; i < first.size(); ++i) {
        first[i] = uint8_t(random());
        second[i] = uint8_t(random());
    }
    std::vector<uint8_t> output(downsampler.output_frame_bytes());
    const uint8_t* second_plane = halve_z ? second.data() : nullptr;

    downsampler.reduce(first.data(), second_plane, output.data()); // warm up
    // The median frame, so other work on the machine skews it less.
    using Clock = std::chrono::steady_clock;
    std::vector<double> frame_ns;
    const auto start = Clock::now();
    while (frame_ns.size() < 5 || Clock::now() - start < std::chrono::milliseconds(300)) {
        const auto before = Clock::now();
        downsampler.reduce(first.data(), second_plane, output.data());
        frame_ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - before).count());
    }
    std::sort(frame_ns.begin(), frame_ns.end());
    std::printf("benchmark: 2048x2048 uint16 %-20s median %8.0f ns/frame (%zu frames)\n",
                label,
                frame_ns[frame_ns.size() / 2],
                frame_ns.size());
}

} // namespace

int
main()
{
    test_interface();
    test_tie_rounding();
    test_floats();
    test_against_reference<uint8_t>(ZarrDataType_uint8, "uint8");
    test_against_reference<uint16_t>(ZarrDataType_uint16, "uint16");
    test_against_reference<uint32_t>(ZarrDataType_uint32, "uint32");
    test_against_reference<uint64_t>(ZarrDataType_uint64, "uint64");
    test_against_reference<int8_t>(ZarrDataType_int8, "int8");
    test_against_reference<int16_t>(ZarrDataType_int16, "int16");
    test_against_reference<int32_t>(ZarrDataType_int32, "int32");
    test_against_reference<int64_t>(ZarrDataType_int64, "int64");
    test_against_reference<float>(ZarrDataType_float32, "float32");
    test_against_reference<double>(ZarrDataType_float64, "float64");

    if (failures > 0) {
        std::fprintf(stderr, "test_downsampler: %d check(s) failed\n", failures);
        return 1;
    }
    benchmark("mean 2x2", ZarrDownsamplingMethod_Mean, true, false);
    benchmark("mean 2x2x2", ZarrDownsamplingMethod_Mean, true, true);
    benchmark("decimate 2x2", ZarrDownsamplingMethod_Decimate, true, false);
    benchmark("min 2x2", ZarrDownsamplingMethod_Min, true, false);
    benchmark("max 2x2", ZarrDownsamplingMethod_Max, true, false);
    benchmark("mean 1x1x2 (Z only)", ZarrDownsamplingMethod_Mean, false, true);
    std::printf("test_downsampler: all checks passed\n");
    return 0;
}

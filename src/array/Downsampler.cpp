#include "array/Downsampler.hpp"

#include "array/MeanRowU16.hpp"
#include "format/DataType.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

namespace zarr {
namespace {

/// A signed type that sums 8 samples of T exactly. Kept as narrow as that
/// allows, since narrower lanes vectorise wider (the hot uint16 case sums in
/// 32-bit lanes), and signed because x86 compares and shifts signed lanes
/// natively.
template<typename T>
struct ExactSum;
template<>
struct ExactSum<uint8_t>
{
    using type = int16_t; // 8 * 255 fits
};
template<>
struct ExactSum<int8_t>
{
    using type = int16_t; // 8 * -128 fits
};
template<>
struct ExactSum<uint16_t>
{
    using type = int32_t;
};
template<>
struct ExactSum<int16_t>
{
    using type = int32_t;
};
template<>
struct ExactSum<uint32_t>
{
    using type = int64_t;
};
template<>
struct ExactSum<int32_t>
{
    using type = int64_t;
};
template<>
struct ExactSum<uint64_t>
{
    using type = __int128;
};
template<>
struct ExactSum<int64_t>
{
    using type = __int128;
};

/// `sum / Count` rounded to nearest, ties to even. Count is a power of two,
/// so division is an arithmetic shift (floor, also for negative sums: C++20
/// defines it). Writing sum = q * Count + r: adding Count/2 - 1 + (q & 1)
/// before the shift carries into q exactly when r > Count/2, or r == Count/2
/// and q is odd. No compare or branch, so the loops around it vectorise.
template<unsigned Count, typename Sum>
Sum
divide_rounding_to_even(Sum sum)
{
    static_assert(std::has_single_bit(Count));
    if constexpr (Count == 1) {
        return sum;
    } else {
        constexpr int shift = std::countr_zero(Count);
        const Sum quotient_is_odd = (sum >> shift) & 1;
        return (sum + Sum(Count / 2 - 1) + quotient_is_odd) >> shift;
    }
}

/// Minimum and maximum as selects (which vectorise); for floats a NaN wins,
/// as in numpy, rather than depending on the order of comparisons.
template<typename T>
T
smaller(T a, T b)
{
    if constexpr (std::is_floating_point_v<T>) {
        return (a < b || a != a) ? a : b;
    } else {
        return a < b ? a : b;
    }
}

template<typename T>
T
larger(T a, T b)
{
    if constexpr (std::is_floating_point_v<T>) {
        return (a > b || a != a) ? a : b;
    } else {
        return a > b ? a : b;
    }
}

/// Reduces one block of samples; `first` is the block's top-left sample of
/// the first plane. The sample count is a compile-time constant, so an
/// integer mean divides once (never per plane), by a shift.
template<ZarrDownsamplingMethod Method, typename T, typename... Rest>
T
reduce_block(T first, Rest... rest)
{
    if constexpr (Method == ZarrDownsamplingMethod_Decimate) {
        return first;
    } else if constexpr (Method == ZarrDownsamplingMethod_Min) {
        T result = first;
        ((result = smaller(result, rest)), ...);
        return result;
    } else if constexpr (Method == ZarrDownsamplingMethod_Max) {
        T result = first;
        ((result = larger(result, rest)), ...);
        return result;
    } else {
        static_assert(Method == ZarrDownsamplingMethod_Mean);
        constexpr unsigned count = 1 + sizeof...(Rest);
        if constexpr (std::is_floating_point_v<T>) {
            const double sum = (double(first) + ... + double(rest));
            return T(sum / count);
        } else {
            using Sum = typename ExactSum<T>::type;
            const Sum sum = (Sum(first) + ... + Sum(rest));
            // A rounded mean lies between the block's extremes: it fits T.
            return T(divide_rounding_to_even<count>(sum));
        }
    }
}

template<typename T>
T
load(const uint8_t* pixels, uint64_t index)
{
    T value;
    std::memcpy(&value, pixels + index * sizeof(T), sizeof(T));
    return value;
}

template<typename T>
void
store(uint8_t* pixels, uint64_t index, T value)
{
    std::memcpy(pixels + index * sizeof(T), &value, sizeof(T));
}

template<std::size_t Bytes>
using UnsignedOfSize = std::conditional_t<
  Bytes == 1,
  uint8_t,
  std::conditional_t<Bytes == 2,
                     uint16_t,
                     std::conditional_t<Bytes == 4, uint32_t, uint64_t>>>;

/// Whether to read two horizontally adjacent pixels as one integer twice as
/// wide and split it, rather than pixel by pixel: GCC then needs no
/// even/odd shuffles. With baseline x86-64 (SSE2, GCC 12) this made 2x2
/// MEAN about 1.5x faster for uint8 and uint16 (a little for uint32), but
/// signed, float, MIN and MAX slower, so it is used only where it helped.
template<ZarrDownsamplingMethod Method, typename T>
constexpr bool kSplitsWords = Method == ZarrDownsamplingMethod_Mean &&
                              std::is_unsigned_v<T> && sizeof(T) <= 4 &&
                              std::endian::native == std::endian::little;

/// The pixels at columns 2x and 2x + 1 of `row`.
template<ZarrDownsamplingMethod Method, typename T>
std::pair<T, T>
load_adjacent(const uint8_t* row, uint64_t x)
{
    if constexpr (kSplitsWords<Method, T>) {
        using Half = UnsignedOfSize<sizeof(T)>;
        const auto word = load<UnsignedOfSize<2 * sizeof(T)>>(row, x);
        return { std::bit_cast<T>(Half(word)),
                 std::bit_cast<T>(Half(word >> (8 * sizeof(T)))) };
    } else {
        return { load<T>(row, 2 * x), load<T>(row, 2 * x + 1) };
    }
}

/// The input rows that feed one output row: two rows of the first plane
/// and, when two planes combine, the same two rows of the second. At an odd
/// last row `top` and `bottom` are the same row.
struct SourceRows
{
    const uint8_t* first_top;
    const uint8_t* first_bottom;
    const uint8_t* second_top;
    const uint8_t* second_bottom;
};

/// One output row of a step that halves Y and X. The interior loop has no
/// edge test so it vectorises; an odd last column is its own block.
template<ZarrDownsamplingMethod Method, typename T, bool TwoPlanes>
void
halve_row(const SourceRows& rows, uint64_t width, uint8_t* __restrict output)
{
    const uint8_t* __restrict a = rows.first_top;
    const uint8_t* __restrict b = rows.first_bottom;
    const uint8_t* __restrict c = rows.second_top;
    const uint8_t* __restrict d = rows.second_bottom;
    // Reduces the block whose two columns `columns_of(row)` gives per row.
    const auto block = [&](auto columns_of) {
        const auto [a_left, a_right] = columns_of(a);
        const auto [b_left, b_right] = columns_of(b);
        if constexpr (TwoPlanes) {
            const auto [c_left, c_right] = columns_of(c);
            const auto [d_left, d_right] = columns_of(d);
            return reduce_block<Method>(
              a_left, a_right, b_left, b_right, c_left, c_right, d_left, d_right);
        } else {
            return reduce_block<Method>(a_left, a_right, b_left, b_right);
        }
    };
    const uint64_t pairs = width / 2;
    uint64_t x = 0;
    if constexpr (Method == ZarrDownsamplingMethod_Mean && std::is_same_v<T, uint16_t>) {
        x = mean_row_u16<TwoPlanes>(a, b, c, d, pairs, output);
    }
    for (; x < pairs; ++x) {
        store<T>(output, x, block([x](const uint8_t* row) {
                     return load_adjacent<Method, T>(row, x);
                 }));
    }
    if (width % 2 != 0) {
        store<T>(output, pairs, block([width](const uint8_t* row) {
                     const T edge = load<T>(row, width - 1);
                     return std::pair<T, T>{ edge, edge };
                 }));
    }
}

/// A step that halves only Z: pixel by pixel over the whole frame.
template<ZarrDownsamplingMethod Method, typename T>
void
combine_planes(const uint8_t* __restrict first,
               const uint8_t* __restrict second,
               uint64_t pixels,
               uint8_t* __restrict output)
{
    for (uint64_t i = 0; i < pixels; ++i) {
        store<T>(output,
                 i,
                 reduce_block<Method>(load<T>(first, i), load<T>(second, i)));
    }
}

/// Asks for the next output row's input rows while this one is reduced:
/// the hardware prefetcher alone left the loop waiting on memory (about a
/// third of its in-cache speed on frames larger than the cache).
void
prefetch_rows(const uint8_t* start, std::size_t bytes)
{
    for (std::size_t offset = 0; offset < bytes; offset += 64) {
        __builtin_prefetch(start + offset);
    }
}

template<ZarrDownsamplingMethod Method, typename T>
void
reduce_frame(uint64_t height,
             uint64_t width,
             bool halve_xy,
             const uint8_t* first,
             const uint8_t* second,
             uint8_t* output,
             uint64_t output_begin,
             uint64_t output_end)
{
    if (!halve_xy) { // output rows are input rows
        const std::size_t offset = output_begin * width * sizeof(T);
        const uint64_t pixels = (output_end - output_begin) * width;
        if (second) {
            combine_planes<Method, T>(first + offset, second + offset, pixels, output + offset);
        } else {
            // 1×1 blocks of one plane: every method keeps the sample.
            std::memcpy(output + offset, first + offset, pixels * sizeof(T));
        }
        return;
    }
    const std::size_t input_row_bytes = width * sizeof(T);
    const std::size_t output_row_bytes = (width + 1) / 2 * sizeof(T);
    for (uint64_t y = output_begin; y < output_end; ++y) {
        const uint64_t top = 2 * y;
        const uint64_t bottom = std::min(top + 1, height - 1);
        uint8_t* output_row = output + y * output_row_bytes;
        if (top + 2 < height && y + 1 < output_end) {
            const std::size_t next = (top + 2) * input_row_bytes;
            const std::size_t bytes = std::min<uint64_t>(2, height - top - 2) * input_row_bytes;
            prefetch_rows(first + next, bytes);
            if (second) {
                prefetch_rows(second + next, bytes);
            }
        }
        if (second) {
            const SourceRows rows{ first + top * input_row_bytes,
                                   first + bottom * input_row_bytes,
                                   second + top * input_row_bytes,
                                   second + bottom * input_row_bytes };
            halve_row<Method, T, true>(rows, width, output_row);
        } else {
            const SourceRows rows{ first + top * input_row_bytes,
                                   first + bottom * input_row_bytes,
                                   nullptr,
                                   nullptr };
            halve_row<Method, T, false>(rows, width, output_row);
        }
    }
}

template<typename T>
auto
kernel_for(ZarrDownsamplingMethod method)
{
    switch (method) {
        case ZarrDownsamplingMethod_Decimate:
            return &reduce_frame<ZarrDownsamplingMethod_Decimate, T>;
        case ZarrDownsamplingMethod_Mean:
            return &reduce_frame<ZarrDownsamplingMethod_Mean, T>;
        case ZarrDownsamplingMethod_Min:
            return &reduce_frame<ZarrDownsamplingMethod_Min, T>;
        case ZarrDownsamplingMethod_Max:
            return &reduce_frame<ZarrDownsamplingMethod_Max, T>;
        default:
            fail(ZarrStatusCode_InvalidArgument,
                 "downsampling method ",
                 int(method),
                 " cannot build a pyramid level (None or unknown)");
    }
}

auto
kernel_for(ZarrDownsamplingMethod method, ZarrDataType type)
{
    switch (type) {
        case ZarrDataType_uint8:
            return kernel_for<uint8_t>(method);
        case ZarrDataType_uint16:
            return kernel_for<uint16_t>(method);
        case ZarrDataType_uint32:
            return kernel_for<uint32_t>(method);
        case ZarrDataType_uint64:
            return kernel_for<uint64_t>(method);
        case ZarrDataType_int8:
            return kernel_for<int8_t>(method);
        case ZarrDataType_int16:
            return kernel_for<int16_t>(method);
        case ZarrDataType_int32:
            return kernel_for<int32_t>(method);
        case ZarrDataType_int64:
            return kernel_for<int64_t>(method);
        case ZarrDataType_float32:
            return kernel_for<float>(method);
        case ZarrDataType_float64:
            return kernel_for<double>(method);
        default:
            fail(ZarrStatusCode_InvalidArgument,
                 "data type ",
                 int(type),
                 " is not a ZarrDataType");
    }
}

std::size_t
checked_frame_bytes(uint64_t height, uint64_t width, std::size_t pixel_bytes)
{
    constexpr uint64_t limit = std::numeric_limits<std::size_t>::max();
    if (width > limit / pixel_bytes || height > limit / pixel_bytes / width) {
        fail(ZarrStatusCode_Overflow,
             "a ",
             height,
             " x ",
             width,
             " frame is too large to address");
    }
    return std::size_t(height * width * pixel_bytes);
}

} // namespace

Downsampler::Downsampler(ZarrDownsamplingMethod method,
                         ZarrDataType type,
                         uint64_t height,
                         uint64_t width,
                         bool halve_xy,
                         bool halve_z)
  : kernel_(kernel_for(method, type))
  , height_(height)
  , width_(width)
  , halve_xy_(halve_xy)
  , halve_z_(halve_z)
  , bytes_per_pixel_(bytes_of(type))
{
    if (height == 0 || width == 0) {
        fail(ZarrStatusCode_InvalidArgument,
             "cannot downsample an empty ",
             height,
             " x ",
             width,
             " frame");
    }
    checked_frame_bytes(height, width, bytes_per_pixel_);
}

uint64_t
Downsampler::output_height() const
{
    return halve_xy_ ? (height_ + 1) / 2 : height_;
}

uint64_t
Downsampler::output_width() const
{
    return halve_xy_ ? (width_ + 1) / 2 : width_;
}

std::size_t
Downsampler::input_frame_bytes() const
{
    return std::size_t(height_ * width_ * bytes_per_pixel_);
}

std::size_t
Downsampler::output_frame_bytes() const
{
    return std::size_t(output_height() * output_width() * bytes_per_pixel_);
}

void
Downsampler::reduce(const uint8_t* first,
                    const uint8_t* second,
                    uint8_t* output) const
{
    reduce_rows(first, second, output, 0, height_);
}

void
Downsampler::reduce_rows(const uint8_t* first,
                         const uint8_t* second,
                         uint8_t* output,
                         uint64_t first_row,
                         uint64_t rows) const
{
    if (first_row > height_ || rows > height_ - first_row) {
        fail(ZarrStatusCode_InvalidArgument,
             "rows ",
             first_row,
             " to ",
             first_row + rows,
             " are not all in a frame of ",
             height_,
             " rows");
    }
    const bool at_end = first_row + rows == height_;
    if (halve_xy_ && (first_row % 2 != 0 || (rows % 2 != 0 && !at_end))) {
        fail(ZarrStatusCode_InvalidArgument,
             "rows ",
             first_row,
             " to ",
             first_row + rows,
             " split a pair of rows that reduce together");
    }
    if (!first || !output) {
        fail(ZarrStatusCode_InvalidArgument,
             "Downsampler::reduce needs an input and an output frame");
    }
    if (second && !halve_z_) {
        fail(ZarrStatusCode_InvalidArgument,
             "Downsampler::reduce got a second plane, but this step does not "
             "halve Z");
    }
    const uint64_t begin = halve_xy_ ? first_row / 2 : first_row;
    const uint64_t end = halve_xy_ ? (first_row + rows + 1) / 2 : first_row + rows;
    kernel_(height_, width_, halve_xy_, first, second, output, begin, end);
}

} // namespace zarr

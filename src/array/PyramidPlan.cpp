#include "array/PyramidPlan.hpp"

#include "util/ZarrError.hpp"

#include <algorithm>
#include <optional>

namespace zarr {
namespace {

uint64_t
ceil_div(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/// Y and X halve together, and only while both would still span more than
/// the larger of their chunks, so neither shrinks below one chunk.
bool
xy_should_halve(const DimensionSpec& y, const DimensionSpec& x)
{
    return std::min(y.size, x.size) > std::max(y.chunk, x.chunk);
}

bool
z_should_halve(const DimensionSpec& z)
{
    return z.size > z.chunk;
}

/// The dimension that takes part in downsampling as Z, if any: the
/// third-last, when it is spatial and bounded (an unbounded append
/// dimension cannot be halved before its size is known).
std::optional<std::size_t>
z_index(const ArraySpec& spec)
{
    const std::size_t rank = spec.dimensions.size();
    if (rank < 3) {
        return std::nullopt;
    }
    const DimensionSpec& candidate = spec.dimensions[rank - 3];
    if (candidate.kind != ZarrDimensionType_Space || candidate.size == 0) {
        return std::nullopt;
    }
    return rank - 3;
}

void
halve(DimensionSpec& dimension)
{
    dimension.size = ceil_div(dimension.size, 2);
    dimension.scale *= 2;
}

/// A shard never spans more chunks than its dimension has; the unbounded
/// (size 0) first dimension keeps its shard as given.
void
shrink_shard_to_fit(DimensionSpec& dimension)
{
    if (dimension.size > 0) {
        dimension.shard_chunks = std::min(
          dimension.shard_chunks, ceil_div(dimension.size, dimension.chunk));
    }
}

void
check_plannable(const ArraySpec& base)
{
    if (base.dimensions.size() < 2) {
        fail(ZarrStatusCode_InvalidArgument,
             "a pyramid needs at least 2 dimensions (Y and X); array '",
             base.key,
             "' has ",
             base.dimensions.size());
    }
    for (const DimensionSpec& dimension : base.dimensions) {
        // A zero chunk would make "size > chunk" true forever.
        if (dimension.chunk == 0) {
            fail(ZarrStatusCode_InvalidArgument,
                 "dimension '",
                 dimension.name,
                 "' of array '",
                 base.key,
                 "' has chunk size 0");
        }
    }
}

} // namespace

std::vector<PyramidLevel>
plan_pyramid(const ArraySpec& base,
             ZarrDownsamplingMethod method,
             unsigned max_levels)
{
    std::vector<PyramidLevel> levels{ PyramidLevel{ base } };
    if (method == ZarrDownsamplingMethod_None) {
        return levels;
    }
    check_plannable(base);

    const std::size_t rank = base.dimensions.size();
    const std::size_t y = rank - 2;
    const std::size_t x = rank - 1;
    const std::optional<std::size_t> z = z_index(base);

    // Each step halves a dimension larger than its chunk (so at least 2),
    // hence the loop ends.
    while (max_levels == 0 || levels.size() <= max_levels) {
        PyramidLevel next{ levels.back().spec };
        std::vector<DimensionSpec>& dimensions = next.spec.dimensions;
        next.halves_xy = xy_should_halve(dimensions[y], dimensions[x]);
        next.halves_z = z && z_should_halve(dimensions[*z]);
        if (!next.halves_xy && !next.halves_z) {
            break;
        }
        if (next.halves_xy) {
            halve(dimensions[y]);
            halve(dimensions[x]);
        }
        if (next.halves_z) {
            halve(dimensions[*z]);
        }
        for (DimensionSpec& dimension : dimensions) {
            shrink_shard_to_fit(dimension);
        }
        levels.push_back(std::move(next));
    }
    return levels;
}

} // namespace zarr

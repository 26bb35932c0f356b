#include "array/FrameBanding.hpp"

#include "array/ChunkLattice.hpp"
#include "util/Logger.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace zarr {

uint64_t
banded_frame_bytes()
{
    constexpr uint64_t kDefault = uint64_t(64) << 20;
    const char* variable = std::getenv("ZARR_BANDED_FRAME_BYTES");
    if (variable == nullptr || *variable == '\0') {
        return kDefault;
    }
    char* end = nullptr;
    const unsigned long long value = std::strtoull(variable, &end, 10);
    if (*end != '\0' || value == 0 || variable[0] == '-') {
        log_warning("ignoring ZARR_BANDED_FRAME_BYTES='",
                    variable,
                    "': it is not a positive number of bytes; banding frames above ",
                    kDefault,
                    " bytes");
        return kDefault;
    }
    return value;
}

void
plan_banding(std::vector<PyramidLevel>& levels, bool transposes)
{
    if (levels.empty() || transposes || !levels.front().spec.frames_in_order) {
        return;
    }
    const auto& dimensions = levels.front().spec.dimensions;
    const uint64_t chunk_y = dimensions[dimensions.size() - 2].chunk;
    if (levels.size() > 1 && chunk_y % 2 != 0) {
        return;
    }
    const ChunkLattice base(levels.front().spec);
    if (base.frames_per_layer() != 1 || base.chunks_down() < 2 ||
        base.frame_bytes() <= banded_frame_bytes()) {
        return;
    }
    const double budget = 2.0 * double(banded_frame_bytes());
    for (auto& level : levels) {
        const ChunkLattice frames(level.spec);
        if (frames.chunks_down() < 2) {
            return; // and every level after it, smaller still
        }
        level.spec.banded = true;
        const ChunkLattice bands(level.spec);
        const double share = budget * double(frames.frame_bytes()) / double(base.frame_bytes());
        const double band = double(bands.slot_count() * bands.chunk_bytes());
        level.spec.layer_buffers = std::max<std::size_t>(2, std::size_t(share / band));
    }
}

uint64_t
piece_rows(const ArraySpec& spec)
{
    const DimensionSpec& y = spec.dimensions[spec.dimensions.size() - 2];
    return spec.banded ? y.chunk : y.size;
}

} // namespace zarr

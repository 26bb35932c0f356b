#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace zarr {

/// One validated acquisition of an HCS plate (OME-NGFF `plate.acquisitions`).
/// Times are epoch timestamps, written as given.
struct AcquisitionSpec
{
    uint32_t id = 0;
    std::optional<std::string> name;
    std::optional<std::string> description;
    std::optional<uint64_t> start_time;
    std::optional<uint64_t> end_time;
};

} // namespace zarr

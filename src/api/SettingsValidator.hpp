#pragma once

#include "acquire.zarr.h"
#include "spec/StreamSpec.hpp"

namespace zarr {

/// Checks every field of the C settings and turns them into a StreamSpec.
/// Throws ZarrError naming the first bad field and its value, before
/// anything touches the disk.
class SettingsValidator
{
  public:
    /// `for_estimate`: the settings only describe arrays for a memory
    /// estimate, so where they would be stored does not matter.
    static StreamSpec validate(const ZarrStreamSettings* settings,
                               bool for_estimate = false);

    /// The thread count for `max_threads`: itself if > 0, else the
    /// ZARR_MAX_THREADS environment variable, else all hardware threads.
    static unsigned resolve_thread_count(unsigned max_threads);
};

} // namespace zarr

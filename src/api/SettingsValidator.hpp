#pragma once

#include "acquire.zarr.h"
#include "spec/StreamSpec.hpp"

#include <string>

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

    /// A node key given by the caller, normalised, each component checked;
    /// `where` names the field in errors.
    static std::string validate_key(const std::string& where, const char* raw);

    /// One array's settings; `where` names it in errors ("arrays[2]").
    /// `always_ngff`: an OME-NGFF image whatever is_ngff says (a field of
    /// view of a plate).
    static ArrayNodeSpec validate_array(const std::string& where,
                                        const ZarrArraySettings& array,
                                        ZarrVersion version,
                                        bool always_ngff = false);
};

} // namespace zarr

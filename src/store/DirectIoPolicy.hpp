#pragma once

#include "util/DirectIo.hpp"

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

namespace zarr {

/// Direct I/O (ZARR_DIRECT_IO) for one store, shared by its sinks: opens
/// data files with O_DIRECT while the filesystem accepts it, knows the
/// alignment it needs, and, the first time the filesystem refuses, logs the
/// stream's one warning and has every later file written buffered.
class DirectIoPolicy
{
  public:
    /// `root`: the store's directory, for the messages.
    DirectIoPolicy(std::string root, bool requested);

    bool requested() const { return requested_; }

    /// Creates (or truncates) `path` for writing with O_DIRECT and returns
    /// the descriptor, setting `alignment`; or -1 when direct I/O is off or
    /// refused (the caller then opens the file buffered, which also reports
    /// any other failure to open it).
    int open(const std::string& path, std::size_t& alignment);

    /// The filesystem of `path` refused direct I/O (`reason` completes
    /// "'path' ..."): warns, once per store, and makes later open() calls
    /// return -1.
    void refuse(const std::string& path, const std::string& reason);

  private:
    std::string root_;
    bool requested_;
    std::atomic<bool> refused_{ false };
    std::atomic<bool> warned_{ false };

    std::mutex mutex_;
    bool probed_ = false; // support_ holds the answer for the first file
    DirectIoSupport support_;
};

} // namespace zarr

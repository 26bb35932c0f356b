#pragma once

#include "util/ZarrError.hpp"

#include <mutex>
#include <optional>

namespace zarr {

/// Keeps the first failure reported by any thread, so that the next
/// append or close of the stream can report it.
class FirstError
{
  public:
    void record(const ZarrError& error);

    /// Throws the recorded failure, if any.
    void rethrow() const;

  private:
    mutable std::mutex mutex_;
    std::optional<ZarrError> error_;
};

} // namespace zarr

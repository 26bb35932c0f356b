#pragma once

#include "util/ZarrError.hpp"

#include <exception>
#include <mutex>
#include <new>
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

    /// Whether a failure was recorded.
    bool failed() const;

    /// Runs `job`, recording any failure instead of letting it escape (a
    /// worker's job must not throw). Returns whether `job` succeeded.
    template<typename Job>
    bool capture(Job&& job)
    {
        try {
            job();
            return true;
        } catch (const ZarrError& error) {
            record(error);
        } catch (const std::bad_alloc&) {
            record(ZarrError(ZarrStatusCode_OutOfMemory, "out of memory"));
        } catch (const std::exception& error) {
            record(ZarrError(ZarrStatusCode_InternalError, error.what()));
        }
        return false;
    }

  private:
    mutable std::mutex mutex_;
    std::optional<ZarrError> error_;
};

} // namespace zarr

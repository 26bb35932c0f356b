#include "util/FirstError.hpp"

#include "util/Logger.hpp"

namespace zarr {

void
FirstError::record(const ZarrError& error)
{
    log_error(error.what());
    std::lock_guard lock(mutex_);
    if (!error_) {
        error_ = error;
    }
}

bool
FirstError::failed() const
{
    std::lock_guard lock(mutex_);
    return error_.has_value();
}

void
FirstError::rethrow() const
{
    std::lock_guard lock(mutex_);
    if (error_) {
        throw *error_;
    }
}

} // namespace zarr

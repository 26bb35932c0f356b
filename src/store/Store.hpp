#pragma once

#include "store/Sink.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace zarr {

/// A key-value store of objects: keys are '/'-separated paths relative to
/// the store's root. Knows nothing of Zarr. Methods are safe to call from
/// several threads at once. Failures throw ZarrError(IOError).
class Store
{
  public:
    virtual ~Store() = default;

    /// Creates (or truncates) the object `key` for streaming writes.
    virtual std::unique_ptr<Sink> open_sink(const std::string& key) = 0;

    /// Replaces the object `key` with `content` atomically: a reader sees
    /// the old or the new content, never a torn one.
    virtual void write_object(const std::string& key,
                              std::string_view content) = 0;

    /// The content of `key`, or nothing if it does not exist.
    virtual std::optional<std::string> read_object(const std::string& key) = 0;

    virtual bool exists(const std::string& key) = 0;

    /// Makes everything written so far durable.
    virtual void flush_to_storage() = 0;
};

} // namespace zarr

#pragma once

#include "store/Sink.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace zarr {

/// A key-value store of objects: keys are '/'-separated paths relative to
/// the store's root (a directory, or a prefix in a bucket). Knows nothing of
/// Zarr. Methods are safe to call from several threads at once. Failures
/// throw ZarrError(IOError).
///
/// A stream's creation goes prepare(), then its first writes, then
/// keep_prepared() once everything has succeeded, or undo_prepare() if
/// anything failed: a failed creation leaves what was there before.
class Store
{
  public:
    virtual ~Store() = default;

    /// Makes the root ready for a new stream. With `overwrite`, what is
    /// there is replaced: set aside where the store can (and deleted by
    /// keep_prepared()), else deleted now.
    virtual void prepare(bool overwrite) = 0;
    /// Creation succeeded: deletes what prepare() set aside.
    virtual void keep_prepared() = 0;
    /// Creation failed: removes what the stream created, and puts back what
    /// prepare() set aside.
    virtual void undo_prepare() = 0;

    /// Whether the objects of open_sink() take writes at any offset and
    /// can be preallocated and truncated (a file), or only in order, each
    /// write at the end of the last, visible once closed (an S3 object).
    virtual bool random_access() const = 0;

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

#pragma once

#include "spec/StreamSpec.hpp"
#include "store/Store.hpp"

#include <memory>

namespace zarr {

/// The store a stream writes to: a directory, or (with S3 settings) a
/// prefix in a bucket.
std::unique_ptr<Store>
make_store(const StreamSpec& spec);

} // namespace zarr

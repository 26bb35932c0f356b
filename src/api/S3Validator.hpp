#pragma once

#include "acquire.zarr.h"
#include "spec/S3Spec.hpp"

#include <string>

namespace zarr {

/// Checks the S3 settings of a stream and turns its store_path into the
/// objects' key prefix. Throws ZarrError(InvalidSettings) naming the field.
/// The bucket itself is checked when the stream is created (S3Store).
class S3Validator
{
  public:
    static S3Spec validate(const ZarrS3Settings& settings, const std::string& store_path);
};

} // namespace zarr

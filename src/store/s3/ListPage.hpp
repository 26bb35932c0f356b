#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zarr::s3 {

/// One page of a ListObjectsV2 response, requested with encoding-type=url
/// (so that keys XML 1.0 cannot carry still arrive) and decoded here.
struct ListPage
{
    std::vector<std::string> keys;
    /// Where the next page starts; empty on the last page.
    std::string next_continuation_token;

    /// Throws ZarrError(IOError) if `body` is not a ListBucketResult, or
    /// says it is truncated without saying where to go on.
    static ListPage parse(std::string_view body);
};

} // namespace zarr::s3

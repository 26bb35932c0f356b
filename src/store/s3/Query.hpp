#pragma once

#include <string>
#include <utility>
#include <vector>

namespace zarr::s3 {

/// A URL query string in SigV4's canonical form, which libcurl 7.88 does not
/// produce itself (it signs the query as written): names and values
/// percent-encoded, pairs sorted by name, and every name followed by '=',
/// even without a value (`?uploads=`, `?delete=`).
class Query
{
  public:
    Query& add(const std::string& name, const std::string& value = "");

    /// "?a=1&b=" or "" when empty.
    std::string str() const;

  private:
    std::vector<std::pair<std::string, std::string>> encoded_;
};

} // namespace zarr::s3

#include "store/s3/Query.hpp"

#include "store/s3/UrlEncoding.hpp"

#include <algorithm>

namespace zarr::s3 {

Query&
Query::add(const std::string& name, const std::string& value)
{
    encoded_.emplace_back(url::encode_component(name),
                          url::encode_component(value));
    return *this;
}

std::string
Query::str() const
{
    auto pairs = encoded_;
    // Byte order of the encoded names, then values, as SigV4 sorts.
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        out += out.empty() ? '?' : '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

} // namespace zarr::s3

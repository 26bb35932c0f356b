#include "spec/NodeKey.hpp"

namespace zarr {

std::string
normalise_key(std::string_view raw)
{
    while (!raw.empty() && raw.front() == '/') {
        raw.remove_prefix(1);
    }
    while (!raw.empty() && raw.back() == '/') {
        raw.remove_suffix(1);
    }
    return std::string(raw);
}

std::string
key_prefix(const std::string& key)
{
    return key.empty() ? "" : key + "/";
}

std::string
child_key(const std::string& parent, const std::string& name)
{
    return key_prefix(parent) + name;
}

std::vector<std::string>
ancestor_keys(const std::string& key)
{
    std::vector<std::string> groups;
    for (std::size_t slash = key.find('/'); slash != std::string::npos;
         slash = key.find('/', slash + 1)) {
        groups.push_back(key.substr(0, slash));
    }
    return groups;
}

bool
is_below(const std::string& key, const std::string& ancestor)
{
    if (ancestor.empty()) {
        return !key.empty();
    }
    return key.size() > ancestor.size() && key.starts_with(ancestor) &&
           key[ancestor.size()] == '/';
}

} // namespace zarr

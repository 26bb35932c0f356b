#include "format/ChunkKey.hpp"

#include "spec/NodeKey.hpp"

namespace zarr {

std::string
chunk_key(const std::string& array_key,
          ZarrVersion version,
          std::span<const uint64_t> coordinates)
{
    std::string key = key_prefix(array_key) + (version == ZarrVersion_3 ? "c" : "");
    for (const uint64_t coordinate : coordinates) {
        if (!key.empty() && key.back() != '/') {
            key += '/';
        }
        key += std::to_string(coordinate);
    }
    return key;
}

} // namespace zarr

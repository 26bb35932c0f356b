#pragma once

#include "format/ArrayMetadata.hpp"
#include "store/Store.hpp"

#include <mutex>
#include <string>

namespace zarr {

/// A group in the store: the root, an intermediate group of an output key,
/// an OME-NGFF multiscales image, or an HCS plate, row or well. Its
/// attributes can be rewritten while the stream runs.
///
/// A group that already exists (written by another tool, or an earlier
/// stream) keeps its attributes: the stream only adds the ones it owns.
class GroupNode
{
  public:
    using Json = ArrayMetadata::Json;

    GroupNode(Store& store, std::string key, ZarrVersion version);

    const std::string& key() const { return key_; }

    /// Writes the group's metadata with `owned` attributes merged over any
    /// it already has. An existing group with nothing to add is left as it
    /// is, byte for byte.
    void create(const Json& owned = Json::object());

    Json attributes() const;
    /// Replaces the attributes and rewrites the metadata.
    void set_attributes(const Json& attributes);

  private:
    Json existing_attributes() const;
    void write() const;

    Store& store_;
    std::string key_;
    ZarrVersion version_;
    mutable std::mutex mutex_;
    Json attributes_ = Json::object();
};

} // namespace zarr

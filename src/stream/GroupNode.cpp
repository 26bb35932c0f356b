#include "stream/GroupNode.hpp"

#include "spec/NodeKey.hpp"

namespace zarr {

GroupNode::GroupNode(Store& store, std::string key, ZarrVersion version)
  : store_(store)
  , key_(std::move(key))
  , version_(version)
{
}

GroupNode::Json
GroupNode::existing_attributes() const
{
    const std::string prefix = key_prefix(key_);
    const auto document =
      store_.read_object(prefix + (version_ == ZarrVersion_3 ? "zarr.json" : ".zattrs"));
    if (!document) {
        return Json::object();
    }
    const Json parsed = Json::parse(*document, nullptr, false);
    if (version_ == ZarrVersion_2) {
        return parsed.is_object() ? parsed : Json::object();
    }
    if (parsed.is_object() && parsed.contains("attributes") &&
        parsed["attributes"].is_object()) {
        return parsed["attributes"];
    }
    return Json::object();
}

void
GroupNode::create(const Json& owned)
{
    const std::string prefix = key_prefix(key_);
    const bool exists =
      store_.exists(prefix + (version_ == ZarrVersion_3 ? "zarr.json" : ".zgroup"));
    std::lock_guard lock(mutex_);
    attributes_ = exists ? existing_attributes() : Json::object();
    if (exists && owned.empty()) {
        return;
    }
    for (const auto& [name, value] : owned.items()) {
        attributes_[name] = value;
    }
    write();
}

GroupNode::Json
GroupNode::attributes() const
{
    std::lock_guard lock(mutex_);
    return attributes_;
}

void
GroupNode::set_attributes(const Json& attributes)
{
    std::lock_guard lock(mutex_);
    attributes_ = attributes;
    write();
}

void
GroupNode::write() const
{
    const std::string prefix = key_prefix(key_);
    if (version_ == ZarrVersion_3) {
        store_.write_object(prefix + "zarr.json",
                            ArrayMetadata::v3_group_document(attributes_).dump(4));
    } else {
        store_.write_object(prefix + ".zgroup", ArrayMetadata::v2_group_document().dump(4));
        store_.write_object(prefix + ".zattrs", attributes_.dump(4));
    }
}

} // namespace zarr

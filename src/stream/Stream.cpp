#include "stream/Stream.hpp"

#include "format/ArrayMetadata.hpp"
#include "format/NgffMetadata.hpp"
#include "spec/NodeKey.hpp"
#include "store/StoreFactory.hpp"
#include "util/Logger.hpp"
#include "util/SystemMemory.hpp"

#include <algorithm>
#include <map>

namespace zarr {
namespace {

using Json = ArrayMetadata::Json;

std::string
describe(const std::string& key)
{
    return key.empty() ? "the store root" : "'" + key + "'";
}

/// What node exists at `key` in the store: "array", "group" or "".
std::string
node_at(Store& store, const std::string& key, ZarrVersion version)
{
    if (version == ZarrVersion_2) {
        if (store.exists(key_prefix(key) + ".zarray")) {
            return "array";
        }
        return store.exists(key_prefix(key) + ".zgroup") ? "group" : "";
    }
    const auto document = store.read_object(key_prefix(key) + "zarr.json");
    if (!document) {
        return "";
    }
    const Json metadata = Json::parse(*document, nullptr, false);
    if (metadata.is_object() && metadata.contains("node_type") &&
        metadata["node_type"].is_string()) {
        return metadata["node_type"].get<std::string>();
    }
    return "unknown";
}

} // namespace

Stream::Stream(StreamSpec spec)
  : spec_(std::move(spec))
  , store_(make_store(spec_))
{
    // What can fail without touching the disk comes first. After that, a
    // failure undoes what this stream wrote, and an existing store that
    // overwrite replaces is only deleted once everything has succeeded.
    check_memory();
    pool_ = std::make_unique<ThreadPool>(spec_.thread_count);
    try {
        prepare_store();
        write_groups();
        for (const auto& array : spec_.arrays) {
            arrays_.push_back(
              std::make_unique<ArrayNode>(array, *store_, *pool_, errors_));
        }
    } catch (...) {
        pool_->wait_idle(); // no job may outlive what it refers to
        arrays_.clear();
        groups_.clear();
        store_->undo_prepare();
        throw;
    }
    store_->keep_prepared();
    log_debug("stream to '",
              spec_.store_path,
              "' open: ",
              arrays_.size(),
              " array(s), ",
              pool_->thread_count(),
              " worker thread(s)");
}

Stream::~Stream()
{
    try {
        close();
    } catch (const std::exception& error) {
        log_error("closing the stream to '", spec_.store_path, "' failed: ", error.what());
    }
}

void
Stream::prepare_store()
{
    store_->prepare(spec_.overwrite);

    // Refuse before creating anything: an existing node must not be
    // replaced by an array, nor an array by a group.
    if (!spec_.overwrite) {
        for (const auto& array : spec_.arrays) {
            const std::string existing = node_at(*store_, array.key(), spec_.version);
            if (!existing.empty()) {
                fail(ZarrStatusCode_WillNotOverwrite,
                     "an ",
                     existing == "array" ? "array" : "existing node (" + existing + ")",
                     " is already at ",
                     describe(array.key()),
                     " in '",
                     spec_.store_path,
                     "'; set overwrite to replace the whole store, or choose another output_key");
            }
            for (const auto& group : ancestor_keys(array.key())) {
                if (node_at(*store_, group, spec_.version) == "array") {
                    fail(ZarrStatusCode_WillNotOverwrite,
                         "cannot create output_key '",
                         array.key(),
                         "': '",
                         group,
                         "' is an existing array in '",
                         spec_.store_path,
                         "'");
                }
            }
        }
    }
}

void
Stream::check_memory() const
{
    // Layer buffers are populated at creation: asking for more than the
    // machine has would get the process killed there, not refused.
    const std::size_t needed = estimate_memory(spec_);
    const auto available = available_memory();
    if (available && needed > *available) {
        fail(ZarrStatusCode_OutOfMemory,
             "the stream needs ",
             needed / (1 << 20),
             " MiB of buffers (get_maximum_memory_usage()), but only ",
             *available / (1 << 20),
             " MiB are available; use smaller chunks, fewer chunks along the first "
             "dimension, or fewer threads");
    }
}

void
Stream::write_groups()
{
    // Every group above a node, and each plate's plate, row and well groups
    // (a well may have no fields yet), with the attributes the stream owns.
    std::map<std::string, Json> groups;
    bool node_at_root = false;
    for (const auto& array : spec_.arrays) {
        node_at_root = node_at_root || array.key().empty();
        for (const auto& group : ancestor_keys(array.key())) {
            groups.emplace(group, Json::object());
        }
    }
    for (const auto& plate : spec_.plates) {
        for (const auto& group : ancestor_keys(plate.path)) {
            groups.emplace(group, Json::object());
        }
        groups[plate.path] = NgffMetadata::plate(spec_.version, plate);
        for (const auto& well : plate.wells) {
            groups.emplace(plate.path + "/" + well.row, Json::object());
            groups[plate.path + "/" + well.row + "/" + well.column] =
              NgffMetadata::well(spec_.version, well);
        }
    }
    if (!node_at_root) {
        groups.emplace("", Json::object());
    }
    // Existing groups keep their attributes; the stream adds only its own.
    for (const auto& [key, owned] : groups) {
        groups_.push_back(std::make_unique<GroupNode>(*store_, key, spec_.version));
        groups_.back()->create(owned);
    }
}

ArrayNode&
Stream::array_for(const char* key)
{
    const std::string wanted = normalise_key(key ? key : "");
    for (const auto& array : arrays_) {
        if (array->key() == wanted) {
            return *array;
        }
    }
    if (wanted.empty() && arrays_.size() == 1) {
        return *arrays_.front();
    }
    std::string keys;
    for (const auto& array : arrays_) {
        keys += (keys.empty() ? "'" : ", '") + array->key() + "'";
    }
    if (wanted.empty()) {
        fail(ZarrStatusCode_KeyNotFound,
             "this stream has ",
             arrays_.size(),
             " arrays, so a key is required: one of ",
             keys);
    }
    fail(ZarrStatusCode_KeyNotFound,
         "no array has the key '",
         wanted,
         "'; this stream's arrays are ",
         keys);
}

void
Stream::append(const char* key,
               const void* data,
               std::size_t bytes,
               std::size_t& accepted)
{
    accepted = 0;
    if (closed_) {
        fail(ZarrStatusCode_InvalidArgument, "the stream is closed");
    }
    errors_.rethrow(); // a failed write stops the stream
    ArrayNode& array = array_for(key);
    accepted = array.append(static_cast<const uint8_t*>(data), bytes);
    if (accepted < bytes) {
        fail(ZarrStatusCode_WriteOutOfBounds,
             "the array at ",
             describe(array.key()),
             " is full (its first dimension '",
             array.spec().stored.dimensions.front().name,
             "' has size ",
             array.spec().stored.dimensions.front().size,
             "): accepted ",
             accepted,
             " of ",
             bytes,
             " bytes; everything before is kept");
    }
}

void
Stream::write_custom_metadata(const char* array_key,
                              const char* metadata_key,
                              const char* metadata)
{
    if (closed_) {
        fail(ZarrStatusCode_InvalidArgument, "the stream is closed");
    }
    if (!metadata) {
        fail(ZarrStatusCode_InvalidArgument, "custom metadata is NULL");
    }
    ArrayNode& array = array_for(array_key);
    const Json value = Json::parse(metadata, nullptr, false);
    if (value.is_discarded()) {
        fail(ZarrStatusCode_InvalidArgument,
             "custom metadata is not valid JSON: '",
             std::string(metadata).substr(0, 80),
             "'");
    }
    const std::string under = metadata_key ? metadata_key : "";
    Json attributes = array.attributes();
    if (under.empty()) {
        if (!value.is_object()) {
            fail(ZarrStatusCode_InvalidArgument,
                 "custom metadata must be a JSON object when metadata_key is "
                 "empty (it is merged into the attributes), not ",
                 value.type_name());
        }
        for (const auto& name : array.reserved_attributes()) {
            if (value.contains(name)) {
                fail(ZarrStatusCode_InvalidArgument,
                     "custom metadata may not set the attribute '",
                     name,
                     "': it is reserved for OME-NGFF metadata");
            }
        }
        for (const auto& [name, item] : value.items()) {
            attributes[name] = item;
        }
    } else {
        const auto reserved = array.reserved_attributes();
        if (std::find(reserved.begin(), reserved.end(), under) != reserved.end()) {
            fail(ZarrStatusCode_InvalidArgument,
                 "metadata_key '",
                 under,
                 "' is reserved for OME-NGFF metadata");
        }
        attributes[under] = value;
    }
    array.set_attributes(attributes);
}

std::size_t
Stream::memory_in_use() const
{
    std::size_t bytes = 0;
    for (const auto& array : arrays_) {
        bytes += array->memory_in_use();
    }
    return bytes;
}

void
Stream::close()
{
    if (closed_) {
        return;
    }
    closed_ = true;
    for (const auto& array : arrays_) {
        try {
            array->flush();
        } catch (const ZarrError& error) {
            errors_.record(error);
        }
    }
    pool_->wait_idle();
    for (const auto& array : arrays_) {
        array->finish();
    }
    try {
        store_->flush_to_storage();
    } catch (const ZarrError& error) {
        errors_.record(error);
    }
    errors_.rethrow();
}

std::size_t
Stream::estimate_memory(const StreamSpec& spec)
{
    std::size_t bytes = 0;
    for (const auto& array : spec.arrays) {
        bytes += ArrayNode::estimate_memory(array, spec.thread_count);
    }
    return bytes;
}

} // namespace zarr

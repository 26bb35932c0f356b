#include "store/s3/S3Store.hpp"

#include "store/s3/ObjectSink.hpp"
#include "util/Logger.hpp"

#include <vector>

namespace zarr::s3 {

S3Store::S3Store(const S3Spec& spec, std::size_t connections)
  : prefix_(spec.prefix)
  , part_bytes_(spec.part_bytes)
  , client_(Endpoint{ spec.endpoint, spec.bucket, spec.region },
            Credentials::resolve(),
            connections)
{
}

std::string
S3Store::object_key(const std::string& key) const
{
    if (prefix_.empty()) {
        return key;
    }
    return key.empty() ? prefix_ : prefix_ + "/" + key;
}

void
S3Store::prepare(bool overwrite)
{
    client_.check_bucket(); // before anything is written or deleted
    if (overwrite) {
        // Under the prefix as a folder ("a/b/"), so that "a/bc/..." stays.
        const std::string folder = prefix_.empty() ? "" : prefix_ + "/";
        const std::vector<std::string> keys = client_.list_objects(folder);
        if (!keys.empty()) {
            log_debug("overwrite: deleting ", keys.size(), " objects under '", folder, "'");
            client_.delete_objects(keys);
        }
    }
    std::lock_guard lock(created_mutex_);
    remembering_ = true;
    created_.clear();
}

void
S3Store::keep_prepared()
{
    std::lock_guard lock(created_mutex_);
    remembering_ = false;
    created_.clear();
}

void
S3Store::undo_prepare()
{
    std::vector<std::string> keys;
    {
        std::lock_guard lock(created_mutex_);
        remembering_ = false;
        keys.assign(created_.begin(), created_.end());
        created_.clear();
    }
    try {
        client_.delete_objects(keys);
    } catch (const std::exception& error) {
        log_error("could not delete what a failed stream creation wrote: ", error.what());
    }
}

void
S3Store::remember(const std::string& object)
{
    std::lock_guard lock(created_mutex_);
    if (remembering_) {
        created_.insert(object);
    }
}

std::unique_ptr<Sink>
S3Store::open_sink(const std::string& key)
{
    const std::string object = object_key(key);
    remember(object);
    return std::make_unique<ObjectSink>(client_, object, part_bytes_);
}

void
S3Store::write_object(const std::string& key, std::string_view content)
{
    const std::string object = object_key(key);
    remember(object);
    const ByteSpan body{ reinterpret_cast<const uint8_t*>(content.data()), content.size() };
    client_.put_object(object, std::span(&body, 1));
}

std::optional<std::string>
S3Store::read_object(const std::string& key)
{
    return client_.get_object(object_key(key));
}

bool
S3Store::exists(const std::string& key)
{
    return client_.object_exists(object_key(key));
}

} // namespace zarr::s3

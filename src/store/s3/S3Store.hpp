#pragma once

#include "spec/S3Spec.hpp"
#include "store/Store.hpp"
#include "store/s3/Client.hpp"

#include <mutex>
#include <set>
#include <string>

namespace zarr::s3 {

/// A store under a key prefix in an S3 bucket: the same keys as the
/// filesystem store gives files, as objects. Objects take writes only in
/// order and appear whole when closed (see ObjectSink); metadata documents
/// are PUT whole, which S3 makes atomic.
///
/// prepare() checks the endpoint, bucket and credentials before anything is
/// written; with overwrite it then deletes every object under the prefix
/// (S3 cannot set them aside). What creation writes is remembered until
/// keep_prepared(), so that undo_prepare() can delete it.
class S3Store final : public Store
{
  public:
    /// `connections`: how many requests may be in flight at once.
    S3Store(const S3Spec& spec, std::size_t connections);

    void prepare(bool overwrite) override;
    void keep_prepared() override;
    void undo_prepare() override;
    bool random_access() const override { return false; }

    std::unique_ptr<Sink> open_sink(const std::string& key) override;
    void write_object(const std::string& key, std::string_view content) override;
    std::optional<std::string> read_object(const std::string& key) override;
    bool exists(const std::string& key) override;
    void flush_to_storage() override {} // a completed object is stored

  private:
    std::string object_key(const std::string& key) const;
    void remember(const std::string& object);

    std::string prefix_;
    uint64_t part_bytes_;
    Client client_;

    std::mutex created_mutex_;
    bool remembering_ = false;
    std::set<std::string> created_; // object keys written during creation
};

} // namespace zarr::s3

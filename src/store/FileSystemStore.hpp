#pragma once

#include "store/DirectIoPolicy.hpp"
#include "store/Store.hpp"

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace zarr {

/// A store in a local directory: each key is a file below `root`.
///
/// prepare() with overwrite renames an existing root aside (to a hidden
/// sibling), so that a failed creation can put it back; keep_prepared()
/// deletes it. Into an existing root without overwrite, what creation
/// writes is journaled (each file's old content, each new directory), so
/// that undo_prepare() can take it back.
///
/// With ZARR_DIRECT_IO set (read when the store is made, i.e. when its
/// stream is created), data files (open_sink) are written with O_DIRECT;
/// where the filesystem refuses it, one warning and buffered writes.
/// Metadata documents (write_object) are always buffered.
class FileSystemStore final : public Store
{
  public:
    explicit FileSystemStore(std::filesystem::path root);
    /// `direct_io`: whether open_sink tries O_DIRECT.
    FileSystemStore(std::filesystem::path root, bool direct_io);

    void prepare(bool overwrite) override;
    void keep_prepared() override;
    void undo_prepare() override;
    bool random_access() const override { return true; }

    std::unique_ptr<Sink> open_sink(const std::string& key) override;
    void write_object(const std::string& key, std::string_view content) override;
    std::optional<std::string> read_object(const std::string& key) override;
    bool exists(const std::string& key) override;
    void flush_to_storage() override;

  private:
    std::filesystem::path path_of(const std::string& key) const;
    void make_parent_directories(const std::filesystem::path& path);
    /// While creation is journaled: remembers what `path` holds now.
    void journal(const std::filesystem::path& path);

    std::filesystem::path root_;
    std::shared_ptr<DirectIoPolicy> direct_io_;
    bool root_existed_ = false;           // before prepare()
    std::filesystem::path replaced_root_; // the old store, moved aside
    // The root's ancestors that prepare() made (it did not exist), deepest first.
    std::vector<std::filesystem::path> new_ancestors_;

    // Between prepare() and keep_prepared()/undo_prepare() in a root that
    // existed: each file written with its content before (none: it was
    // new), and each directory made, in order.
    std::mutex journal_mutex_;
    std::atomic<bool> journaling_{ false };
    std::vector<std::pair<std::filesystem::path, std::optional<std::string>>> journal_;
    std::vector<std::filesystem::path> new_directories_;
    std::mutex directories_mutex_;
    // Saves a syscall per chunk. A sink discarded at close may remove a
    // directory listed here; nothing is written after that.
    std::set<std::filesystem::path> made_directories_;
};

} // namespace zarr

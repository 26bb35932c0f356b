#pragma once

#include "store/DirectIoPolicy.hpp"
#include "store/Store.hpp"

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>

namespace zarr {

/// A store in a local directory: each key is a file below `root`.
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

    std::unique_ptr<Sink> open_sink(const std::string& key) override;
    void write_object(const std::string& key, std::string_view content) override;
    std::optional<std::string> read_object(const std::string& key) override;
    bool exists(const std::string& key) override;
    void flush_to_storage() override;

  private:
    std::filesystem::path path_of(const std::string& key) const;
    void make_parent_directories(const std::filesystem::path& path);

    std::filesystem::path root_;
    std::shared_ptr<DirectIoPolicy> direct_io_;
    std::mutex directories_mutex_;
    // Saves a syscall per chunk. A sink discarded at close may remove a
    // directory listed here; nothing is written after that.
    std::set<std::filesystem::path> made_directories_;
};

} // namespace zarr

#include "store/FileSystemStore.hpp"

#include "store/FileSink.hpp"
#include "util/DirectIo.hpp"
#include "util/Logger.hpp"
#include "util/ZarrError.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace zarr {

FileSystemStore::FileSystemStore(fs::path root)
  : FileSystemStore(std::move(root), resolve_direct_io())
{
}

FileSystemStore::FileSystemStore(fs::path root, bool direct_io)
  : root_(std::move(root))
  , direct_io_(std::make_shared<DirectIoPolicy>(root_.string(), direct_io))
{
}

void
FileSystemStore::prepare(bool overwrite)
{
    const fs::path root = root_.lexically_normal();
    std::error_code error;
    if (overwrite && fs::exists(root, error)) {
        // Moved aside, not deleted: creation may still fail, and then the
        // old store comes back.
        const fs::path name = root.has_filename() ? root.filename() : root.parent_path().filename();
        const fs::path aside = (root.has_filename() ? root : root.parent_path()).parent_path() /
                               concat(".", name.string(), ".aqz-replaced-", ::getpid());
        fs::remove_all(aside, error); // a leftover of a crashed creation
        fs::rename(root, aside, error);
        if (!error) {
            replaced_root_ = aside;
        } else {
            log_warning("cannot move the existing store '",
                        root_.string(),
                        "' aside (",
                        error.message(),
                        "); removing it now");
            fs::remove_all(root, error);
            if (error) {
                fail(ZarrStatusCode_IOError,
                     "cannot remove the existing store '",
                     root_.string(),
                     "' (overwrite is true): ",
                     error.message());
            }
        }
    }
    root_existed_ = fs::exists(root, error);
    journaling_ = root_existed_;
    // The ancestors that do not exist yet are made here too; a failed
    // creation removes them again (undo_prepare), deepest first.
    new_ancestors_.clear();
    if (!root_existed_) {
        for (fs::path up = root.parent_path(); !up.empty() && up != up.root_path() &&
                                               !fs::exists(up, error);
             up = up.parent_path()) {
            new_ancestors_.push_back(up);
        }
    }
    fs::create_directories(root, error);
    if (error || !fs::is_directory(root)) {
        fail(ZarrStatusCode_IOError,
             "cannot create the store directory '",
             root_.string(),
             "': ",
             error ? error.message() : "a file is in the way");
    }
}

void
FileSystemStore::keep_prepared()
{
    {
        std::lock_guard lock(journal_mutex_);
        journaling_ = false;
        journal_.clear();
        new_directories_.clear();
    }
    new_ancestors_.clear();
    if (replaced_root_.empty()) {
        return;
    }
    std::error_code error;
    fs::remove_all(replaced_root_, error);
    if (error) {
        log_warning("could not remove the replaced store, moved to '",
                    replaced_root_.string(),
                    "': ",
                    error.message());
    }
    replaced_root_.clear();
}

void
FileSystemStore::undo_prepare()
{
    std::error_code error;
    if (!root_existed_) {
        fs::remove_all(root_, error); // only what this stream created
        for (const auto& ancestor : new_ancestors_) {
            fs::remove(ancestor, error); // only if still empty
        }
        new_ancestors_.clear();
    }
    std::lock_guard lock(journal_mutex_);
    journaling_ = false;
    for (auto entry = journal_.rbegin(); entry != journal_.rend(); ++entry) {
        const auto& [path, content] = *entry;
        if (!content) {
            fs::remove(path, error);
            continue;
        }
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file.write(content->data(), std::streamsize(content->size()));
        if (!file) {
            log_error("could not restore '", path.string(), "' after a failed creation");
        }
    }
    for (auto directory = new_directories_.rbegin(); directory != new_directories_.rend();
         ++directory) {
        fs::remove(*directory, error); // only if empty
    }
    journal_.clear();
    new_directories_.clear();
    if (!replaced_root_.empty()) {
        fs::rename(replaced_root_, root_, error);
        if (error) {
            log_error("could not put the previous store back from '",
                      replaced_root_.string(),
                      "' to '",
                      root_.string(),
                      "': ",
                      error.message());
        }
        replaced_root_.clear();
    }
}

fs::path
FileSystemStore::path_of(const std::string& key) const
{
    return key.empty() ? root_ : root_ / key;
}

void
FileSystemStore::make_parent_directories(const fs::path& path)
{
    const fs::path parent = path.parent_path();
    std::lock_guard lock(directories_mutex_);
    if (made_directories_.contains(parent)) {
        return;
    }
    std::error_code error;
    if (journaling_) {
        std::lock_guard journal_lock(journal_mutex_);
        std::vector<fs::path> missing;
        for (fs::path up = parent; !up.empty() && !fs::exists(up, error); up = up.parent_path()) {
            missing.push_back(up);
        }
        new_directories_.insert(new_directories_.end(), missing.rbegin(), missing.rend());
    }
    fs::create_directories(parent, error);
    if (error) {
        fail(ZarrStatusCode_IOError,
             "cannot create directory '",
             parent.string(),
             "': ",
             error.message());
    }
    made_directories_.insert(parent);
}

std::unique_ptr<Sink>
FileSystemStore::open_sink(const std::string& key)
{
    const fs::path path = path_of(key);
    make_parent_directories(path);
    journal(path);
    std::size_t alignment = 1;
    const int direct_fd = direct_io_->open(path.string(), alignment);
    if (direct_fd >= 0) {
        return std::make_unique<FileSink>(
          path.string(), root_.string(), direct_fd, alignment, direct_io_);
    }
    return std::make_unique<FileSink>(path.string(), root_.string());
}

void
FileSystemStore::write_object(const std::string& key, std::string_view content)
{
    // Write a temporary file beside the target and rename it over the
    // target: rename is atomic, so a crash never leaves half a document.
    static std::atomic<uint64_t> counter{ 0 };
    const fs::path path = path_of(key);
    make_parent_directories(path);
    journal(path);
    fs::path temporary = path;
    temporary += ".tmp-" + std::to_string(::getpid()) + "-" +
                 std::to_string(counter.fetch_add(1));
    try {
        FileSink sink(temporary.string(), root_.string()); // always buffered
        const ByteSpan piece{ reinterpret_cast<const uint8_t*>(content.data()),
                              content.size() };
        sink.write(0, std::span(&piece, 1));
        sink.close();
    } catch (...) {
        ::unlink(temporary.c_str()); // the target keeps its old content
        throw;
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        fail(ZarrStatusCode_IOError,
             "cannot replace '",
             path.string(),
             "': ",
             std::strerror(error));
    }
}

void
FileSystemStore::journal(const fs::path& path)
{
    if (!journaling_) {
        return;
    }
    std::lock_guard lock(journal_mutex_);
    for (const auto& [seen, content] : journal_) {
        if (seen == path) {
            return; // the first content is the one to restore
        }
    }
    std::optional<std::string> content;
    if (std::ifstream file(path, std::ios::binary); file) {
        std::ostringstream bytes;
        bytes << file.rdbuf();
        content = bytes.str();
    }
    journal_.emplace_back(path, std::move(content));
}

std::optional<std::string>
FileSystemStore::read_object(const std::string& key)
{
    std::ifstream file(path_of(key), std::ios::binary);
    if (!file) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << file.rdbuf();
    return content.str();
}

bool
FileSystemStore::exists(const std::string& key)
{
    std::error_code error;
    return fs::exists(path_of(key), error);
}

void
FileSystemStore::flush_to_storage()
{
    // One syncfs covers every file of the store at once (they share a
    // filesystem), instead of an fsync per chunk.
    const int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        fail(ZarrStatusCode_IOError,
             "cannot open '",
             root_.string(),
             "' to flush it: ",
             std::strerror(errno));
    }
    const int result = ::syncfs(fd);
    const int error = errno;
    ::close(fd);
    if (result != 0) {
        fail(ZarrStatusCode_IOError,
             "cannot flush '",
             root_.string(),
             "' to storage: ",
             std::strerror(error));
    }
}

} // namespace zarr

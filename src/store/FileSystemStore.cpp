#include "store/FileSystemStore.hpp"

#include "store/FileSink.hpp"
#include "util/DirectIo.hpp"
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

#include "store/StoreFactory.hpp"

#include "store/FileSystemStore.hpp"
#include "store/s3/S3Store.hpp"

namespace zarr {

std::unique_ptr<Store>
make_store(const StreamSpec& spec)
{
    if (spec.s3) {
        // A request per worker, and one for the caller's metadata writes.
        return std::make_unique<s3::S3Store>(*spec.s3, spec.thread_count + 1);
    }
    return std::make_unique<FileSystemStore>(spec.store_path);
}

} // namespace zarr

#include "store/StoreFactory.hpp"

#include "store/FileSystemStore.hpp"

namespace zarr {

std::unique_ptr<Store>
make_store(const StreamSpec& spec)
{
    return std::make_unique<FileSystemStore>(spec.store_path);
}

} // namespace zarr

#include "array/ShardFiles.hpp"

#include "format/ChunkKey.hpp"

#include <algorithm>

namespace zarr {

ShardFiles::ShardFiles(const ChunkLattice& lattice,
                       Store& store,
                       std::string array_key,
                       ZarrVersion version)
  : lattice_(lattice)
  , store_(store)
  , array_key_(std::move(array_key))
  , version_(version)
{
}

const ShardFiles::Row&
ShardFiles::for_layer(uint64_t layer)
{
    const uint64_t row = layer / lattice_.layers_per_shard();
    if (row != row_) {
        // The previous row's files stay alive in the jobs still writing
        // them and close themselves after their last layer.
        if (row == next_row_) {
            files_ = std::move(next_files_);
            next_files_.clear();
            next_row_ = UINT64_MAX;
        } else {
            files_ = make_row(row);
        }
        row_ = row;
    }
    return files_;
}

const ShardFiles::Row&
ShardFiles::make_next_row(uint64_t layer)
{
    const uint64_t next = layer + 1;
    const uint64_t row = next / lattice_.layers_per_shard();
    if (row == row_ || row == next_row_ ||
        (lattice_.total_layers() > 0 && next >= lattice_.total_layers())) {
        return no_files_;
    }
    next_files_ = make_row(row);
    next_row_ = row;
    return next_files_;
}

ShardFiles::Row
ShardFiles::make_row(uint64_t row) const
{
    const uint64_t layers_per_shard = lattice_.layers_per_shard();
    uint64_t expected_layers = layers_per_shard;
    if (lattice_.total_layers() > 0) {
        expected_layers =
          std::min(layers_per_shard, lattice_.total_layers() - row * layers_per_shard);
    }
    const bool sharded = version_ == ZarrVersion_3;
    Row files;
    for (std::size_t shard = 0; shard < lattice_.shards().size(); ++shard) {
        const auto coordinates =
          lattice_.shard_key_coordinates(row * layers_per_shard, shard);
        files.push_back(std::make_shared<ShardFile>(
          store_,
          chunk_key(array_key_, version_, coordinates),
          sharded ? lattice_.chunks_per_shard() : 0,
          layers_per_shard,
          expected_layers));
    }
    return files;
}

void
ShardFiles::finish(FirstError& errors)
{
    for (const auto& file : files_) {
        errors.capture([&] { file->finish(); });
    }
    files_.clear();
    for (const auto& file : next_files_) { // made ahead, never written
        errors.capture([&] { file->finish(); });
    }
    next_files_.clear();
    row_ = next_row_ = UINT64_MAX;
}

} // namespace zarr

#include "array/ShardFiles.hpp"

#include "format/ChunkKey.hpp"

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
    if (layer > last_layer_) {
        // Rows that are done get no more layers: their files stay alive in
        // the jobs still writing them and close themselves after their last
        // layer.
        for (auto row = rows_.begin(); row != rows_.end();) {
            row = lattice_.last_layer_of_row(row->first) < layer ? rows_.erase(row)
                                                                 : std::next(row);
        }
        last_layer_ = layer;
    }
    const uint64_t row = lattice_.shard_row(layer);
    auto found = rows_.find(row);
    if (found == rows_.end()) {
        found = rows_.emplace(row, make_row(row)).first;
    }
    return found->second;
}

const ShardFiles::Row&
ShardFiles::make_next_row(uint64_t layer)
{
    const uint64_t next = layer + 1;
    if (lattice_.total_layers() > 0 && next >= lattice_.total_layers()) {
        return no_files_;
    }
    const uint64_t row = lattice_.shard_row(next);
    if (rows_.contains(row)) {
        return no_files_;
    }
    return rows_.emplace(row, make_row(row)).first->second;
}

ShardFiles::Row
ShardFiles::make_row(uint64_t row) const
{
    const bool sharded = version_ == ZarrVersion_3;
    const auto positions = lattice_.row_layer_positions(row);
    // Any layer of the row names its shards: its last.
    const uint64_t layer = lattice_.last_layer_of_row(row);
    Row files;
    for (std::size_t shard = 0; shard < lattice_.shards().size(); ++shard) {
        files.push_back(std::make_shared<ShardFile>(
          store_,
          chunk_key(array_key_, version_, lattice_.shard_key_coordinates(layer, shard)),
          sharded ? lattice_.chunks_per_shard() : 0,
          lattice_.layers_per_shard(),
          positions));
    }
    return files;
}

void
ShardFiles::finish(FirstError& errors)
{
    for (auto& [row, files] : rows_) {
        for (const auto& file : files) { // partial, or made ahead and never written
            errors.capture([&] { file->finish(); });
        }
    }
    rows_.clear();
    last_layer_ = 0;
}

} // namespace zarr

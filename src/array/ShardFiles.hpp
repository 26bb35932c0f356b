#pragma once

#include "array/ChunkLattice.hpp"
#include "array/ShardFile.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"

#include <memory>
#include <string>
#include <vector>

namespace zarr {

/// The shard files of one array, a *row* at a time: the shards of the
/// layers that share one shard index along the append dimension (with one
/// layer per shard, a row is one layer's shards).
///
/// A row's files live as long as something refers to them: jobs still
/// writing an earlier row keep its files alive, and each file closes itself
/// after its last expected layer.
class ShardFiles
{
  public:
    using Row = std::vector<std::shared_ptr<ShardFile>>;

    ShardFiles(const ChunkLattice& lattice,
               Store& store,
               std::string array_key,
               ZarrVersion version);

    /// The files of the row holding `layer` (one per shard of a layer).
    const Row& for_layer(uint64_t layer);

    /// The files of the row after the one holding `layer`, made now so that
    /// their space can be reserved ahead; empty when that layer belongs to
    /// the current row or lies past the end of a bounded array.
    const Row& make_next_row(uint64_t layer);

    /// Completes every file still held (partial shards keep the index of
    /// their committed layers; files made ahead and never written, or with
    /// no layer written whole, are removed).
    void finish(FirstError& errors);

  private:
    Row make_row(uint64_t row) const;

    const ChunkLattice& lattice_;
    Store& store_;
    std::string array_key_;
    ZarrVersion version_;

    uint64_t row_ = UINT64_MAX;
    Row files_;
    uint64_t next_row_ = UINT64_MAX;
    Row next_files_;
    const Row no_files_;
};

} // namespace zarr

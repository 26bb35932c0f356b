#pragma once

#include "array/ChunkLattice.hpp"
#include "array/ShardFile.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace zarr {

/// The shard files of one array, a *shard row* at a time (see
/// ChunkLattice): the shards that a run of layers fills together. With one
/// layer per shard, a row is one layer's shards.
///
/// A row is held from its first layer to its last; usually that is one row
/// (and the next, made ahead), more when rows' layers interleave. Jobs still
/// writing a row keep its files alive after that, and each file closes
/// itself after its last expected layer.
class ShardFiles
{
  public:
    using Row = std::vector<std::shared_ptr<ShardFile>>;

    ShardFiles(const ChunkLattice& lattice,
               Store& store,
               std::string array_key,
               ZarrVersion version);

    /// The files of the row holding `layer` (one per shard of a layer).
    /// Layers are asked for in order: rows whose last layer came before
    /// `layer` are let go.
    const Row& for_layer(uint64_t layer);

    /// The files of the row of the layer after `layer`, made now so that
    /// their space can be reserved ahead; empty when that row is held
    /// already or the layer lies past the end of a bounded array.
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

    std::map<uint64_t, Row> rows_; // by row number
    uint64_t last_layer_ = 0;      // the latest asked for
    const Row no_files_;
};

} // namespace zarr

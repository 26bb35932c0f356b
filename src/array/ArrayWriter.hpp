#pragma once

#include "array/ChunkLattice.hpp"
#include "array/LayerWriter.hpp"
#include "format/ArrayMetadata.hpp"
#include "spec/ArraySpec.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <memory>
#include <mutex>
#include <set>
#include <vector>

namespace zarr {

/// One Zarr array in the store: takes whole frames, tracks which layer
/// they complete, hands each layer to its LayerWriter (direct or buffered,
/// see LayerWriter.hpp), and keeps the array's metadata true: after each
/// layer is in storage the metadata is rewritten with the rows written so
/// far, so a reader (or a crash) sees every complete layer. It never claims
/// a row that is not in storage: not a layer still being written, nor one
/// whose write failed, nor any after that.
class ArrayWriter
{
  public:
    /// Writes the array's initial metadata.
    ArrayWriter(ArraySpec spec, Store& store, ThreadPool& pool, FirstError& errors);

    const ArraySpec& spec() const { return spec_; }

    /// Writes frame `frame_number` (C order over all dimensions but the
    /// last two). A layer's frames may come in any order, but all of them
    /// before any frame of the next layer. NULL `frame` means zeros.
    /// `rows_written`: see LayerWriter::RowsWritten.
    void write_frame(const uint8_t* frame,
                     uint64_t frame_number,
                     const LayerWriter::RowsWritten& rows_written = {});

    /// Hands the open, partial layer to storage (its missing frames read as
    /// zeros).
    void flush();
    /// After the pool is idle: completes unfinished shards and writes the
    /// final metadata.
    void finish();

    /// Replaces the node's attributes and rewrites its metadata.
    void set_attributes(const ArrayMetadata::Json& attributes);
    ArrayMetadata::Json attributes() const;

    std::size_t memory_in_use() const;

    /// The most memory an array with this spec will hold, written by
    /// `thread_count` workers.
    static std::size_t estimate_memory(const ArraySpec& spec, std::size_t thread_count);

  private:
    void end_layer();
    void on_layer_written(uint64_t layer, bool ok);
    uint64_t claimable_rows(uint64_t layers) const;
    bool has_failed() const;
    void write_metadata(uint64_t rows);
    std::vector<uint64_t> shape(uint64_t rows) const;
    uint64_t rows_written() const;

    ArraySpec spec_;
    ChunkLattice lattice_;
    Store& store_;
    FirstError& errors_;

    // Caller-thread state.
    uint64_t frames_written_ = 0;
    uint64_t layers_started_ = 0; // one past the last layer given a frame
    bool layer_open_ = false;
    uint64_t current_layer_ = 0;
    uint64_t frames_in_layer_ = 0;
    std::vector<bool> frame_seen_; // per frame of the open layer

    // Shared with the writer jobs.
    mutable std::mutex metadata_mutex_;
    ArrayMetadata::Json attributes_ = ArrayMetadata::Json::object();
    std::set<uint64_t> layers_done_; // written, after a layer still pending
    uint64_t layers_claimed_ = 0;    // layers 0.. in storage
    uint64_t layers_visible_ = 0;    // of those, in complete objects (S3)
    uint64_t rows_claimed_ = 0;      // what the metadata says
    uint64_t rows_appended_ = UINT64_MAX; // known once the stream ends
    uint64_t whole_rows_appended_ = UINT64_MAX; // of those, complete ones
    bool failed_ = false;            // a layer's write failed

    // Last: its jobs use the members above.
    std::unique_ptr<LayerWriter> writer_;
};

} // namespace zarr

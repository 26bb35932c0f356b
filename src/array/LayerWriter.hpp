#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace zarr {

/// How one array's layers reach storage (see ChunkLattice for layers and
/// frames). Two implementations: DirectLayerWriter writes uncompressed
/// frames straight into their shards; BufferedLayerWriter gathers a layer
/// in memory, then compresses and writes it on the worker pool.
///
/// Called from one thread (the stream's caller). Frames of a layer may come
/// in any order, but all of a layer's frames come before the next layer's.
class LayerWriter
{
  public:
    /// Called once for each layer, possibly from a worker thread: `ok` when
    /// it is entirely in storage (every shard's index covering it), false
    /// when one of its writes failed. Layers may be reported out of order.
    using LayerWritten = std::function<void(uint64_t layer, bool ok)>;

    /// Called on the caller's thread as a frame is written, for each band
    /// of its rows in order (`rows` from `first_row`), right after the band
    /// was read: the rows are then still in the cache, and whoever needs
    /// them too (the pyramid's next level) reads them from there, not from
    /// memory a second time. Empty: nobody does. It must not write frames
    /// itself (scatter's per-thread tile table is in use while it runs).
    using RowsWritten = std::function<void(uint64_t first_row, uint64_t rows)>;

    virtual ~LayerWriter() = default;

    /// Writes frame `frame_number` (the array's frame order); the first
    /// frame of a layer opens it. NULL `frame` means zeros. Bands go to
    /// `rows_written` (see RowsWritten) even when the frame is zeros.
    virtual void write_frame(const uint8_t* frame,
                             uint64_t frame_number,
                             const RowsWritten& rows_written) = 0;

    /// `layer` has every frame it will get; `missing` lists the frames it
    /// never got, which must read as zeros.
    virtual void end_layer(uint64_t layer, std::span<const uint64_t> missing) = 0;

    /// No frame comes after the last end_layer() (the stream is closing):
    /// memory held for frames may be let go as the last layers are written.
    virtual void end_of_frames() = 0;

    /// After the worker pool is idle: completes unfinished shards.
    virtual void finish() = 0;

    /// Bytes of memory this writer holds now.
    virtual std::size_t memory_in_use() const = 0;
};

} // namespace zarr

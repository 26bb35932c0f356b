#pragma once

#include "array/ChunkLattice.hpp"
#include "array/LayerBufferPool.hpp"
#include "array/LayerWriter.hpp"
#include "array/ShardFiles.hpp"
#include "codec/ChunkCompressor.hpp"
#include "spec/ArraySpec.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <memory>

namespace zarr {

/// Compressed arrays, and Zarr v2: each frame is copied once, straight into
/// the chunk tiles of a layer buffer. A full layer goes to the worker pool:
/// one job per chunk compresses it into the worker's scratch and writes it
/// at a reserved offset in its shard (uncompressed: one job per shard writes
/// the shard's contiguous chunks at once). When every chunk is written the
/// buffer returns to the pool. When all buffers are in flight, the next
/// frame waits: the back-pressure that bounds memory. There are
/// ArraySpec::layer_buffers of them: two, one filling while one is written
/// (more bands when the array is banded).
class BufferedLayerWriter final : public LayerWriter
{
  public:

    /// The most memory a writer for this geometry holds, with `thread_count`
    /// workers.
    static std::size_t estimate_memory(const ArraySpec& spec,
                                       const ChunkLattice& lattice,
                                       std::size_t thread_count);

    /// Creates the layer buffers now.
    BufferedLayerWriter(const ArraySpec& spec,
                        const ChunkLattice& lattice,
                        Store& store,
                        ThreadPool& pool,
                        FirstError& errors,
                        LayerWritten layer_written);
    ~BufferedLayerWriter() override;

    void write_frame(const uint8_t* frame,
                     uint64_t frame_number,
                     const RowsWritten& rows_written) override;
    void end_layer(uint64_t layer, std::span<const uint64_t> missing) override;
    /// Unmapping hundreds of MiB of layer buffers takes the kernel tens of
    /// milliseconds: done now and by the workers as they finish the last
    /// layers, rather than on one thread after them.
    void end_of_frames() override;
    void finish() override;
    std::size_t memory_in_use() const override;

  private:
    struct LayerFlush;

    /// Makes a layer buffer current for `layer`.
    void take_buffer(uint64_t layer);
    /// Compresses `count` chunks of `shard` from `first_slot` on and writes
    /// them with one store() (a job).
    void compress_run(const std::shared_ptr<LayerFlush>& flush,
                      std::size_t shard,
                      std::size_t first_slot,
                      std::size_t count);
    void write_shard(const std::shared_ptr<LayerFlush>& flush, std::size_t shard);
    void shard_written(const std::shared_ptr<LayerFlush>& flush, std::size_t shard);

    const ArraySpec& spec_;
    const ChunkLattice& lattice_;
    ThreadPool& pool_;
    FirstError& errors_;
    LayerWritten layer_written_;
    std::unique_ptr<ChunkCompressor> compressor_; // null = uncompressed
    ShardFiles shards_;
    LayerBufferPool buffers_;
    LayerBuffer* current_ = nullptr; // the layer being filled
};

} // namespace zarr

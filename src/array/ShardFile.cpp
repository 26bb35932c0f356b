#include "array/ShardFile.hpp"

#include "util/ZarrError.hpp"

#include <vector>

namespace zarr {

ShardFile::ShardFile(Store& store,
                     std::string key,
                     std::size_t index_length,
                     uint64_t expected_layers)
  : store_(store)
  , key_(std::move(key))
  , expected_layers_(expected_layers)
{
    if (index_length > 0) {
        index_.emplace(index_length);
    }
}

uint64_t
ShardFile::reserve(std::span<const ShardChunk> chunks)
{
    std::lock_guard lock(mutex_);
    if (finished_) {
        fail(ZarrStatusCode_InternalError, "'", key_, "' is already complete");
    }
    if (!sink_) {
        sink_ = store_.open_sink(key_);
    }
    const uint64_t start = end_;
    for (const auto& chunk : chunks) {
        if (index_) {
            index_->set(chunk.index_in_shard, end_, chunk.nbytes);
        }
        end_ += chunk.nbytes;
    }
    return start;
}

void
ShardFile::write(uint64_t offset, std::span<const ByteSpan> pieces)
{
    // Positional writes to reserved, disjoint ranges, so no lock is needed
    // for correctness. But the kernel serialises writes to one file (its
    // inode lock), and a writer waiting for it spins on a core that the
    // stream's caller needs: wait here instead, asleep. The sink exists
    // (reserve made it) and stays until every layer is written.
    std::lock_guard lock(write_mutex_);
    sink_->write(offset, pieces);
}

void
ShardFile::layer_written()
{
    std::lock_guard lock(mutex_);
    if (++layers_written_ == expected_layers_ && !finished_ && sink_) {
        write_index_and_close();
    }
}

void
ShardFile::preallocate(uint64_t offset, uint64_t length)
{
    // Under the lock, so that finish() cannot close the sink meanwhile.
    std::lock_guard lock(mutex_);
    if (finished_) {
        return;
    }
    if (!sink_) {
        sink_ = store_.open_sink(key_);
    }
    sink_->preallocate(offset, length);
}

void
ShardFile::finish()
{
    std::lock_guard lock(mutex_);
    if (finished_ || !sink_) {
        return;
    }
    if (end_ == 0) { // opened ahead for chunks that never came
        finished_ = true;
        sink_->discard();
        sink_.reset();
        return;
    }
    write_index_and_close();
}

void
ShardFile::write_index_and_close()
{
    finished_ = true;
    auto sink = std::move(sink_);
    if (index_) {
        const std::vector<uint8_t> bytes = index_->encode();
        const ByteSpan piece{ bytes.data(), bytes.size() };
        sink->write(end_, std::span(&piece, 1));
    }
    sink->close();
}

} // namespace zarr

#include "array/ShardFile.hpp"

#include "util/AlignedBuffer.hpp"
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

void
ShardFile::open_locked()
{
    if (!sink_) {
        sink_ = store_.open_sink(key_);
        // Only a shard can place its chunks freely (its index says where).
        alignment_ = index_ ? std::max<std::size_t>(sink_->alignment(), 1) : 1;
    }
}

std::size_t
ShardFile::alignment()
{
    std::lock_guard lock(mutex_);
    if (!sink_ && !finished_) {
        open_locked();
    }
    // A v2 chunk file is not padded, but its writes still go straight to
    // storage from aligned memory (all but the unaligned tail).
    return sink_ ? std::max<std::size_t>(sink_->alignment(), alignment_) : alignment_;
}

uint64_t
ShardFile::padded(uint64_t nbytes) const
{
    return alignment_ > 1 && nbytes >= alignment_ ? align_up(nbytes, alignment_) : nbytes;
}

uint64_t
ShardFile::reserve(std::span<const ShardChunk> chunks, std::span<uint64_t> offsets)
{
    std::lock_guard lock(mutex_);
    if (finished_) {
        fail(ZarrStatusCode_InternalError, "'", key_, "' is already complete");
    }
    open_locked();
    uint64_t start = end_;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const auto& chunk = chunks[i];
        if (alignment_ > 1 && chunk.nbytes >= alignment_) {
            end_ = align_up(end_, alignment_); // see padded()
        }
        if (i == 0) {
            start = end_;
        }
        if (index_) {
            index_->set(chunk.index_in_shard, end_, chunk.nbytes);
        }
        if (i < offsets.size()) {
            offsets[i] = end_;
        }
        end_ += padded(chunk.nbytes);
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
ShardFile::preallocate(uint64_t chunk_count, uint64_t chunk_bytes)
{
    // Under the lock, so that finish() cannot close the sink meanwhile.
    std::lock_guard lock(mutex_);
    if (finished_) {
        return;
    }
    open_locked();
    sink_->preallocate(0, chunk_count * padded(chunk_bytes));
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
        // The index starts on an aligned offset (every room before it is
        // padded) and ends the file: with direct I/O the sink writes its
        // whole blocks directly and the rest, if any, buffered.
        const std::vector<uint8_t> bytes = index_->encode();
        const ByteSpan piece{ bytes.data(), bytes.size() };
        sink->write(end_, std::span(&piece, 1));
    }
    sink->close();
}

} // namespace zarr

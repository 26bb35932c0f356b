#include "array/ShardFile.hpp"

#include "util/AlignedBuffer.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <vector>

namespace zarr {
namespace {

constexpr uint64_t kPage = 4096;

/// Where an index of `length` bytes that must start at `offset` or later
/// goes: within one page if it fits in one, so that writing it (and making
/// it the file's end) is one step of the kernel's page-by-page copy, which
/// neither a reader nor a signal can see half done.
uint64_t
index_position(uint64_t offset, uint64_t length)
{
    if (length <= kPage && offset % kPage + length <= kPage) {
        return offset;
    }
    return align_up(offset, kPage);
}

/// The most bytes of room left for the chunks of the next layers in the
/// hole before an index copy (see reserve()).
constexpr uint64_t kMaxHole = 64 << 20;

} // namespace

ShardFile::ShardFile(Store& store,
                     std::string key,
                     std::size_t index_length,
                     uint64_t layers,
                     std::vector<uint64_t> layer_positions)
  : store_(store)
  , key_(std::move(key))
  , layer_positions_(std::move(layer_positions))
  , expected_layers_(layer_positions_.size())
  , layer_done_(std::size_t(expected_layers_), false)
{
    if (index_length > 0) {
        index_.emplace(index_length);
        chunks_per_layer_ = index_length / std::max<uint64_t>(layers, 1);
    }
}

ShardFile::~ShardFile()
{
    try {
        finish();
    } catch (...) {
        // A destructor cannot report: the stream has failed already.
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

ShardFile::Rooms
ShardFile::lay_out(std::span<const ShardChunk> chunks,
                   std::span<uint64_t> offsets,
                   bool record)
{
    uint64_t start = end_;
    uint64_t end = end_;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        const auto& chunk = chunks[i];
        if (alignment_ > 1 && chunk.nbytes >= alignment_) {
            end = align_up(end, alignment_); // see padded()
        }
        if (i == 0) {
            start = end;
        }
        if (record && index_) {
            index_->set(chunk.index_in_shard, end, chunk.nbytes);
        }
        if (record && i < offsets.size()) {
            offsets[i] = end;
        }
        end += padded(chunk.nbytes);
    }
    if (record) {
        end_ = end;
        reserved_bytes_ += end - start;
        reserved_chunks_ += chunks.size();
    }
    return { start, end };
}

uint64_t
ShardFile::reserve(std::span<const ShardChunk> chunks, std::span<uint64_t> offsets)
{
    std::lock_guard lock(mutex_);
    if (finished_) {
        fail(ZarrStatusCode_InternalError, "'", key_, "' is already complete");
    }
    open_locked();
    if (tail_ && lay_out(chunks, offsets, false).end > hole_end_) {
        // No room left in the hole below the file's index: the rooms go
        // after it, and a copy of it after them (written before returning,
        // since the writes into the rooms come after). A whole layer's
        // rooms are known exactly; a chunk at a time, the hole is made as
        // large as a layer has taken so far, for the rest of its chunks.
        // (From a page boundary: tile writes that start mid-page cost the
        // page cache more.)
        end_ = align_up(*tail_ + tail_bytes_.size(), kPage);
        const uint64_t rooms_end = lay_out(chunks, offsets, false).end;
        uint64_t hole = 0;
        if (chunks.size() < chunks_per_layer_ && reserved_chunks_ > 0) {
            hole = std::min(reserved_bytes_ / reserved_chunks_ * chunks_per_layer_, kMaxHole);
        }
        append_index_locked(tail_bytes_, rooms_end + hole);
        hole_end_ = *tail_;
    }
    return lay_out(chunks, offsets, true).start;
}

void
ShardFile::append_index_locked(std::vector<uint8_t> bytes, uint64_t at_least)
{
    // Written past the file's end, so that the file grows by an index and
    // no byte a reader may have seen as its end ever changes. (An object
    // that takes writes only in order gets its one index right after its
    // chunks.)
    const bool file = store_.random_access();
    const uint64_t position = file ? index_position(at_least, bytes.size()) : at_least;
    const ByteSpan piece{ bytes.data(), bytes.size() };
    try {
        sink_->write(position, std::span(&piece, 1));
    } catch (...) {
        // Part of it may have been written: the file would end with a torn
        // index. Cut it back to the last good one.
        const uint64_t size = tail_ ? *tail_ + tail_bytes_.size() : end_;
        try {
            if (file) {
                sink_->truncate(size);
            }
        } catch (...) {
            first_failed_ = layers_committed_; // no index can be trusted after
        }
        throw;
    }
    tail_ = position;
    tail_bytes_ = std::move(bytes);
}

void
ShardFile::store(std::span<const ShardChunk> chunks, std::span<const ByteSpan> pieces)
{
    if (!store_.random_access()) {
        // Each write must start where the last ended: reserve and write
        // as one step.
        std::lock_guard lock(write_mutex_);
        const uint64_t offset = reserve(chunks);
        sink_->write(offset, pieces); // the sink stays until every layer is in
        return;
    }
    write(reserve(chunks), pieces);
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
ShardFile::layer_written(uint64_t layer, bool ok)
{
    std::lock_guard lock(mutex_);
    if (finished_ || layer >= layer_done_.size()) {
        return;
    }
    if (!ok) {
        // Layers before it may still come (several are written at once).
        first_failed_ = std::min(first_failed_, layer);
        return;
    }
    layer_done_[layer] = true;
    const uint64_t before = layers_committed_;
    while (layers_committed_ < std::min(expected_layers_, first_failed_) &&
           layer_done_[layers_committed_]) {
        ++layers_committed_;
    }
    if (layers_committed_ == before) {
        return; // an earlier layer is still being written
    }
    if (!sink_) {
        return; // no chunk so far (all the fill value): nothing to index
    }
    try {
        // An object that is only visible once complete gets its one index
        // at the end (see finish() for one closed early).
        if (index_ && (store_.random_access() || layers_committed_ == expected_layers_)) {
            commit_locked();
        }
    } catch (...) {
        layers_committed_ = before; // the index on disk is the old one
        first_failed_ = std::min(first_failed_, before);
        throw;
    }
    if (layers_committed_ == expected_layers_) {
        close_locked();
    }
}

void
ShardFile::commit_locked()
{
    // The index of the committed layers ends the file: after every room
    // reserved so far the first time, after the current index since. The
    // first starts on an aligned offset (every room before it is padded):
    // with direct I/O the sink writes its whole blocks directly and the
    // rest, if any, buffered.
    const bool first = !tail_;
    const uint64_t after = first ? end_ : *tail_ + tail_bytes_.size();
    // Every entry before the first layer not committed (after the last
    // layer: all of them).
    const std::size_t entries = layers_committed_ < expected_layers_
                                  ? std::size_t(layer_positions_[layers_committed_]) * chunks_per_layer_
                                  : index_->chunk_count();
    append_index_locked(index_->encode(entries),
                        std::max(after, end_));
    if (first) {
        hole_end_ = *tail_; // no hole yet: the next rooms go after it
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
    if (end_ == 0 || layers_committed_ == 0) {
        // Opened ahead for chunks that never came, or none of its layers
        // was written whole: nothing of it can be claimed.
        finished_ = true;
        sink_->discard();
        sink_.reset();
        return;
    }
    // A file ends with its committed layers' index already (a failed write
    // may have left chunks that nothing references); an object gets it now.
    if (index_ && !store_.random_access()) {
        commit_locked();
    }
    close_locked();
}

void
ShardFile::close_locked()
{
    finished_ = true;
    auto sink = std::move(sink_);
    sink->close();
}

} // namespace zarr

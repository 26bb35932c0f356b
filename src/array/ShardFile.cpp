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

void
ShardFile::write_layer(std::span<const Chunk> chunks)
{
    std::lock_guard lock(mutex_);
    if (finished_) {
        fail(ZarrStatusCode_InternalError, "'", key_, "' is already complete");
    }
    if (!sink_) {
        sink_ = store_.open_sink(key_);
    }
    const uint64_t start = end_;
    std::vector<ByteSpan> pieces;
    pieces.reserve(chunks.size() + 1);
    for (const auto& chunk : chunks) {
        if (index_) {
            index_->set(chunk.index_in_shard, end_, chunk.bytes.size);
        }
        end_ += chunk.bytes.size;
        pieces.push_back(chunk.bytes);
    }
    if (++layers_written_ == expected_layers_) {
        write_index_and_close(start, pieces); // one write for data + index
    } else {
        sink_->write(start, pieces);
    }
}

void
ShardFile::finish()
{
    std::lock_guard lock(mutex_);
    if (!finished_ && sink_) {
        write_index_and_close(end_, {});
    }
}

void
ShardFile::write_index_and_close(uint64_t offset, std::span<const ByteSpan> data)
{
    std::vector<ByteSpan> pieces(data.begin(), data.end());
    std::vector<uint8_t> index_bytes;
    if (index_) {
        index_bytes = index_->encode();
        pieces.push_back({ index_bytes.data(), index_bytes.size() });
    }
    finished_ = true;
    sink_->write(offset, pieces);
    sink_->close();
    sink_.reset();
}

} // namespace zarr

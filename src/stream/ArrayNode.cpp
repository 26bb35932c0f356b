#include "stream/ArrayNode.hpp"

#include "util/Logger.hpp"

#include <algorithm>

namespace zarr {

ArrayNode::ArrayNode(ArraySpec spec, Store& store, ThreadPool& pool, FirstError& errors)
  : spec_(std::move(spec))
  , frame_bytes_(ChunkLattice(spec_).frame_bytes())
  , total_frames_(ChunkLattice(spec_).total_frames())
  , frames_(frame_bytes_)
  , array_(std::make_unique<ArrayWriter>(spec_, store, pool, errors))
{
}

uint64_t
ArrayNode::bytes_remaining() const
{
    if (total_frames_ == 0) {
        return UINT64_MAX;
    }
    return total_frames_ * frame_bytes_ - bytes_accepted_;
}

std::size_t
ArrayNode::append(const uint8_t* data, std::size_t size)
{
    const std::size_t accepted = std::size_t(std::min<uint64_t>(size, bytes_remaining()));
    frames_.take(data, accepted, [this](const uint8_t* frame) { write_frame(frame); });
    bytes_accepted_ += accepted;
    return accepted;
}

void
ArrayNode::write_frame(const uint8_t* frame)
{
    array_->write_frame(frame, frames_taken_);
    ++frames_taken_;
}

ArrayMetadata::Json
ArrayNode::attributes() const
{
    return array_->attributes();
}

void
ArrayNode::set_attributes(const ArrayMetadata::Json& attributes)
{
    array_->set_attributes(attributes);
}

void
ArrayNode::flush()
{
    if (frames_.partial_bytes() > 0) {
        log_warning("array '",
                    spec_.key,
                    "': the last frame is incomplete (",
                    frames_.partial_bytes(),
                    " of ",
                    frame_bytes_,
                    " bytes); it is written padded with zeros");
        write_frame(frames_.pad_partial_frame());
    }
    array_->flush();
}

void
ArrayNode::finish()
{
    array_->finish();
}

std::size_t
ArrayNode::memory_in_use() const
{
    return frames_.memory_in_use() + array_->memory_in_use();
}

std::size_t
ArrayNode::estimate_memory(const ArraySpec& spec, std::size_t thread_count)
{
    return ChunkLattice(spec).frame_bytes() + ArrayWriter::estimate_memory(spec, thread_count);
}

} // namespace zarr

#include "stream/ArrayNode.hpp"

#include "array/FrameBanding.hpp"
#include "array/PyramidPlan.hpp"
#include "format/DataType.hpp"
#include "format/NgffMetadata.hpp"
#include "spec/NodeKey.hpp"
#include "util/Logger.hpp"

#include <algorithm>
#include <exception>

namespace zarr {
namespace {

/// The pyramid's levels with their keys: "<key>/<level>" in an image group,
/// else the array at the key itself.
std::vector<PyramidLevel>
plan_levels(const ArrayNodeSpec& spec)
{
    auto levels = plan_pyramid(spec.stored, spec.downsampling, spec.max_levels);
    if (spec.ngff) {
        for (std::size_t i = 0; i < levels.size(); ++i) {
            levels[i].spec.key = child_key(spec.key(), std::to_string(i));
        }
    }
    plan_banding(levels, StorageOrder::transposes(spec.storage_order));
    return levels;
}

/// What level 0 takes at a time: a frame, or a band of one (see
/// FrameBanding.hpp).
uint64_t
piece_bytes(const std::vector<PyramidLevel>& levels)
{
    return ChunkLattice(levels.front().spec).frame_bytes();
}

std::vector<DimensionSpec>
acquired_dimensions(const ArrayNodeSpec& spec)
{
    std::vector<DimensionSpec> acquired = spec.stored.dimensions;
    for (std::size_t i = 0; i < spec.storage_order.size(); ++i) {
        acquired[spec.storage_order[i]] = spec.stored.dimensions[i];
    }
    return acquired;
}

/// The multiscales document of an image with these levels.
ArrayMetadata::Json
multiscales(const ArrayNodeSpec& spec, const std::vector<PyramidLevel>& levels)
{
    std::vector<NgffAxis> axes;
    for (const auto& dimension : spec.stored.dimensions) {
        axes.push_back({ dimension.name, dimension.kind, dimension.unit });
    }
    std::vector<NgffDataset> datasets;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        NgffDataset dataset{ std::to_string(i), {} };
        for (const auto& dimension : levels[i].spec.dimensions) {
            dataset.scale.push_back(dimension.scale);
        }
        datasets.push_back(std::move(dataset));
    }
    const std::string& key = spec.key();
    const std::string name = key.substr(key.find_last_of('/') + 1);
    return NgffMetadata::multiscales(
      spec.stored.version, name, axes, datasets, spec.downsampling);
}

} // namespace

ArrayNode::ArrayNode(const ArrayNodeSpec& spec,
                     Store& store,
                     ThreadPool& pool,
                     FirstError& errors)
  : ArrayNode(spec, ChunkLattice(spec.stored), plan_levels(spec), store, pool, errors)
{
}

ArrayNode::ArrayNode(const ArrayNodeSpec& spec,
                     const ChunkLattice& lattice,
                     const std::vector<PyramidLevel>& levels,
                     Store& store,
                     ThreadPool& pool,
                     FirstError& errors)
  : spec_(spec)
  , frame_bytes_(lattice.frame_bytes())
  , total_frames_(lattice.total_frames())
  , order_(acquired_dimensions(spec_), spec_.storage_order)
  , frames_(frame_bytes_, piece_bytes(levels))
{
    if (order_.transposes_frames()) {
        transposed_.resize(frame_bytes_);
    }
    if (levels.front().spec.banded) {
        bands_per_frame_ = lattice.chunks_down();
    }
    if (spec_.ngff) {
        image_group_ = std::make_unique<GroupNode>(store, spec_.key(), spec_.stored.version);
        const auto owned = multiscales(spec_, levels);
        for (const auto& [name, value] : owned.items()) {
            owned_attributes_.push_back(name);
        }
        image_group_->create(owned);
    }
    pyramid_ = std::make_unique<Pyramid>(levels, spec_.downsampling, store, pool, errors);
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
    frames_.take(data, accepted, [this](const uint8_t* piece) { write_piece(piece); });
    bytes_accepted_ += accepted;
    return accepted;
}

void
ArrayNode::write_piece(const uint8_t* piece)
{
    if (piece && order_.transposes_frames()) { // never banded: a piece is a frame
        order_.transpose(piece, transposed_.data(), bytes_of(spec_.stored.data_type));
        piece = transposed_.data();
    }
    // A banded array's level 0 numbers its bands in frame order.
    const uint64_t frame = pieces_taken_ / bands_per_frame_;
    const uint64_t band = pieces_taken_ % bands_per_frame_;
    pyramid_->write_frame(piece, order_.stored_frame(frame) * bands_per_frame_ + band);
    ++pieces_taken_;
}

ArrayMetadata::Json
ArrayNode::attributes() const
{
    return image_group_ ? image_group_->attributes() : pyramid_->level(0).attributes();
}

void
ArrayNode::set_attributes(const ArrayMetadata::Json& attributes)
{
    if (image_group_) {
        image_group_->set_attributes(attributes);
    } else {
        pyramid_->level(0).set_attributes(attributes);
    }
}

std::vector<std::string>
ArrayNode::reserved_attributes() const
{
    std::vector<std::string> names{ "ome" };
    for (const auto& name : owned_attributes_) {
        if (name != "ome") {
            names.push_back(name);
        }
    }
    return names;
}

void
ArrayNode::flush()
{
    std::exception_ptr failure;
    if (frames_.partial_frame_bytes() > 0) {
        log_warning("array '",
                    spec_.key(),
                    "': the last frame is incomplete (",
                    frames_.partial_frame_bytes(),
                    " of ",
                    frame_bytes_,
                    " bytes); it is written padded with zeros");
        if (const uint8_t* piece = frames_.pad_partial_piece()) {
            try {
                write_piece(piece);
            } catch (...) {
                // (Recorded already.) The levels still end with what they
                // took before it: flush them, then report the failure.
                failure = std::current_exception();
            }
        }
    }
    pyramid_->flush();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

void
ArrayNode::finish()
{
    pyramid_->finish();
}

std::size_t
ArrayNode::memory_in_use() const
{
    return frames_.memory_in_use() + transposed_.size() + pyramid_->memory_in_use();
}

std::size_t
ArrayNode::estimate_memory(const ArrayNodeSpec& spec, std::size_t thread_count)
{
    const ChunkLattice lattice(spec.stored);
    const auto levels = plan_levels(spec);
    const bool transposes = StorageOrder::transposes(spec.storage_order);
    // The assembler's piece, and a transposed frame.
    return piece_bytes(levels) + (transposes ? lattice.frame_bytes() : 0) +
           Pyramid::estimate_memory(levels, spec.downsampling, thread_count);
}

} // namespace zarr

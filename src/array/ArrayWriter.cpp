#include "array/ArrayWriter.hpp"

#include "array/BufferedLayerWriter.hpp"
#include "array/DirectLayerWriter.hpp"
#include "spec/NodeKey.hpp"

#include <algorithm>

namespace zarr {

ArrayWriter::ArrayWriter(ArraySpec spec,
                         Store& store,
                         ThreadPool& pool,
                         FirstError& errors)
  : spec_(std::move(spec))
  , lattice_(spec_)
  , store_(store)
  , errors_(errors)
{
    write_metadata(0);
    // Last: the writer may hand jobs holding `this` to the pool.
    auto layer_written = [this](uint64_t layer, bool ok) { on_layer_written(layer, ok); };
    if (DirectLayerWriter::suits(spec_, lattice_)) {
        writer_ = std::make_unique<DirectLayerWriter>(
          spec_, lattice_, store_, pool, errors_, layer_written);
    } else {
        writer_ = std::make_unique<BufferedLayerWriter>(
          spec_, lattice_, store_, pool, errors_, layer_written);
    }
}

void
ArrayWriter::write_frame(const uint8_t* frame,
                         uint64_t frame_number,
                         const LayerWriter::RowsWritten& rows_written)
{
    const uint64_t layer = lattice_.layer_of_frame(frame_number);
    if (layer_open_ && layer != current_layer_) {
        end_layer(); // frames of a new layer: the open one will get no more
    }
    if (!layer_open_) {
        layer_open_ = true;
        current_layer_ = layer;
        frames_in_layer_ = 0;
        frame_seen_.assign(lattice_.frames_per_layer(), false);
    }
    writer_->write_frame(frame, frame_number, rows_written);
    layers_started_ = std::max(layers_started_, layer + 1);
    const uint64_t index = frame_number - lattice_.first_frame(layer);
    if (!frame_seen_[index]) {
        frame_seen_[index] = true;
        ++frames_in_layer_;
        ++frames_written_;
    }
    if (frames_in_layer_ == lattice_.frames_in_layer(layer)) {
        end_layer();
    }
}

void
ArrayWriter::end_layer()
{
    layer_open_ = false;
    std::vector<uint64_t> missing; // frames of the layer (not its padding)
    const uint64_t first = lattice_.first_frame(current_layer_);
    for (uint64_t i = 0; i < lattice_.frames_in_layer(current_layer_); ++i) {
        if (!frame_seen_[i]) {
            missing.push_back(first + i);
        }
    }
    writer_->end_layer(current_layer_, missing);
}

void
ArrayWriter::on_layer_written(uint64_t layer, bool ok)
{
    // Rows are claimed in order, each layer once it is entirely in storage:
    // a layer written before an earlier one waits for it, and a layer that
    // failed is never claimed, nor any after it.
    std::lock_guard lock(metadata_mutex_);
    if (!ok) {
        failed_ = true;
        return;
    }
    layers_done_.insert(layer);
    const uint64_t before_visible = spec_.random_access_store ? layers_claimed_ : layers_visible_;
    while (layers_done_.erase(layers_claimed_) > 0) {
        ++layers_claimed_;
    }
    // Objects that only become visible once complete (S3) hold a row of
    // shards each: their layers are readable once every row they touch is
    // complete.
    uint64_t visible = layers_claimed_;
    if (!spec_.random_access_store) {
        while (layers_visible_ < layers_claimed_ &&
               lattice_.last_layer_of_row(lattice_.shard_row(layers_visible_)) < layers_claimed_) {
            ++layers_visible_;
        }
        visible = layers_visible_;
    }
    // (A row of many layers, bands for instance, is rewritten once.)
    if (visible > before_visible && claimable_rows(visible) != rows_claimed_) {
        rows_claimed_ = claimable_rows(visible);
        write_metadata(rows_claimed_);
    }
}

uint64_t
ArrayWriter::claimable_rows(uint64_t layers) const
{
    // The final shape is written by finish().
    uint64_t rows = lattice_.rows_in_layers(layers);
    if (lattice_.total_frames() > 0) {
        rows = std::min(rows, lattice_.row_count());
    }
    // After a failure, a row cut short by it is not claimed: its missing
    // frames were not left out on purpose (a stream that ends normally
    // mid-row claims that row, its missing frames zeros).
    return std::min(rows, errors_.failed() ? whole_rows_appended_ : rows_appended_);
}

void
ArrayWriter::flush()
{
    {
        // The stream ends: a partial layer's missing frames are zeros in
        // storage, but no row after the last appended one is claimed.
        std::lock_guard lock(metadata_mutex_);
        rows_appended_ = rows_written();
        whole_rows_appended_ = frames_written_ / lattice_.frames_per_row();
    }
    if (layer_open_ && !has_failed()) {
        end_layer();
    }
    layer_open_ = false; // after a failure the open layer cannot be claimed
    writer_->end_of_frames();
}

bool
ArrayWriter::has_failed() const
{
    std::lock_guard lock(metadata_mutex_);
    return failed_;
}

void
ArrayWriter::finish()
{
    writer_->finish();
    errors_.capture([&] {
        // Every layer is written (or failed) and every object complete:
        // claim what was appended, up to the first layer not in storage.
        // Once every layer that got a frame is in storage, so is the last
        // row, even if the stream ended before its last layers: those hold
        // only the fill value, which is never stored (after a failure,
        // claimable_rows() leaves such a row out).
        std::lock_guard lock(metadata_mutex_);
        const uint64_t layers = layers_claimed_ >= layers_started_ ? UINT64_MAX : layers_claimed_;
        rows_claimed_ = std::min(rows_written(), claimable_rows(layers));
        write_metadata(rows_claimed_);
    });
}

uint64_t
ArrayWriter::rows_written() const
{
    // Rows are written whole or not at all before the next begins (a row's
    // frames all come before the next row's), but the last may be partial.
    const uint64_t per_row = lattice_.frames_per_row();
    return (frames_written_ + per_row - 1) / per_row;
}

std::vector<uint64_t>
ArrayWriter::shape(uint64_t rows) const
{
    std::vector<uint64_t> shape;
    for (const auto& dimension : spec_.dimensions) {
        shape.push_back(dimension.size);
    }
    if (spec_.dimensions.size() > 2) {
        shape.front() = rows;
    } else if (lattice_.banded()) { // an image's rows are its bands
        shape.front() = std::min(rows * lattice_.tile_height(), shape.front());
    }
    return shape;
}

void
ArrayWriter::write_metadata(uint64_t rows)
{
    const std::string prefix = key_prefix(spec_.key);
    if (spec_.version == ZarrVersion_3) {
        store_.write_object(
          prefix + "zarr.json",
          ArrayMetadata::v3_document(spec_, shape(rows), attributes_).dump(4));
    } else {
        store_.write_object(prefix + ".zarray",
                            ArrayMetadata::v2_document(spec_, shape(rows)).dump(4));
        store_.write_object(prefix + ".zattrs", attributes_.dump(4));
    }
}

void
ArrayWriter::set_attributes(const ArrayMetadata::Json& attributes)
{
    std::lock_guard lock(metadata_mutex_);
    attributes_ = attributes;
    write_metadata(rows_claimed_);
}

ArrayMetadata::Json
ArrayWriter::attributes() const
{
    std::lock_guard lock(metadata_mutex_);
    return attributes_;
}

std::size_t
ArrayWriter::memory_in_use() const
{
    return writer_->memory_in_use();
}

std::size_t
ArrayWriter::estimate_memory(const ArraySpec& spec, std::size_t thread_count)
{
    const ChunkLattice lattice(spec);
    if (DirectLayerWriter::suits(spec, lattice)) {
        return 0; // frames go straight from the caller's memory
    }
    // Objects being written (S3) hold a part each: the open rows of shards
    // (one, and the previous one while its last layer finishes; more when
    // rows interleave).
    const std::size_t parts = std::size_t(lattice.max_open_rows()) * lattice.shards().size() *
                              std::size_t(spec.object_part_bytes);
    return BufferedLayerWriter::estimate_memory(spec, lattice, thread_count) + parts;
}

} // namespace zarr

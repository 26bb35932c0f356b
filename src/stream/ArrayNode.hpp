#pragma once

#include "array/Pyramid.hpp"
#include "format/ArrayMetadata.hpp"
#include "spec/ArrayNodeSpec.hpp"
#include "store/Store.hpp"
#include "stream/FrameAssembler.hpp"
#include "stream/GroupNode.hpp"
#include "stream/StorageOrder.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <memory>
#include <string>
#include <vector>

namespace zarr {

/// One array of the stream, as the caller sees it: `append` takes any
/// number of bytes, which are joined into whole frames (or bands of frames
/// too large to hold, see FrameBanding.hpp), put in storage order, and
/// written to every level of the array's pyramid.
///
/// A plain array is one Zarr array at the key. An OME-NGFF image is a
/// multiscales group at the key with its levels "0", "1", ... below.
class ArrayNode
{
  public:
    /// Writes the metadata of the array, or of the image group and levels.
    ArrayNode(const ArrayNodeSpec& spec, Store& store, ThreadPool& pool, FirstError& errors);

    /// The key callers append to.
    const std::string& key() const { return spec_.key(); }
    const ArrayNodeSpec& spec() const { return spec_; }

    /// Takes up to `size` bytes (NULL `data` means zeros). Returns how many
    /// were taken: fewer than `size` only when a bounded array is full.
    std::size_t append(const uint8_t* data, std::size_t size);

    /// The attributes custom metadata goes into (the image group's for an
    /// OME-NGFF image), and their replacement.
    ArrayMetadata::Json attributes() const;
    void set_attributes(const ArrayMetadata::Json& attributes);
    /// Attribute names custom metadata may not set: "ome" everywhere, and
    /// whatever the stream writes there itself (NGFF 0.4's "multiscales").
    std::vector<std::string> reserved_attributes() const;

    /// Writes the last, partial frame (zero-padded) and layer of every level.
    void flush();
    /// After the pool is idle: completes every level and its final metadata.
    void finish();

    std::size_t memory_in_use() const;
    static std::size_t estimate_memory(const ArrayNodeSpec& spec, std::size_t thread_count);

  private:
    /// `lattice`: level 0's geometry, unbanded (whole frames); `levels`:
    /// the pyramid's plan. Both are built once, by the public constructor.
    ArrayNode(const ArrayNodeSpec& spec,
              const ChunkLattice& lattice,
              const std::vector<PyramidLevel>& levels,
              Store& store,
              ThreadPool& pool,
              FirstError& errors);

    uint64_t bytes_remaining() const;
    /// Writes the next piece (a frame, or a band of one) to the pyramid.
    void write_piece(const uint8_t* piece);

    ArrayNodeSpec spec_;
    uint64_t frame_bytes_;
    uint64_t total_frames_; // 0 = unbounded
    StorageOrder order_;
    FrameAssembler frames_;
    std::vector<uint8_t> transposed_; // one stored frame, when Y/X swap
    uint64_t bytes_accepted_ = 0;
    uint64_t pieces_taken_ = 0;
    uint64_t bands_per_frame_ = 1; // pieces per frame
    std::unique_ptr<GroupNode> image_group_; // OME-NGFF only
    std::vector<std::string> owned_attributes_; // written into image_group_
    std::unique_ptr<Pyramid> pyramid_;
};

} // namespace zarr

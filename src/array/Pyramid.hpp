#pragma once

#include "array/ArrayWriter.hpp"
#include "array/Downsampler.hpp"
#include "array/PyramidLevel.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <map>
#include <memory>
#include <vector>

namespace zarr {

/// The levels of one image, each an ArrayWriter: level 0 gets every frame,
/// and each level's frames are downsampled into the next level as soon as
/// the frames a level-k+1 frame needs have come (one frame, or two
/// consecutive Z planes), so every level is written as the stream goes.
/// Without a downsampling method it is just level 0.
class Pyramid
{
  public:
    /// Writes every level's initial metadata.
    Pyramid(const std::vector<PyramidLevel>& levels,
            ZarrDownsamplingMethod method,
            Store& store,
            ThreadPool& pool,
            FirstError& errors);

    /// Writes frame `frame_number` (storage order) of level 0, and what it
    /// completes of the other levels. NULL `frame` means zeros.
    void write_frame(const uint8_t* frame, uint64_t frame_number);

    /// Completes every level with what came: a Z plane whose partner never
    /// came passes through as if it were the last, odd one.
    void flush();
    /// After the pool is idle: completes every level's shards and metadata.
    void finish();

    ArrayWriter& level(std::size_t index) { return *levels_[index]; }

    std::size_t memory_in_use() const;
    static std::size_t estimate_memory(const std::vector<PyramidLevel>& levels,
                                       ZarrDownsamplingMethod method,
                                       std::size_t thread_count);

  private:
    /// Level k -> k+1.
    struct Step
    {
        explicit Step(Downsampler d)
          : downsampler(d)
        {
        }

        Downsampler downsampler;
        bool halves_z = false;
        uint64_t planes_in = 1;  // Z size at level k (1 when Z is not halved)
        uint64_t planes_out = 1; // Z size at level k+1
        std::vector<uint8_t> zeros;  // one level-k frame of zeros
        std::vector<uint8_t> output; // one level-k+1 frame
        /// Even planes waiting for their odd partner, by level-k+1 frame.
        std::map<uint64_t, std::vector<uint8_t>> waiting;
        /// Plane buffers done with, for the next waiting plane.
        std::vector<std::vector<uint8_t>> spare;
    };

    void write_level(std::size_t level, const uint8_t* frame, uint64_t frame_number);
    void reduce_into_next(std::size_t level,
                          const uint8_t* first,
                          const uint8_t* second,
                          uint64_t next_frame);

    std::vector<std::unique_ptr<ArrayWriter>> levels_;
    std::vector<Step> steps_; // steps_[k]: level k -> k+1
};

} // namespace zarr

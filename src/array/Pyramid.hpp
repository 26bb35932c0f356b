#pragma once

#include "array/ArrayWriter.hpp"
#include "array/Downsampler.hpp"
#include "array/PyramidLevel.hpp"
#include "store/Store.hpp"
#include "util/FirstError.hpp"
#include "util/ThreadPool.hpp"

#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace zarr {

/// The levels of one image, each an ArrayWriter: level 0 gets every frame,
/// and each level's frames are downsampled into the next level as soon as
/// the frames a level-k+1 frame needs have come (one frame, or two
/// consecutive Z planes), so every level is written as the stream goes.
/// Without a downsampling method it is just level 0.
///
/// A banded level (see FrameBanding.hpp) takes its frames a band at a time
/// (its "frames" are bands, numbered band-fastest): each band is reduced
/// into its rows of the next level's band (two bands make one) or frame,
/// which goes on once complete; with Z halved, an even plane's bands wait
/// for the odd plane's.
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
    /// came passes through as if it were the last, odd one. A level that
    /// fails does not stop the others; the first failure is rethrown after.
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
        Step(Downsampler d, Downsampler last)
          : downsampler(d)
          , last_piece_downsampler(last)
        {
        }

        Downsampler downsampler;            // a level-k piece (frame or band)
        Downsampler last_piece_downsampler; // a frame's last piece (fewer rows)
        uint64_t pieces_in = 1;      // pieces per level-k frame
        uint64_t piece_rows_in = 0;  // rows per level-k piece
        uint64_t pieces_out = 1;     // pieces per level-k+1 frame
        uint64_t piece_rows_out = 0; // rows per level-k+1 piece
        std::size_t output_row_bytes = 0;
        std::size_t input_row_bytes = 0;
        uint64_t open_offset = 0;    // the open piece's first row being filled
        uint64_t rows_filled = 0;    // of `output`, while a piece is open
        bool output_open = false;
        uint64_t output_piece = 0;   // the open piece's number at level k+1
        bool halves_xy = true;
        bool halves_z = false;
        uint64_t planes_in = 1;  // Z size at level k (1 when Z is not halved)
        uint64_t planes_out = 1; // Z size at level k+1
        std::vector<uint8_t> zeros;  // one level-k piece of zeros
        std::vector<uint8_t> output; // one level-k+1 piece
        /// Even planes (or their bands) waiting for their odd partner, by
        /// level-k+1 frame × pieces_in + band.
        std::map<uint64_t, std::vector<uint8_t>> waiting;
        /// Plane buffers done with, for the next waiting plane.
        std::vector<std::vector<uint8_t>> spare;
    };

    /// Where a level-k piece's reduction goes: its downsampler, and its
    /// first row in the next level's open piece.
    struct Reduction
    {
        const Downsampler* downsampler;
        uint8_t* output;
    };

    void write_level(std::size_t level, const uint8_t* frame, uint64_t frame_number);
    /// Writes `frame` to level `level` and reduces `first` (and `second`,
    /// see reduce_piece) band by band as it goes.
    void write_reducing(std::size_t level,
                        const uint8_t* frame,
                        uint64_t frame_number,
                        const uint8_t* first,
                        const uint8_t* second,
                        uint64_t next_frame,
                        uint64_t band);
    /// Writes `frame` to level `level`, calling `take(begin, end)` for each
    /// band of its first `rows` rows as the writer copies it (in order, so
    /// the band is in the cache). If the write throws, `take` still gets
    /// every row before the exception goes on.
    void write_taking_rows(std::size_t level,
                           const uint8_t* frame,
                           uint64_t frame_number,
                           uint64_t rows,
                           const std::function<void(uint64_t begin, uint64_t end)>& take);
    /// Opens band `band`'s rows of the next level's piece; close_piece
    /// records them and hands the piece on when full.
    Reduction open_piece(std::size_t level, uint64_t next_frame, uint64_t band);
    void close_piece(std::size_t level, uint64_t band, const Downsampler& downsampler);
    /// Reduces band `band` of level `level` (`first`, and with Z halved
    /// `second`, the same band of the odd plane, or null for a plane that
    /// passes through) into its rows of the next level's open piece, of
    /// level-k+1 frame `next_frame`, and hands that piece on when full.
    void reduce_piece(std::size_t level,
                      const uint8_t* first,
                      const uint8_t* second,
                      uint64_t next_frame,
                      uint64_t band);
    /// Hands level `level`'s open output piece to the next level, its rows
    /// not filled zeros.
    void emit_piece(std::size_t level);

    std::vector<std::unique_ptr<ArrayWriter>> levels_;
    std::vector<Step> steps_; // steps_[k]: level k -> k+1
};

} // namespace zarr

#pragma once

#include "array/PyramidLevel.hpp"
#include "spec/ArraySpec.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zarr {

// When every dimension before Y has chunk 1, a layer is a single frame and
// the writer holds two of them. For a camera frame that is what keeps an
// append short; for a whole-slide image or a plane of a large volume it
// would be several times the image. Such frames are *banded*: cut into
// bands of one chunk of rows, each band its own layer (ChunkLattice sees Y
// as a dimension of bands of one chunk each, and one of rows inside a
// band), so memory tracks a few bands, not the frame. What is on disk is
// the same.

/// Frames larger than this are banded: ZARR_BANDED_FRAME_BYTES when set to
/// a positive number of bytes, else 64 MiB. Read when a stream is created.
uint64_t banded_frame_bytes();

/// Decides which levels of a pyramid (level 0 alone without one) are
/// banded, and how many bands each holds in flight. Level 0 is banded when
/// its frames are larger than banded_frame_bytes() with more than one
/// chunk of rows, each frame its own layer, coming in order and stored as
/// acquired (`transposes` false) and, with downsampled levels, the chunk
/// of Y even (two bands then make one band of the next level; with Z
/// halved, an even plane's bands wait for the odd plane's, a plane in all).
/// Then so is every level with more than one chunk of
/// rows. The levels share an in-flight budget of two banded_frame_bytes()
/// in proportion to their frames (a quarter for each halving), at least
/// two bands each.
void plan_banding(std::vector<PyramidLevel>& levels, bool transposes);

/// Rows of one piece of a level's frames: a band (a chunk of rows) when it
/// is banded, else the whole frame.
uint64_t piece_rows(const ArraySpec& spec);

} // namespace zarr

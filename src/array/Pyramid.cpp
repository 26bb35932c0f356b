#include "array/Pyramid.hpp"

#include "array/FrameBanding.hpp"
#include "format/DataType.hpp"

#include <algorithm>
#include <cstring>
#include <exception>

namespace zarr {
namespace {

/// Size of the Z dimension (the third-last) of a level, which a step may
/// halve.
uint64_t
z_size(const ArraySpec& spec)
{
    return spec.dimensions[spec.dimensions.size() - 3].size;
}

uint64_t
frame_height(const ArraySpec& spec)
{
    return spec.dimensions[spec.dimensions.size() - 2].size;
}

uint64_t
frame_width(const ArraySpec& spec)
{
    return spec.dimensions.back().size;
}

uint64_t
ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/// How many even planes can wait for their partner at once: frames of a
/// row arrive in any order (a storage order may put Z anywhere), so at
/// most one per Z column of a row, plus one row at a boundary.
uint64_t
max_waiting(const ArraySpec& spec)
{
    uint64_t frames_per_row = 1;
    for (std::size_t i = 1; i + 2 < spec.dimensions.size(); ++i) {
        frames_per_row *= spec.dimensions[i].size;
    }
    return frames_per_row / std::max<uint64_t>(1, z_size(spec)) + 1;
}

} // namespace

Pyramid::Pyramid(const std::vector<PyramidLevel>& levels,
                 ZarrDownsamplingMethod method,
                 Store& store,
                 ThreadPool& pool,
                 FirstError& errors)
{
    for (std::size_t i = 0; i < levels.size(); ++i) {
        levels_.push_back(std::make_unique<ArrayWriter>(levels[i].spec, store, pool, errors));
        if (i == 0) {
            continue;
        }
        const ArraySpec& from = levels[i - 1].spec;
        const ArraySpec& to = levels[i].spec;
        const uint64_t rows_in = piece_rows(from);
        const uint64_t pieces_in = ceil_div(frame_height(from), rows_in);
        const uint64_t last_rows = frame_height(from) - (pieces_in - 1) * rows_in;
        auto downsampler = [&](uint64_t height) {
            return Downsampler(method,
                               from.data_type,
                               height,
                               frame_width(from),
                               levels[i].halves_xy,
                               levels[i].halves_z);
        };
        Step step(downsampler(rows_in), downsampler(last_rows));
        step.pieces_in = pieces_in;
        step.piece_rows_in = rows_in;
        step.piece_rows_out = piece_rows(to);
        step.pieces_out = ceil_div(frame_height(to), step.piece_rows_out);
        step.output_row_bytes = frame_width(to) * bytes_of(to.data_type);
        step.input_row_bytes = frame_width(from) * bytes_of(from.data_type);
        step.halves_xy = levels[i].halves_xy;
        step.halves_z = levels[i].halves_z;
        if (step.halves_z) {
            step.planes_in = z_size(from);
            step.planes_out = z_size(to);
        }
        step.output.resize(step.piece_rows_out * step.output_row_bytes);
        steps_.push_back(std::move(step));
    }
}

void
Pyramid::write_frame(const uint8_t* frame, uint64_t frame_number)
{
    write_level(0, frame, frame_number);
}

void
Pyramid::write_level(std::size_t level, const uint8_t* frame, uint64_t frame_number)
{
    if (level + 1 == levels_.size()) {
        levels_[level]->write_frame(frame, frame_number);
        return;
    }
    // What the next level needs of this piece is done band by band as the
    // level's writer copies it (see LayerWriter::RowsWritten), while the
    // band is in the cache: the piece is read from memory once.
    Step& step = steps_[level];
    const uint8_t* pixels = frame;
    if (!pixels) { // the downsampler needs pixels: zeros are real zeros here
        if (step.zeros.empty()) {
            step.zeros.resize(step.downsampler.input_frame_bytes());
        }
        pixels = step.zeros.data();
    }
    const uint64_t frame_of_piece = frame_number / step.pieces_in;
    const uint64_t band = frame_number % step.pieces_in;
    if (!step.halves_z) {
        write_reducing(level, frame, frame_number, pixels, nullptr, frame_of_piece, band);
        return;
    }
    // Frame numbers run in C order over the frame dimensions, Z last: split
    // off Z, halve it, and recombine. (Banded, a plane's bands wait for the
    // same bands of its partner.)
    const uint64_t z = frame_of_piece % step.planes_in;
    const uint64_t outer = frame_of_piece / step.planes_in;
    const uint64_t next_frame = outer * step.planes_out + z / 2;
    const bool last_odd_plane = z % 2 == 0 && z + 1 == step.planes_in;
    if (last_odd_plane) {
        write_reducing(level, frame, frame_number, pixels, nullptr, next_frame, band);
        return;
    }
    const uint64_t key = next_frame * step.pieces_in + band;
    const auto waiting = step.waiting.find(key);
    if (waiting == step.waiting.end()) { // the first of the pair: it waits
        auto& copy = step.waiting[key];
        if (!step.spare.empty()) { // plane buffers are reused, not reallocated
            copy = std::move(step.spare.back());
            step.spare.pop_back();
        }
        copy.resize(step.downsampler.input_frame_bytes());
        const std::size_t row_bytes = step.input_row_bytes;
        write_taking_rows(
          level, frame, frame_number, copy.size() / row_bytes, [&](uint64_t begin, uint64_t end) {
              std::memcpy(copy.data() + begin * row_bytes,
                          pixels + begin * row_bytes,
                          (end - begin) * row_bytes);
          });
        return;
    }
    // The partner came: the even plane goes first whichever came first.
    std::vector<uint8_t> partner = std::move(waiting->second);
    step.waiting.erase(waiting);
    // (Back to the spare ones also when this level's write throws:
    // write_reducing has reduced the pair by then.)
    step.spare.push_back(std::move(partner));
    const uint8_t* partner_pixels = step.spare.back().data();
    if (z % 2 == 1) {
        write_reducing(level, frame, frame_number, partner_pixels, pixels, next_frame, band);
    } else {
        write_reducing(level, frame, frame_number, pixels, partner_pixels, next_frame, band);
    }
}

void
Pyramid::write_reducing(std::size_t level,
                        const uint8_t* frame,
                        uint64_t frame_number,
                        const uint8_t* first,
                        const uint8_t* second,
                        uint64_t next_frame,
                        uint64_t band)
{
    const auto [downsampler, output] = open_piece(level, next_frame, band);
    try {
        write_taking_rows(level,
                          frame,
                          frame_number,
                          downsampler->input_height(),
                          [&](uint64_t begin, uint64_t end) {
                              downsampler->reduce_rows(first, second, output, begin, end - begin);
                          });
    } catch (...) {
        close_piece(level, band, *downsampler); // the rows are all reduced
        throw;
    }
    close_piece(level, band, *downsampler);
}

void
Pyramid::write_taking_rows(std::size_t level,
                           const uint8_t* frame,
                           uint64_t frame_number,
                           uint64_t rows,
                           const std::function<void(uint64_t begin, uint64_t end)>& take)
{
    uint64_t taken = 0;
    const auto take_through = [&](uint64_t end) {
        end = std::min(end, rows); // a last band may reach into chunk padding
        if (end > taken) {
            take(taken, end);
            taken = end;
        }
    };
    try {
        levels_[level]->write_frame(frame, frame_number, [&](uint64_t first_row, uint64_t count) {
            take_through(first_row + count);
        });
    } catch (...) {
        // The next level takes what was appended whether or not this level
        // could store it (its own claims stay true either way): its rows
        // are finished from the caller's frame, then the failure goes on.
        take_through(rows);
        throw;
    }
}

void
Pyramid::reduce_piece(std::size_t level,
                      const uint8_t* first,
                      const uint8_t* second,
                      uint64_t next_frame,
                      uint64_t band)
{
    const auto [downsampler, output] = open_piece(level, next_frame, band);
    downsampler->reduce(first, second, output);
    close_piece(level, band, *downsampler);
}

Pyramid::Reduction
Pyramid::open_piece(std::size_t level, uint64_t next_frame, uint64_t band)
{
    // (Unbanded, a piece is a frame: one piece in, one out.)
    Step& step = steps_[level];
    const bool last = band + 1 == step.pieces_in;
    // Bands have an even number of rows: a band's rows of the next level
    // start at half its first row (its first row when Y is not halved),
    // inside one piece there.
    const uint64_t row = band * step.piece_rows_in / (step.halves_xy ? 2 : 1);
    const uint64_t offset = row % step.piece_rows_out;
    step.output_open = true;
    step.output_piece = next_frame * step.pieces_out + row / step.piece_rows_out;
    step.open_offset = offset;
    return { last ? &step.last_piece_downsampler : &step.downsampler,
             step.output.data() + offset * step.output_row_bytes };
}

void
Pyramid::close_piece(std::size_t level, uint64_t band, const Downsampler& downsampler)
{
    Step& step = steps_[level];
    step.rows_filled = step.open_offset + downsampler.output_height();
    if (step.rows_filled == step.piece_rows_out || band + 1 == step.pieces_in) {
        emit_piece(level);
    }
}

void
Pyramid::emit_piece(std::size_t level)
{
    Step& step = steps_[level];
    step.output_open = false;
    // The rows after a frame's last (chunk padding), or those a stream cut
    // short never filled.
    std::memset(step.output.data() + step.rows_filled * step.output_row_bytes,
                0,
                step.output.size() - step.rows_filled * step.output_row_bytes);
    write_level(level + 1, step.output.data(), step.output_piece);
}

void
Pyramid::flush()
{
    // Every level is flushed even when one fails (its failure is recorded
    // already): what the others took is written, and what of it is in
    // storage is claimed. The first failure goes on at the end.
    std::exception_ptr first_failure;
    const auto attempt = [&](const auto& work) {
        try {
            work();
        } catch (...) {
            if (!first_failure) {
                first_failure = std::current_exception();
            }
        }
    };
    // Upwards: each level's stragglers go into the next before that one
    // is flushed.
    for (std::size_t level = 0; level < levels_.size(); ++level) {
        if (level < steps_.size()) {
            Step& step = steps_[level];
            if (step.output_open) { // a band of a frame cut short
                attempt([&] { emit_piece(level); });
            }
            auto waiting = std::move(step.waiting);
            step.waiting.clear();
            for (auto& [key, plane] : waiting) { // by frame, then band
                attempt([&] {
                    reduce_piece(
                      level, plane.data(), nullptr, key / step.pieces_in, key % step.pieces_in);
                });
            }
        }
        attempt([&] { levels_[level]->flush(); });
    }
    if (first_failure) {
        std::rethrow_exception(first_failure);
    }
}

void
Pyramid::finish()
{
    for (const auto& level : levels_) {
        level->finish();
    }
}

std::size_t
Pyramid::memory_in_use() const
{
    std::size_t bytes = 0;
    for (const auto& level : levels_) {
        bytes += level->memory_in_use();
    }
    for (const auto& step : steps_) {
        bytes += step.output.size() + step.zeros.size();
        bytes += (step.waiting.size() + step.spare.size()) * step.downsampler.input_frame_bytes();
    }
    return bytes;
}

std::size_t
Pyramid::estimate_memory(const std::vector<PyramidLevel>& levels,
                         ZarrDownsamplingMethod,
                         std::size_t thread_count)
{
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        bytes += ArrayWriter::estimate_memory(levels[i].spec, thread_count);
        if (i == 0) {
            continue;
        }
        const ArraySpec& from = levels[i - 1].spec;
        const std::size_t in_frame =
          frame_height(from) * frame_width(from) * bytes_of(from.data_type);
        const std::size_t in_piece = piece_rows(from) * frame_width(from) * bytes_of(from.data_type);
        const std::size_t out_piece = piece_rows(levels[i].spec) *
                                      frame_width(levels[i].spec) *
                                      bytes_of(from.data_type);
        bytes += out_piece + in_piece; // output, and zeros for skipped pieces
        if (levels[i].halves_z) {
            bytes += max_waiting(from) * in_frame;
        }
    }
    return bytes;
}

} // namespace zarr

// zarr::Pyramid when a level's write fails: the next level must still take
// exactly what was appended (its own claims stay true either way), and
// closing must still flush every level. The
// levels write into an in-memory store whose writes to one level's objects
// throw on demand; each level's chunks are read back from the store's bytes
// (one chunk per shard, its index at the end) and compared with what the
// planes hold. Constant planes make the expected means exact.

#include "Check.hpp"
#include "array/Pyramid.hpp"
#include "array/PyramidPlan.hpp"
#include "format/ChunkKey.hpp"
#include "stream/ArrayNode.hpp"
#include "util/ZarrError.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using aqz_test::check;

namespace {

/// Objects in memory. Sink writes to keys starting with `failing_prefix`
/// (when not empty) throw IOError, as a full disk would.
class MemoryStore final : public zarr::Store
{
  public:
    void fail_writes_to(const std::string& prefix)
    {
        std::lock_guard lock(mutex_);
        failing_prefix_ = prefix;
    }

    std::optional<std::string> object(const std::string& key)
    {
        std::lock_guard lock(mutex_);
        const auto found = objects_.find(key);
        if (found == objects_.end()) {
            return std::nullopt;
        }
        return found->second;
    }

    void prepare(bool) override {}
    void keep_prepared() override {}
    void undo_prepare() override {}
    bool random_access() const override { return true; }

    std::unique_ptr<zarr::Sink> open_sink(const std::string& key) override
    {
        std::lock_guard lock(mutex_);
        objects_[key].clear();
        return std::make_unique<MemorySink>(*this, key);
    }

    void write_object(const std::string& key, std::string_view content) override
    {
        std::lock_guard lock(mutex_);
        objects_[key] = std::string(content);
    }

    std::optional<std::string> read_object(const std::string& key) override { return object(key); }

    bool exists(const std::string& key) override { return object(key).has_value(); }

    void flush_to_storage() override {}

  private:
    class MemorySink final : public zarr::Sink
    {
      public:
        MemorySink(MemoryStore& store, std::string key)
          : store_(store)
          , key_(std::move(key))
        {
        }

        void write(uint64_t offset, std::span<const zarr::ByteSpan> pieces) override
        {
            std::lock_guard lock(store_.mutex_);
            if (!store_.failing_prefix_.empty() && key_.starts_with(store_.failing_prefix_)) {
                throw zarr::ZarrError(ZarrStatusCode_IOError, "injected write failure: " + key_);
            }
            std::string& bytes = store_.objects_[key_];
            for (const zarr::ByteSpan& piece : pieces) {
                if (bytes.size() < offset + piece.size) {
                    bytes.resize(offset + piece.size);
                }
                std::memcpy(bytes.data() + offset, piece.data, piece.size);
                offset += piece.size;
            }
        }

        void preallocate(uint64_t, uint64_t) override {}

        void truncate(uint64_t size) override
        {
            std::lock_guard lock(store_.mutex_);
            store_.objects_[key_].resize(size);
        }

        void close() override {}

        void discard() override
        {
            std::lock_guard lock(store_.mutex_);
            store_.objects_.erase(key_);
        }

      private:
        MemoryStore& store_;
        std::string key_;
    };

    std::mutex mutex_;
    std::map<std::string, std::string> objects_;
    std::string failing_prefix_;
};

zarr::DimensionSpec
dimension(const char* name, ZarrDimensionType kind, uint64_t size, uint64_t chunk)
{
    zarr::DimensionSpec d;
    d.name = name;
    d.kind = kind;
    d.size = size;
    d.chunk = chunk;
    d.shard_chunks = 1; // a shard is one chunk: its bytes, then its index
    return d;
}

/// t (unbounded, chunk `t_chunk`), then `planes` Z planes of chunk 1 if any,
/// then y and x of `side` pixels in chunks of 256.
std::vector<zarr::DimensionSpec>
dimensions(uint64_t t_chunk, uint64_t side, uint64_t planes = 0)
{
    std::vector<zarr::DimensionSpec> out{ dimension("t", ZarrDimensionType_Time, 0, t_chunk) };
    if (planes > 0) {
        out.push_back(dimension("z", ZarrDimensionType_Space, planes, 1));
    }
    out.push_back(dimension("y", ZarrDimensionType_Space, side, 256));
    out.push_back(dimension("x", ZarrDimensionType_Space, side, 256));
    return out;
}

/// An uncompressed uint16 Zarr v3 array "image" of these dimensions.
zarr::ArraySpec
image(std::vector<zarr::DimensionSpec> dimensions)
{
    zarr::ArraySpec spec;
    spec.key = "image";
    spec.dimensions = std::move(dimensions);
    spec.data_type = ZarrDataType_uint16;
    spec.version = ZarrVersion_3;
    return spec;
}

/// The MEAN levels of image(dimensions), keyed "image/<level>".
std::vector<zarr::PyramidLevel>
plan(std::vector<zarr::DimensionSpec> dimensions, unsigned max_levels)
{
    auto levels =
      zarr::plan_pyramid(image(std::move(dimensions)), ZarrDownsamplingMethod_Mean, max_levels);
    for (std::size_t i = 0; i < levels.size(); ++i) {
        levels[i].spec.key = "image/" + std::to_string(i);
    }
    return levels;
}

/// The pixels of one chunk of level `level`, or nothing if it was never
/// written.
std::optional<std::vector<uint16_t>>
read_chunk(MemoryStore& store, std::size_t level, std::vector<uint64_t> coordinates)
{
    const auto bytes = store.object(
      zarr::chunk_key("image/" + std::to_string(level), ZarrVersion_3, coordinates));
    constexpr std::size_t kIndexBytes = 16 + 4; // offset, size; CRC32C
    if (!bytes || bytes->size() < kIndexBytes) {
        return std::nullopt;
    }
    uint64_t offset = 0;
    uint64_t size = 0;
    std::memcpy(&offset, bytes->data() + bytes->size() - kIndexBytes, 8);
    std::memcpy(&size, bytes->data() + bytes->size() - kIndexBytes + 8, 8);
    if (offset == UINT64_MAX || offset + size > bytes->size()) {
        return std::nullopt; // an empty chunk
    }
    std::vector<uint16_t> pixels(size / 2);
    std::memcpy(pixels.data(), bytes->data() + offset, pixels.size() * 2);
    return pixels;
}

/// Whether chunk `coordinates` of level `level` holds, frame by frame (the
/// chunk's pixels cut in as many equal parts), the values `frames`.
void
check_chunk(MemoryStore& store,
            std::size_t level,
            std::vector<uint64_t> coordinates,
            std::vector<uint16_t> frames,
            const std::string& what)
{
    const auto pixels = read_chunk(store, level, coordinates);
    if (!pixels) {
        check(false, what + ": the chunk was never written");
        return;
    }
    const std::size_t per_frame = pixels->size() / frames.size();
    for (std::size_t f = 0; f < frames.size(); ++f) {
        std::size_t wrong = 0;
        uint16_t example = frames[f];
        for (std::size_t i = f * per_frame; i < (f + 1) * per_frame; ++i) {
            if ((*pixels)[i] != frames[f]) {
                ++wrong;
                example = (*pixels)[i];
            }
        }
        check(per_frame > 0 && wrong == 0,
              what + ", frame " + std::to_string(f) + " of the chunk: expected " +
                std::to_string(frames[f]) + " everywhere, " + std::to_string(wrong) + " of " +
                std::to_string(per_frame) + " pixels differ (e.g. " + std::to_string(example) +
                ")");
    }
}

void
check_chunk(MemoryStore& store,
            std::size_t level,
            std::vector<uint64_t> coordinates,
            uint16_t value,
            const std::string& what)
{
    check_chunk(store, level, std::move(coordinates), std::vector<uint16_t>{ value }, what);
}

/// The first dimension's size in level `level`'s metadata (its claimed rows).
uint64_t
claimed_rows(MemoryStore& store, std::size_t level)
{
    const auto text = store.object("image/" + std::to_string(level) + "/zarr.json");
    if (!text) {
        return UINT64_MAX;
    }
    return nlohmann::json::parse(*text).at("shape").at(0).get<uint64_t>();
}

std::vector<uint16_t>
plane(std::size_t pixels, uint16_t value)
{
    return std::vector<uint16_t>(pixels, value);
}

/// Appends `frames` to a pyramid over `levels`, with writes to level
/// `failing_level`'s objects failing during frame `failing_frame`, then
/// closes it as a stream does after a failure.
void
run(const std::vector<zarr::PyramidLevel>& levels,
    MemoryStore& store,
    const std::vector<std::vector<uint16_t>>& frames,
    std::size_t failing_level,
    uint64_t failing_frame,
    const std::string& what)
{
    zarr::ThreadPool pool(2);
    zarr::FirstError errors;
    zarr::Pyramid pyramid(levels, ZarrDownsamplingMethod_Mean, store, pool, errors);
    bool threw = false;
    for (uint64_t n = 0; n < frames.size(); ++n) {
        if (n == failing_frame) {
            store.fail_writes_to("image/" + std::to_string(failing_level) + "/");
        }
        try {
            pyramid.write_frame(reinterpret_cast<const uint8_t*>(frames[n].data()), n);
        } catch (const zarr::ZarrError&) {
            threw = true;
        }
        store.fail_writes_to("");
        if (threw) {
            break; // the stream refuses every append after a failure
        }
    }
    check(threw, what + ": the failing write was reported");
    try {
        pyramid.flush();
    } catch (const zarr::ZarrError&) {
    }
    pool.wait_idle();
    pyramid.finish();
    check(errors.failed(), what + ": the failure was recorded");
}

/// t, z, y, x with Z halved: an even plane whose level-0 write fails must
/// still reach level 1 with its own pixels (it passes through at close, as
/// a plane whose partner never came). It used to keep the rows of a reused
/// buffer: the plane reduced before it.
void
even_plane_failing_at_level_0()
{
    const auto levels = plan(dimensions(1, 512, 4), 1);
    check(levels.size() == 2 && levels[1].halves_xy && levels[1].halves_z,
          "plan: one level, halving Y, X and Z");
    MemoryStore store;
    const std::size_t pixels = 512 * 512;
    run(levels, store, { plane(pixels, 1000), plane(pixels, 2000), plane(pixels, 3000) }, 0, 2,
        "even plane failing");
    check_chunk(store, 0, { 0, 1, 1, 1 }, 2000, "level 0, plane 1");
    check_chunk(store, 1, { 0, 0, 0, 0 }, 1500, "level 1, plane 0 (planes 0 and 1)");
    check_chunk(store, 1, { 0, 1, 0, 0 }, 3000, "level 1, plane 1 (plane 2 alone)");
}

/// The odd plane's write fails: the pair is still reduced into level 1.
void
odd_plane_failing_at_level_0()
{
    const auto levels = plan(dimensions(1, 512, 4), 1);
    MemoryStore store;
    const std::size_t pixels = 512 * 512;
    run(levels, store, { plane(pixels, 1000), plane(pixels, 2000) }, 0, 1, "odd plane failing");
    check_chunk(store, 0, { 0, 0, 1, 0 }, 1000, "level 0, plane 0");
    check_chunk(store, 1, { 0, 0, 0, 0 }, 1500, "level 1, plane 0 (planes 0 and 1)");
}

/// t, y, x: a frame whose level-0 write fails is still reduced into level
/// 1, and the frame before it is not disturbed.
void
frame_failing_at_level_0()
{
    const auto levels = plan(dimensions(1, 512), 1);
    check(levels.size() == 2 && levels[1].halves_xy && !levels[1].halves_z,
          "plan: one level, halving Y and X");
    MemoryStore store;
    const std::size_t pixels = 512 * 512;
    run(levels, store, { plane(pixels, 1000), plane(pixels, 2000) }, 0, 1, "frame failing");
    check_chunk(store, 1, { 0, 0, 0 }, 1000, "level 1, frame 0");
    check_chunk(store, 1, { 1, 0, 0 }, 2000, "level 1, frame 1 (its level-0 write failed)");
}

/// A middle level's write fails: the level below it goes on from the
/// caller's frame, so level 2 still gets the frame.
void
frame_failing_at_level_1()
{
    const auto levels = plan(dimensions(1, 1024), 2);
    check(levels.size() == 3, "plan: two levels");
    MemoryStore store;
    const std::size_t pixels = 1024 * 1024;
    run(levels, store, { plane(pixels, 1000), plane(pixels, 2000) }, 1, 1, "level 1 failing");
    check_chunk(store, 0, { 1, 3, 3 }, 2000, "level 0, frame 1");
    check_chunk(store, 2, { 0, 0, 0 }, 1000, "level 2, frame 0");
    check_chunk(store, 2, { 1, 0, 0 }, 2000, "level 2, frame 1 (its level-1 write failed)");
}

/// A level whose flush fails does not stop the next one's: level 0's layer
/// of frames 2, 3 failed (frame 2's write), while level 1 took frame 2 and
/// must still write and claim it when the stream ends there.
void
level_1_flushed_after_level_0_failed()
{
    const auto levels = plan(dimensions(2, 512), 1);
    MemoryStore store;
    const std::size_t pixels = 512 * 512;
    run(levels,
        store,
        { plane(pixels, 1000), plane(pixels, 2000), plane(pixels, 3000) },
        0,
        2,
        "flush after a failure");
    check_chunk(store, 1, { 0, 0, 0 }, { 1000, 2000 }, "level 1, frames 0 and 1");
    check_chunk(store, 1, { 1, 0, 0 }, { 3000, 0 }, "level 1, frame 2 (and no frame 3)");
    check(claimed_rows(store, 0) == 2, "level 0 claims the layer before the failed one");
    check(claimed_rows(store, 1) == 3,
          "level 1 claims the 3 frames it took, not " + std::to_string(claimed_rows(store, 1)));
}

/// The stream's end through ArrayNode: the last frame came half (padded
/// with zeros at close), and writing it to level 0 fails. Level 1 must
/// still get it, and its layer (frames 2, 3) must still be ended, written
/// and claimed.
void
partial_last_frame_failing_at_level_0()
{
    zarr::ArrayNodeSpec spec;
    spec.stored = image(dimensions(2, 512));
    spec.downsampling = ZarrDownsamplingMethod_Mean;
    spec.max_levels = 1;
    spec.ngff = true; // levels at image/0, image/1
    MemoryStore store;
    zarr::ThreadPool pool(2);
    zarr::FirstError errors;
    {
        zarr::ArrayNode node(spec, store, pool, errors);
        const std::size_t pixels = 512 * 512;
        for (const uint16_t value : { 1000, 2000 }) {
            const auto frame = plane(pixels, value);
            node.append(reinterpret_cast<const uint8_t*>(frame.data()), pixels * 2);
        }
        const auto half = plane(pixels / 2, 3000); // frame 2's top 256 rows
        node.append(reinterpret_cast<const uint8_t*>(half.data()), pixels);
        store.fail_writes_to("image/0/");
        bool threw = false;
        try {
            node.flush();
        } catch (const zarr::ZarrError&) {
            threw = true;
        }
        store.fail_writes_to("");
        check(threw, "partial frame: the failing write was reported");
        pool.wait_idle();
        node.finish();
    }
    // Level 1's chunk of frames 2, 3, by half frames: frame 2's top half
    // (the rows that came), its padding, then frame 3, never appended.
    check_chunk(store, 1, { 1, 0, 0 }, { 3000, 0, 0, 0 }, "partial frame, level 1 frames 2-3");
    check(claimed_rows(store, 0) == 2, "partial frame: level 0 claims its first layer");
    check(claimed_rows(store, 1) == 3,
          "partial frame: level 1 claims the 3 frames it took, not " +
            std::to_string(claimed_rows(store, 1)));
}

} // namespace

int
main()
{
    even_plane_failing_at_level_0();
    odd_plane_failing_at_level_0();
    frame_failing_at_level_0();
    frame_failing_at_level_1();
    level_1_flushed_after_level_0_failed();
    partial_last_frame_failing_at_level_0();
    return aqz_test::summary("test_pyramid_failures");
}

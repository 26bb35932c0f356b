// fuzz_settings.hpp: random ZarrStreamSettings for settings_fuzz.cpp.
//
// A case is a valid stream (small arrays, some of them OME-NGFF images and
// HCS plates) that then gets zero to three mutations: NULL pointers with
// non-zero counts, enum fields holding any int, huge sizes, strings of
// random bytes (invalid UTF-8 included), reserved key names, path
// spellings of the root and the working directory. Everything a case
// points to lives in its Case, so the settings stay valid until it dies.
#pragma once

#include "acquire.zarr.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace fuzz {

struct Rng
{
    std::mt19937_64 engine;
    explicit Rng(uint64_t seed) : engine(seed) {}
    uint64_t below(uint64_t n) { return n ? engine() % n : 0; }
    int range(int lo, int hi) { return lo + int(below(uint64_t(hi - lo + 1))); }
    bool chance(double p) { return std::uniform_real_distribution<>(0, 1)(engine) < p; }
    template<typename T>
    T pick(const std::vector<T>& items) { return items[below(items.size())]; }
};

/// Stores any int in a C enum field without a C++ enum conversion (loading
/// an out-of-range enum is undefined behaviour in C++; C allows it).
template<typename Enum>
void
set_raw(Enum& field, int value)
{
    static_assert(sizeof(Enum) == sizeof(int));
    std::memcpy(&field, &value, sizeof value);
}

template<typename Enum>
int
get_raw(const Enum& field)
{
    int value;
    std::memcpy(&value, &field, sizeof value);
    return value;
}

/// A stream's settings and everything they point to.
struct Case
{
    ZarrStreamSettings settings{};
    std::vector<ZarrArraySettings> arrays;  // settings.arrays, once complete
    std::deque<ZarrArraySettings> field_arrays; // fields of view point here
    std::deque<std::string> strings;
    std::deque<std::vector<ZarrDimensionProperties>> dimensions;
    std::deque<ZarrCompressionSettings> compressions;
    std::deque<std::vector<size_t>> orders;
    std::deque<std::vector<const char*>> names;
    std::deque<std::vector<ZarrHCSFieldOfView>> images;
    std::deque<std::vector<ZarrHCSWell>> wells;
    std::deque<std::vector<ZarrHCSAcquisition>> acquisitions;
    std::vector<ZarrHCSPlate> plates;
    ZarrHCSSettings hcs{};
    ZarrS3Settings s3{};
    std::string store_path; // "{sandbox}/..." spelled; the harness fills it in
    bool existing_store = false;
    std::vector<std::string> mutations;

    const char* text(std::string value) { return strings.emplace_back(std::move(value)).c_str(); }

    /// Every array of the case: the flat ones, then the fields of view.
    std::vector<ZarrArraySettings*> all_arrays()
    {
        std::vector<ZarrArraySettings*> all;
        for (auto& a : arrays) {
            all.push_back(&a);
        }
        for (auto& a : field_arrays) {
            all.push_back(&a);
        }
        return all;
    }
};

inline std::string
random_bytes(Rng& rng, std::size_t max_length)
{
    std::string text(rng.below(max_length + 1), '\0');
    for (auto& c : text) {
        c = char(rng.range(1, 255)); // any byte but NUL (the C string's end)
    }
    return text;
}

/// Names a key, path component or dimension name may try to be.
inline std::string
nasty_name(Rng& rng)
{
    static const std::vector<std::string> names = {
        "", ".", "..", "/", "//", "zarr.json", ".zgroup", ".zarray", ".zattrs", ".zmetadata",
        "__x", "a b", "caf\xc3\xa9", "\xff\xfe", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "a/../b", "a//b", "./a", "a/.", "\n", "a\\b", std::string(255, 'x'),
        std::string(256, 'x'), std::string(4000, 'y'), "g/zarr.json", "-", "_",
    };
    return rng.chance(0.2) ? random_bytes(rng, 40) : rng.pick(names);
}

// ---- a valid case ---------------------------------------------------------

inline ZarrDimensionProperties
dimension(Case& c, Rng& rng, const std::string& name, ZarrDimensionType type, uint32_t size,
          uint32_t bounded_max = 4)
{
    ZarrDimensionProperties d{};
    d.name = c.text(name);
    d.type = type;
    d.array_size_px = size == UINT32_MAX ? uint32_t(rng.range(1, int(bounded_max))) : size;
    const int top = std::max<int>(int(d.array_size_px), 3);
    d.chunk_size_px = uint32_t(rng.chance(0.85) ? rng.range(1, top) : top + rng.range(1, 4));
    d.shard_size_chunks = uint32_t(rng.range(1, 3));
    if (rng.chance(0.3)) {
        d.unit = c.text(rng.chance(0.5) ? "micrometer" : "second");
    }
    d.scale = rng.chance(0.3) ? 0.25 * rng.range(1, 8) : 0.0;
    return d;
}

/// Dimensions of a plain array (2 to 6, any kinds before Y and X) or of an
/// OME-NGFF image ([t] [c] [z] y x); sets the storage order too.
inline void
make_dimensions(Case& c, Rng& rng, ZarrArraySettings& a, bool ngff)
{
    auto& dims = c.dimensions.emplace_back();
    constexpr uint32_t kBounded = UINT32_MAX; // "a few pixels"
    if (ngff) {
        if (rng.chance(0.6)) {
            dims.push_back(dimension(c, rng, "t", ZarrDimensionType_Time, rng.chance(0.7) ? 0 : kBounded));
        }
        if (rng.chance(0.5)) {
            dims.push_back(dimension(c, rng, "c", ZarrDimensionType_Channel, kBounded, 3));
        }
        if (rng.chance(0.5)) {
            dims.push_back(dimension(c, rng, "z", ZarrDimensionType_Space, kBounded, 6));
        }
    } else {
        const int extra = rng.range(0, 4);
        for (int i = 0; i < extra; ++i) {
            const auto type = ZarrDimensionType(rng.range(0, ZarrDimensionTypeCount - 1));
            const bool unbounded = i == 0 && rng.chance(0.6);
            dims.push_back(dimension(c, rng, "d" + std::to_string(i), type, unbounded ? 0 : kBounded));
        }
    }
    const bool big = rng.chance(0.1);
    for (const char* name : { "y", "x" }) {
        dims.push_back(dimension(c, rng, name, ZarrDimensionType_Space,
                                 uint32_t(rng.range(1, big ? 96 : 24))));
    }
    a.dimensions = dims.data();
    a.dimension_count = dims.size();
    if (rng.chance(0.3)) { // the last two may swap; a plain array may reorder the middle
        auto& order = c.orders.emplace_back();
        for (size_t i = 0; i < dims.size(); ++i) {
            order.push_back(i);
        }
        const size_t n = dims.size();
        if (!ngff && n > 3) {
            std::shuffle(order.begin() + 1, order.end() - 2, rng.engine);
        }
        if (rng.chance(0.5)) {
            std::swap(order[n - 2], order[n - 1]);
        }
        a.storage_dimension_order = order.data();
    }
}

inline ZarrArraySettings
make_array(Case& c, Rng& rng, const char* key, bool force_ngff)
{
    ZarrArraySettings a{};
    a.output_key = key;
    a.data_type = ZarrDataType(rng.range(0, ZarrDataTypeCount - 1));
    const bool ngff = force_ngff || rng.chance(0.3);
    make_dimensions(c, rng, a, ngff);
    if (ngff) {
        a.is_ngff = true;
        if (rng.chance(0.6)) {
            a.downsampling_method = ZarrDownsamplingMethod(rng.range(1, 4));
            a.max_levels = uint32_t(rng.range(0, 3));
        }
    }
    const int codec = rng.range(0, 4);
    if (codec >= 2) {
        auto& cs = c.compressions.emplace_back();
        if (codec == 4) {
            cs.compressor = ZarrCompressor_Zstd;
            cs.codec = ZarrCompressionCodec_Zstd;
            cs.level = uint8_t(rng.range(1, 22));
        } else {
            cs.compressor = ZarrCompressor_Blosc1;
            cs.codec = codec == 2 ? ZarrCompressionCodec_BloscLZ4 : ZarrCompressionCodec_BloscZstd;
            cs.level = uint8_t(rng.range(0, 9));
            cs.shuffle = uint8_t(rng.range(0, 2));
        }
        a.compression_settings = &cs;
    }
    return a;
}

inline void
make_plate(Case& c, Rng& rng)
{
    ZarrHCSPlate p{};
    p.path = c.text(rng.chance(0.5) ? "plate" : "hcs/plate1");
    p.name = c.text("fuzz plate");
    auto& rows = c.names.emplace_back(std::vector<const char*>{ "A", "B" });
    auto& columns = c.names.emplace_back(std::vector<const char*>{ "1", "2" });
    p.row_names = rows.data();
    p.row_count = size_t(rng.range(1, 2));
    p.column_names = columns.data();
    p.column_count = size_t(rng.range(1, 2));
    auto& acquisitions = c.acquisitions.emplace_back();
    for (int i = 0; i < rng.range(0, 2); ++i) {
        ZarrHCSAcquisition acq{};
        acq.id = uint32_t(i);
        acq.name = c.text("acq" + std::to_string(i));
        acq.has_start_time = acq.has_end_time = rng.chance(0.5);
        acq.start_time = 100;
        acq.end_time = 150;
        acquisitions.push_back(acq);
    }
    p.acquisitions = acquisitions.empty() ? nullptr : acquisitions.data();
    p.acquisition_count = acquisitions.size();
    auto& wells = c.wells.emplace_back();
    for (size_t w = 0; w < p.row_count && w < 2; ++w) {
        auto& images = c.images.emplace_back();
        ZarrHCSFieldOfView fov{};
        fov.path = c.text("fov1");
        fov.array_settings = &c.field_arrays.emplace_back(make_array(c, rng, nullptr, true));
        if (!acquisitions.empty() && rng.chance(0.5)) {
            fov.has_acquisition_id = true;
            fov.acquisition_id = acquisitions.back().id;
        }
        images.push_back(fov);
        ZarrHCSWell well{};
        well.row_name = rows[w];
        well.column_name = columns[0];
        well.images = images.data();
        well.image_count = images.size();
        wells.push_back(well);
    }
    p.wells = wells.data();
    p.well_count = wells.size();
    c.plates.push_back(p);
}

inline void
make_valid(Case& c, Rng& rng)
{
    ZarrStreamSettings& s = c.settings;
    s.version = rng.chance(0.3) ? ZarrVersion_2 : ZarrVersion_3;
    s.max_threads = unsigned(rng.range(0, 3));
    s.overwrite = rng.chance(0.5);
    const int count = rng.pick(std::vector<int>{ 1, 1, 1, 2, 3 });
    static const std::vector<std::string> keys = { "a", "img", "cam_0", "x.y-z", "g/arr",
                                                   "deep/er/arr", "A1" };
    std::vector<std::string> chosen = keys;
    std::shuffle(chosen.begin(), chosen.end(), rng.engine);
    const bool plate = rng.chance(0.15);
    for (int i = 0; i < count; ++i) {
        const bool root = count == 1 && !plate && rng.chance(0.2);
        c.arrays.push_back(make_array(c, rng, root ? nullptr : c.text(chosen[i]), false));
    }
    if (plate) {
        make_plate(c, rng);
        if (rng.chance(0.3)) {
            c.arrays.clear();
        }
    }
    c.store_path = rng.pick(std::vector<std::string>{
      "{sandbox}/store.zarr", "{sandbox}//store.zarr", "{sandbox}/./store.zarr/",
      "{sandbox}/work/../store.zarr", "store.zarr", "./store.zarr", "../store.zarr",
      "sub/../store.zarr", "{sandbox}/new/deeper/store.zarr" });
    c.existing_store = rng.chance(0.3);
    if (c.existing_store && c.arrays.size() == 1 && !c.arrays[0].output_key) {
        s.overwrite = true; // an array cannot replace the old store's root group
    }
}

/// Points the settings at the case's parts (after mutations resized them).
inline void
link(Case& c)
{
    c.settings.arrays = c.arrays.empty() ? nullptr : c.arrays.data();
    c.settings.array_count = c.arrays.size();
    if (!c.plates.empty()) {
        c.hcs.plates = c.plates.data();
        c.hcs.plate_count = c.plates.size();
        c.settings.hcs_settings = &c.hcs;
    }
}

} // namespace fuzz

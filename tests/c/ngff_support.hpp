// ngff_support.hpp: shared pieces of the C++ tests of pyramids, storage
// order and HCS plates (test_pyramid.cpp, test_storage_order.cpp,
// test_hcs.cpp), all driven through the C API only:
//
//  - reading JSON documents back with nlohmann::json;
//  - decoding Blosc chunks with c-blosc itself;
//  - an independent reference of the pyramid: which levels there are (the
//    plan) and what each level holds (2x2(x2) block reductions), written
//    from the contract in API.md / FORMAT.md and sharing nothing with src/;
//  - reading one level of a pyramid back with store_reader.h.
//
// Include test_helpers.h and store_reader.h first.
#ifndef AQZ_NGFF_SUPPORT_HPP
#define AQZ_NGFF_SUPPORT_HPP

#include <nlohmann/json.hpp>

#include <blosc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

using nlohmann::json;

// ---- JSON ----------------------------------------------------------------

static inline json
read_json(const std::string& path)
{
    size_t size = 0;
    unsigned char* text = read_file(path.c_str(), &size);
    if (!text) {
        aqz_fail(__FILE__, __LINE__, "%s: missing", path.c_str());
        return json();
    }
    json doc = json::parse(std::string(reinterpret_cast<char*>(text), size), nullptr, false);
    free(text);
    if (doc.is_discarded()) {
        aqz_fail(__FILE__, __LINE__, "%s: not valid JSON", path.c_str());
        return json();
    }
    return doc;
}

// CHECK_JSON(actual, expected): equal JSON values; prints both otherwise.
#define CHECK_JSON(actual, expected)                                           \
    do {                                                                       \
        const json a_ = (actual);                                              \
        const json e_ = (expected);                                            \
        if (a_ != e_) {                                                        \
            aqz_fail(__FILE__, __LINE__, "%s is %s, expected %s", #actual,     \
                     a_.dump().c_str(), e_.dump().c_str());                    \
        }                                                                      \
    } while (0)

// A JSON value at a path of object keys / array indices, or null when any
// step is missing (so chains never throw).
static inline json
json_at(const json& doc, std::initializer_list<json> path)
{
    const json* node = &doc;
    for (const json& step : path) {
        if (step.is_string()) {
            const std::string key = step.get<std::string>();
            if (!node->is_object() || !node->contains(key)) {
                return json();
            }
            node = &(*node)[key];
        } else {
            const std::size_t index = step.get<std::size_t>();
            if (!node->is_array() || index >= node->size()) {
                return json();
            }
            node = &(*node)[index];
        }
    }
    return *node;
}

// ---- Blosc, with its own library ------------------------------------------

static inline int
decode_blosc(const unsigned char* in, size_t in_size, unsigned char* out, size_t out_size)
{
    if (in_size < 16) {
        return 0;
    }
    size_t nbytes = 0, cbytes = 0, blocksize = 0;
    blosc_cbuffer_sizes(in, &nbytes, &cbytes, &blocksize);
    if (nbytes != out_size || cbytes != in_size) {
        return 0;
    }
    return blosc_decompress_ctx(in, out, out_size, 1) == (int)out_size;
}

// ---- the reference pyramid ------------------------------------------------

// One dimension of one level, in storage order.
struct RefDim
{
    std::string name;
    ZarrDimensionType type;
    uint64_t size;   // what is (to be) written; for the append dimension the
                     // number of rows written
    bool bounded;    // false: the unbounded append dimension
    uint64_t chunk;
    uint64_t shard;  // chunks per shard
    double scale;
    std::string unit;
};

struct RefLevel
{
    std::vector<RefDim> dims;
    bool halves_xy = false; // how this level was made from the previous one
    bool halves_z = false;
};

static inline uint64_t
ceil_half(uint64_t n)
{
    return (n + 1) / 2;
}

// The base level of an array of `dims` (storage order) with `rows` written
// along the first dimension.
static inline RefLevel
base_level(const std::vector<ZarrDimensionProperties>& dims, uint64_t rows)
{
    RefLevel level;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        RefDim d;
        d.name = dims[i].name;
        d.type = dims[i].type;
        d.bounded = dims[i].array_size_px != 0;
        d.size = i == 0 ? rows : dims[i].array_size_px;
        d.chunk = dims[i].chunk_size_px;
        d.shard = dims[i].shard_size_chunks;
        d.scale = dims[i].scale == 0 ? 1.0 : dims[i].scale;
        d.unit = dims[i].unit ? dims[i].unit : "";
        level.dims.push_back(d);
    }
    return level;
}

// The contract: Y/X are the last two; Z is the third-last when it is SPACE
// and bounded. A step halves Y and X (ceil) while min(Y, X) > max(chunk Y,
// chunk X), and Z while Z > chunk Z; max_levels caps the downsampled levels
// (0 = no cap). Chunks stay; shards shrink to min(shard, ceil(size/chunk)).
static inline std::vector<RefLevel>
plan_reference(const RefLevel& base, unsigned max_levels)
{
    std::vector<RefLevel> levels{ base };
    const std::size_t rank = base.dims.size();
    const std::size_t y = rank - 2, x = rank - 1;
    const bool has_z = rank >= 3 && base.dims[rank - 3].type == ZarrDimensionType_Space &&
                       base.dims[rank - 3].bounded;
    while (max_levels == 0 || levels.size() < 1 + (std::size_t)max_levels) {
        RefLevel next = levels.back();
        auto& d = next.dims;
        next.halves_xy = std::min(d[y].size, d[x].size) > std::max(d[y].chunk, d[x].chunk);
        next.halves_z = has_z && d[rank - 3].size > d[rank - 3].chunk;
        if (!next.halves_xy && !next.halves_z) {
            break;
        }
        if (next.halves_xy) {
            d[y].size = ceil_half(d[y].size);
            d[x].size = ceil_half(d[x].size);
            d[y].scale *= 2;
            d[x].scale *= 2;
        }
        if (next.halves_z) {
            d[rank - 3].size = ceil_half(d[rank - 3].size);
            d[rank - 3].scale *= 2;
        }
        for (auto& dimension : d) {
            if (dimension.bounded) {
                dimension.shard =
                  std::min<uint64_t>(dimension.shard, aqz_ceil_div(dimension.size, dimension.chunk));
            }
        }
        levels.push_back(next);
    }
    return levels;
}

// Integer `sum / count` (count > 0) rounded to nearest, ties to even, with
// floor semantics for negative sums.
static inline __int128
mean_round_half_even(__int128 sum, __int128 count)
{
    __int128 q = sum / count;
    __int128 r = sum % count;
    if (r < 0) { // C truncates towards zero: make it a floor division
        q -= 1;
        r += count;
    }
    if (2 * r > count || (2 * r == count && (q & 1) != 0)) {
        q += 1;
    }
    return q;
}

// One reference step. `in` is C order over [outer][Z][H][W] (Z = 1 when the
// step leaves Z alone); returns the next level's [outer][Z'][H'][W'].
template<typename T>
std::vector<T>
reference_step(const std::vector<T>& in,
               uint64_t outer,
               uint64_t Z,
               uint64_t H,
               uint64_t W,
               bool halve_xy,
               bool halve_z,
               ZarrDownsamplingMethod method)
{
    const uint64_t Zo = halve_z ? ceil_half(Z) : Z;
    const uint64_t Ho = halve_xy ? ceil_half(H) : H;
    const uint64_t Wo = halve_xy ? ceil_half(W) : W;
    std::vector<T> out(outer * Zo * Ho * Wo);
    std::vector<T> samples;
    for (uint64_t o = 0; o < outer; ++o) {
        for (uint64_t z = 0; z < Zo; ++z) {
            // Planes: the pair (2z, 2z+1), or the odd last plane alone.
            std::vector<uint64_t> planes;
            if (halve_z) {
                planes.push_back(2 * z);
                if (2 * z + 1 < Z) {
                    planes.push_back(2 * z + 1);
                }
            } else {
                planes.push_back(z);
            }
            for (uint64_t yo = 0; yo < Ho; ++yo) {
                for (uint64_t xo = 0; xo < Wo; ++xo) {
                    samples.clear();
                    for (uint64_t p : planes) {
                        // An odd edge repeats its last row / column.
                        const uint64_t rows[2] = { halve_xy ? 2 * yo : yo,
                                                   halve_xy ? std::min(2 * yo + 1, H - 1) : yo };
                        const uint64_t cols[2] = { halve_xy ? 2 * xo : xo,
                                                   halve_xy ? std::min(2 * xo + 1, W - 1) : xo };
                        const int n = halve_xy ? 2 : 1;
                        for (int r = 0; r < n; ++r) {
                            for (int c = 0; c < n; ++c) {
                                samples.push_back(in[((o * Z + p) * H + rows[r]) * W + cols[c]]);
                            }
                        }
                    }
                    T result = samples[0];
                    switch (method) {
                        case ZarrDownsamplingMethod_Decimate:
                            break;
                        case ZarrDownsamplingMethod_Min:
                            for (T s : samples) {
                                result = s < result ? s : result;
                            }
                            break;
                        case ZarrDownsamplingMethod_Max:
                            for (T s : samples) {
                                result = s > result ? s : result;
                            }
                            break;
                        case ZarrDownsamplingMethod_Mean:
                            if constexpr (std::is_floating_point_v<T>) {
                                long double sum = 0;
                                for (T s : samples) {
                                    sum += s;
                                }
                                result = T(sum / samples.size());
                            } else {
                                __int128 sum = 0;
                                for (T s : samples) {
                                    sum += (__int128)s;
                                }
                                result = T(mean_round_half_even(sum, (__int128)samples.size()));
                            }
                            break;
                        default:
                            aqz_fail(__FILE__, __LINE__, "no such method %d", (int)method);
                    }
                    out[((o * Zo + z) * Ho + yo) * Wo + xo] = result;
                }
            }
        }
    }
    return out;
}

// The next level's pixels from `level`'s (C order over `from`'s dims).
template<typename T>
std::vector<T>
reference_next(const std::vector<T>& pixels,
               const RefLevel& from,
               const RefLevel& to,
               ZarrDownsamplingMethod method)
{
    const std::size_t rank = from.dims.size();
    const uint64_t H = from.dims[rank - 2].size, W = from.dims[rank - 1].size;
    uint64_t Z = 1, outer = 1;
    const std::size_t outer_dims = to.halves_z ? rank - 3 : rank - 2;
    for (std::size_t i = 0; i < outer_dims; ++i) {
        outer *= from.dims[i].size;
    }
    if (to.halves_z) {
        Z = from.dims[rank - 3].size;
    }
    return reference_step<T>(pixels, outer, Z, H, W, to.halves_xy, to.halves_z, method);
}

// All levels' pixels, from level 0's.
template<typename T>
std::vector<std::vector<T>>
reference_pyramid(const std::vector<T>& level0,
                  const std::vector<RefLevel>& levels,
                  ZarrDownsamplingMethod method)
{
    std::vector<std::vector<T>> result{ level0 };
    for (std::size_t i = 1; i < levels.size(); ++i) {
        result.push_back(reference_next<T>(result.back(), levels[i - 1], levels[i], method));
    }
    return result;
}

static inline uint64_t
level_pixels(const RefLevel& level)
{
    uint64_t n = 1;
    for (const auto& d : level.dims) {
        n *= d.size;
    }
    return n;
}

// Read the array of `level` at `array_dir` back; empty on failure.
template<typename T>
std::vector<T>
read_level(const std::string& array_dir,
           int version,
           const RefLevel& level,
           int (*decode)(const unsigned char*, size_t, unsigned char*, size_t))
{
    ArrayLayout layout;
    memset(&layout, 0, sizeof(layout));
    layout.version = version;
    layout.ndims = (int)level.dims.size();
    layout.bytes_per_px = sizeof(T);
    layout.decode = decode;
    for (std::size_t d = 0; d < level.dims.size(); ++d) {
        layout.shape[d] = level.dims[d].size;
        layout.chunk[d] = level.dims[d].chunk;
        layout.shard_chunks[d] = level.dims[d].shard;
    }
    unsigned char* raw = read_array(array_dir.c_str(), &layout);
    if (!raw) {
        aqz_fail(__FILE__, __LINE__, "%s: cannot read", array_dir.c_str());
        return {};
    }
    std::vector<T> out(level_pixels(level));
    memcpy(out.data(), raw, out.size() * sizeof(T));
    free(raw);
    return out;
}

// Compare two pixel vectors; returns the count of differences.
template<typename T>
size_t
compare_levels(const std::vector<T>& actual, const std::vector<T>& expected, const std::string& what)
{
    if (actual.size() != expected.size()) {
        aqz_fail(__FILE__, __LINE__, "%s: %zu pixels, expected %zu", what.c_str(),
                 actual.size(), expected.size());
        return expected.size();
    }
    size_t bad = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        if (memcmp(&actual[i], &expected[i], sizeof(T)) != 0) {
            if (bad < 5) {
                long double a = (long double)actual[i], e = (long double)expected[i];
                aqz_fail(__FILE__, __LINE__, "%s: pixel %zu is %.0Lf, expected %.0Lf",
                         what.c_str(), i, a, e);
            }
            ++bad;
        }
    }
    if (bad > 5) {
        aqz_fail(__FILE__, __LINE__, "%s: %zu pixels differ in all", what.c_str(), bad);
    }
    return bad;
}

// The metadata of level `level` of an image group: shape, chunks, shards
// (v3: chunk_grid = shard shape, sharding chunk_shape = chunk) or v2
// (.zarray shape and chunks).
static inline void
check_level_metadata(const std::string& array_dir, int version, const RefLevel& level)
{
    json shape = json::array(), chunks = json::array(), shards = json::array();
    for (const auto& d : level.dims) {
        shape.push_back(d.size);
        chunks.push_back(d.chunk);
        shards.push_back(d.chunk * d.shard);
    }
    if (version == 3) {
        json doc = read_json(array_dir + "/zarr.json");
        CHECK_JSON(json_at(doc, { "node_type" }), "array");
        CHECK_JSON(json_at(doc, { "shape" }), shape);
        CHECK_JSON(json_at(doc, { "chunk_grid", "configuration", "chunk_shape" }), shards);
        CHECK_JSON(json_at(doc, { "codecs", 0, "configuration", "chunk_shape" }), chunks);
        json names = json::array();
        for (const auto& d : level.dims) {
            names.push_back(d.name);
        }
        CHECK_JSON(json_at(doc, { "dimension_names" }), names);
    } else {
        json doc = read_json(array_dir + "/.zarray");
        CHECK_JSON(json_at(doc, { "shape" }), shape);
        CHECK_JSON(json_at(doc, { "chunks" }), chunks);
    }
}

// The multiscales document of an image group at `group_dir`: NGFF 0.5 in
// v3 (attributes.ome), 0.4 in v2 (.zattrs); one dataset per level with the
// level's scales; axes named and typed after `levels[0]`.
static inline json
check_multiscales(const std::string& group_dir,
                  int version,
                  const std::vector<RefLevel>& levels,
                  const char* method_type /* a word of "type"; NULL: none */)
{
    json multiscale;
    if (version == 3) {
        json doc = read_json(group_dir + "/zarr.json");
        CHECK_JSON(json_at(doc, { "zarr_format" }), 3);
        CHECK_JSON(json_at(doc, { "node_type" }), "group");
        CHECK_JSON(json_at(doc, { "attributes", "ome", "version" }), "0.5");
        json all = json_at(doc, { "attributes", "ome", "multiscales" });
        CHECK(all.is_array() && all.size() == 1);
        multiscale = json_at(all, { 0 });
    } else {
        CHECK(path_exists((group_dir + "/.zgroup").c_str()));
        CHECK(!path_exists((group_dir + "/.zarray").c_str()));
        json doc = read_json(group_dir + "/.zattrs");
        json all = json_at(doc, { "multiscales" });
        CHECK(all.is_array() && all.size() == 1);
        multiscale = json_at(all, { 0 });
        CHECK_JSON(json_at(multiscale, { "version" }), "0.4");
    }

    json axes = json::array();
    for (const auto& d : levels[0].dims) {
        json axis = json::object();
        axis["name"] = d.name;
        switch (d.type) {
            case ZarrDimensionType_Space:
                axis["type"] = "space";
                break;
            case ZarrDimensionType_Time:
                axis["type"] = "time";
                break;
            case ZarrDimensionType_Channel:
                axis["type"] = "channel";
                break;
            default:
                break;
        }
        if (!d.unit.empty()) {
            axis["unit"] = d.unit;
        }
        axes.push_back(axis);
    }
    CHECK_JSON(json_at(multiscale, { "axes" }), axes);

    json datasets = json_at(multiscale, { "datasets" });
    CHECK(datasets.is_array());
    CHECK_EQ(datasets.size(), levels.size());
    for (std::size_t i = 0; i < levels.size() && i < datasets.size(); ++i) {
        CHECK_JSON(json_at(datasets, { i, "path" }), std::to_string(i));
        json transforms = json_at(datasets, { i, "coordinateTransformations" });
        CHECK(transforms.is_array() && transforms.size() >= 1);
        CHECK_JSON(json_at(transforms, { 0, "type" }), "scale");
        json scale = json_at(transforms, { 0, "scale" });
        bool scale_ok = scale.is_array() && scale.size() == levels[i].dims.size();
        for (std::size_t d = 0; scale_ok && d < levels[i].dims.size(); ++d) {
            scale_ok = scale[d].is_number() &&
                       std::fabs(scale[d].get<double>() - levels[i].dims[d].scale) < 1e-12;
        }
        if (!scale_ok) {
            aqz_fail(__FILE__, __LINE__, "%s dataset %zu scale %s", group_dir.c_str(), i,
                     scale.dump().c_str());
        }
    }
    if (method_type) { // named after the method, e.g. "local_mean" or "mean"
        json type = json_at(multiscale, { "type" });
        if (!type.is_string() || !contains_ci(type.get<std::string>().c_str(), method_type)) {
            aqz_fail(__FILE__, __LINE__, "%s: multiscale type %s does not name %s",
                     group_dir.c_str(), type.dump().c_str(), method_type);
        }
    } else {
        CHECK(!multiscale.contains("type"));
    }
    return multiscale;
}


// ---- streams ----------------------------------------------------------------

struct ArrayOptions
{
    const char* key = nullptr;
    ZarrDataType type = ZarrDataType_uint16;
    std::vector<ZarrDimensionProperties> dims; // acquisition order
    ZarrCompressionSettings* compression = nullptr;
    ZarrDownsamplingMethod method = ZarrDownsamplingMethod_None;
    uint32_t max_levels = 0;
    bool is_ngff = false;
    const size_t* storage_order = nullptr;
};

// Fill `array` (allocated by the helpers) from `options`.
static inline bool
fill_array_settings(ZarrArraySettings* array, const ArrayOptions& options)
{
    array->output_key = options.key;
    array->data_type = options.type;
    array->compression_settings = options.compression;
    array->downsampling_method = options.method;
    array->max_levels = options.max_levels;
    array->is_ngff = options.is_ngff;
    array->storage_dimension_order = options.storage_order;
    if (ZarrArraySettings_create_dimension_array(array, options.dims.size()) !=
        ZarrStatusCode_Success) {
        return false;
    }
    memcpy(array->dimensions, options.dims.data(),
           options.dims.size() * sizeof(ZarrDimensionProperties));
    return true;
}

// A stream of one array; the settings are freed before returning.
static inline ZarrStream*
open_array(const std::string& store, ZarrVersion version, const ArrayOptions& options)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = store.c_str();
    settings.version = version;
    settings.overwrite = true;
    if (ZarrStreamSettings_create_arrays(&settings, 1) != ZarrStatusCode_Success) {
        return nullptr;
    }
    ZarrStream* stream = nullptr;
    if (fill_array_settings(&settings.arrays[0], options)) {
        stream = ZarrStream_create(&settings);
    }
    ZarrStreamSettings_destroy_arrays(&settings);
    return stream;
}

// ZarrStreamSettings_estimate_max_memory_usage for a stream of one array.
static inline size_t
estimate_for(ZarrVersion version, const ArrayOptions& options, unsigned max_threads = 0)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = "never-created.zarr";
    settings.version = version;
    settings.max_threads = max_threads;
    size_t usage = 0;
    if (ZarrStreamSettings_create_arrays(&settings, 1) == ZarrStatusCode_Success &&
        fill_array_settings(&settings.arrays[0], options)) {
        CHECK_OK(ZarrStreamSettings_estimate_max_memory_usage(&settings, &usage));
    }
    ZarrStreamSettings_destroy_arrays(&settings);
    return usage;
}

// Append `bytes` in pieces of `piece` bytes (the last one shorter). With a
// `max_usage`, the stream's current memory usage must stay within it.
static inline void
append_in_pieces(ZarrStream* stream, const void* data, size_t bytes, size_t piece,
                 const char* key = nullptr, size_t max_usage = 0)
{
    const unsigned char* p = static_cast<const unsigned char*>(data);
    size_t peak = 0;
    for (size_t at = 0; at < bytes; at += piece) {
        const size_t n = std::min(piece, bytes - at);
        size_t bytes_out = 0;
        CHECK_OK(ZarrStream_append(stream, p + at, n, &bytes_out, key));
        CHECK_EQ(bytes_out, n);
        if (max_usage) {
            size_t usage = 0;
            CHECK_OK(ZarrStream_get_current_memory_usage(stream, &usage));
            peak = std::max(peak, usage);
        }
    }
    if (max_usage && peak > max_usage) {
        aqz_fail(__FILE__, __LINE__, "memory in use reached %zu bytes, estimate %zu", peak,
                 max_usage);
    }
}

// Deterministic pseudo-random 64-bit values (splitmix64).
static inline uint64_t
mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

#endif // AQZ_NGFF_SUPPORT_HPP

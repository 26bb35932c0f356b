#include "api/SettingsValidator.hpp"

#include "api/PlateValidator.hpp"
#include "api/S3Validator.hpp"

#include "format/DataType.hpp"
#include "spec/LayerDimension.hpp"
#include "spec/NodeKey.hpp"
#include "util/Logger.hpp"
#include "util/RawEnum.hpp"
#include "util/Utf8.hpp"
#include "util/ZarrError.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <thread>

namespace zarr {
namespace {

constexpr auto kInvalid = ZarrStatusCode_InvalidSettings;
constexpr unsigned kMaxThreads = 4096; // more is never useful, and may not start
// Geometry limits: far beyond any useful layout, well within memory.
constexpr uint64_t kMaxChunksPerShard = uint64_t(1) << 24;
constexpr uint64_t kMaxChunksPerLayer = uint64_t(1) << 20;
// The indices of a row of shards are in memory together (64 MiB here).
constexpr uint64_t kMaxChunksPerShardRow = uint64_t(1) << 22;

/// A store path must not be, once `.`, `..` and symbolic links are
/// resolved, the filesystem root, the working directory or one of its
/// parents: with overwrite, the store is removed before it is written.
void
validate_store_path(const std::string& store_path)
{
    namespace fs = std::filesystem;
    std::error_code error;
    fs::path resolved = fs::weakly_canonical(fs::absolute(store_path, error), error);
    if (error) {
        fail(kInvalid,
             "store_path '",
             printable(store_path),
             "' cannot be resolved: ",
             error.message());
    }
    resolved = resolved.lexically_normal();
    if (!resolved.has_filename()) {
        resolved = resolved.parent_path(); // "a/b/" -> "a/b"
    }
    if (resolved == resolved.root_path() || resolved.empty()) {
        fail(kInvalid, "store_path '", printable(store_path), "' is the filesystem root");
    }
    const fs::path working = fs::weakly_canonical(fs::current_path(error), error);
    if (!error) {
        const auto [mismatch, unused] =
          std::mismatch(resolved.begin(), resolved.end(), working.begin(), working.end());
        if (mismatch == resolved.end()) {
            fail(kInvalid,
                 "store_path '",
                 printable(store_path),
                 "' is the working directory",
                 resolved == working ? "" : " or one of its parents",
                 " ('",
                 resolved.string(),
                 "'); give the store a directory of its own");
        }
    }
}

const char*
dimension_type_name(ZarrDimensionType type)
{
    switch (type) {
        case ZarrDimensionType_Space:
            return "Space";
        case ZarrDimensionType_Channel:
            return "Channel";
        case ZarrDimensionType_Time:
            return "Time";
        case ZarrDimensionType_Other:
            return "Other";
        default:
            return "unknown";
    }
}

/// A node name: letters, digits, '_', '.', '-'; not "." or ".."; no
/// leading "__" (reserved by Zarr); not a Zarr metadata file's name; no
/// longer than a file name may be.
void
check_node_name(const std::string& where,
                const std::string& key,
                const std::string& name)
{
    const std::string shown = printable(key);
    if (name.empty()) {
        fail(kInvalid, where, " '", shown, "' has an empty path component");
    }
    if (name == "." || name == "..") {
        fail(kInvalid, where, " '", shown, "' may not contain '", name, "'");
    }
    if (name.starts_with("__")) {
        fail(kInvalid,
             where,
             " '",
             shown,
             "': the name '",
             name,
             "' starts with '__', which Zarr reserves");
    }
    for (const char c : name) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                             c == '-';
        if (!allowed) {
            const bool ascii = static_cast<unsigned char>(c) < 0x80;
            fail(kInvalid,
                 where,
                 " '",
                 shown,
                 "' contains ",
                 ascii ? concat("the character '", c, "'") : std::string("a non-ASCII character"),
                 "; node names may only use letters, digits, '_', '.' and '-'");
        }
    }
    static const char* const kMetadataNames[] = { "zarr.json", ".zarray", ".zgroup",
                                                  ".zattrs",   ".zmetadata" };
    for (const char* reserved : kMetadataNames) {
        if (name == reserved) {
            fail(kInvalid,
                 where,
                 " '",
                 shown,
                 "' uses the name '",
                 name,
                 "', which is a Zarr metadata document's");
        }
    }
    constexpr std::size_t kMaxName = 255; // a file name on every filesystem
    if (name.size() > kMaxName) {
        fail(kInvalid,
             where,
             " '",
             shown.substr(0, 80),
             "...': the component '",
             name.substr(0, 40),
             "...' is ",
             name.size(),
             " bytes; a node name may have at most ",
             kMaxName);
    }
}

/// Normalises a key given by the caller and checks each component.
std::string
checked_key(const std::string& where, const char* raw)
{
    const std::string key = normalise_key(raw ? raw : "");
    std::size_t start = 0;
    while (!key.empty()) {
        const std::size_t slash = key.find('/', start);
        check_node_name(where, key, key.substr(start, slash - start));
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return key;
}

CompressionSpec
validate_compression(const std::string& where, const ZarrCompressionSettings& c)
{
    if (!enum_in_range(c.compressor, ZarrCompressorCount)) {
        fail(kInvalid, where, ".compressor ", raw_enum(c.compressor), " is not a ZarrCompressor");
    }
    if (!enum_in_range(c.codec, ZarrCompressionCodecCount)) {
        fail(kInvalid, where, ".codec ", raw_enum(c.codec), " is not a ZarrCompressionCodec");
    }
    const bool blosc_codec = c.codec == ZarrCompressionCodec_BloscLZ4 ||
                             c.codec == ZarrCompressionCodec_BloscZstd;
    if (c.compressor == ZarrCompressor_Blosc1 && !blosc_codec) {
        fail(kInvalid,
             where,
             ".codec ",
             int(c.codec),
             " does not go with compressor Blosc1: use BloscLZ4 or BloscZstd");
    }
    if (c.compressor == ZarrCompressor_Zstd && c.codec != ZarrCompressionCodec_Zstd) {
        fail(kInvalid,
             where,
             ".codec ",
             int(c.codec),
             " does not go with compressor Zstd: use the Zstd codec");
    }
    CompressionSpec spec;
    spec.compressor = c.compressor;
    spec.codec = c.codec;
    spec.level = c.level;
    spec.shuffle = c.shuffle;
    if (c.compressor == ZarrCompressor_Blosc1 && c.level > 9) {
        fail(kInvalid, where, ".level ", int(c.level), " is out of range: Blosc takes 0 to 9");
    }
    if (c.compressor == ZarrCompressor_Zstd && (c.level < 1 || c.level > 22)) {
        fail(kInvalid, where, ".level ", int(c.level), " is out of range: Zstd takes 1 to 22");
    }
    if (c.shuffle > 2) {
        fail(kInvalid,
             where,
             ".shuffle ",
             int(c.shuffle),
             " is out of range: 0 (none), 1 (byte) or 2 (bit)");
    }
    return spec;
}

/// Multiplies, failing on overflow: sizes come from the caller.
uint64_t
checked_product(const std::string& where, uint64_t a, uint64_t b)
{
    if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
        fail(ZarrStatusCode_Overflow, where, " is too large: its size overflows 64 bits");
    }
    return a * b;
}

/// Shards larger than the array only cost memory, disk and time (a shard
/// of 10^8 chunks of a two-chunk axis has an index of 10^8 entries): along a
/// bounded axis they are cut to the array (the data read back is the same),
/// and what cannot be cut is refused. Chunks stay as asked (the format fixes
/// a chunk's encoded size by its declared shape); what they cost in memory
/// is checked with the rest of the stream's memory, and in padding by
/// check_chunk_padding.
void
clamp_to_array(const std::string& name, std::vector<DimensionSpec>& dimensions)
{
    uint64_t chunks_per_shard = 1;
    for (std::size_t i = 0; i < dimensions.size(); ++i) {
        DimensionSpec& d = dimensions[i];
        if (d.size > 0) {
            const uint64_t chunks = (d.size + d.chunk - 1) / d.chunk;
            if (d.shard_chunks > chunks) {
                log_debug(name, " '", d.name, "': ", d.shard_chunks, " chunks per shard cut to ", chunks);
                d.shard_chunks = chunks;
            }
        }
        chunks_per_shard *= d.shard_chunks; // each at most 2^32: no overflow in 2 steps
        if (chunks_per_shard > kMaxChunksPerShard) {
            fail(kInvalid,
                 name,
                 ": a shard of ",
                 d.shard_chunks,
                 " chunks along '",
                 d.name,
                 "' (and the others) would hold more than ",
                 kMaxChunksPerShard,
                 " chunks (its index alone would take ",
                 kMaxChunksPerShard * 16 / (1 << 20),
                 " MiB); use fewer shard_size_chunks");
        }
    }
}

/// The writer's unit of work, a *layer* (see ChunkLattice), must stay
/// within bounds: its chunks, and the shard indices open while layers are
/// written. A layer is one chunk along the layer dimension (the first with
/// a chunk above 1 among those before Y, X; the first dimension when frames
/// come out of order) and one index along each before it, with every chunk
/// of the dimensions after it. Dimensions before the layer dimension have
/// chunk 1. A 2-D array is one layer.
void
check_layer_limits(const std::string& name,
                   const std::vector<DimensionSpec>& dimensions,
                   bool frames_in_order)
{
    const std::size_t rank = dimensions.size();
    const std::size_t layer_dim = layer_dimension(dimensions, frames_in_order);
    const std::size_t first_inner = rank == 2 ? 0 : layer_dim + 1;
    uint64_t chunks_per_layer = 1;
    for (std::size_t i = first_inner; i < rank; ++i) {
        const DimensionSpec& d = dimensions[i];
        chunks_per_layer *= d.size > 0 ? (d.size + d.chunk - 1) / d.chunk : 1;
        if (chunks_per_layer > kMaxChunksPerLayer) {
            fail(kInvalid,
                 name,
                 ": chunk sizes this small make more than ",
                 kMaxChunksPerLayer,
                 rank == 2 ? " chunks in the image" : " chunks per chunk of '",
                 rank == 2 ? "" : dimensions[layer_dim].name + "'",
                 " (dimension '",
                 d.name,
                 "' has chunk_size_px ",
                 d.chunk,
                 "); use larger chunks");
        }
    }
    if (rank == 2) {
        return;
    }
    // The shards a layer writes are open until their last layer, each with
    // an index of 16 bytes per chunk: a layer's chunks times the shards'
    // depth along the layer dimension and those before it (the first,
    // unbounded, cannot be cut to the array), times the rows open at once
    // when shards are deeper than one index before the layer dimension.
    uint64_t depth = 1;
    uint64_t open_rows = 1;
    for (std::size_t k = 0; k <= layer_dim; ++k) {
        depth *= dimensions[k].shard_chunks; // each clamped, the product by kMaxChunksPerShard
        if (k < layer_dim && dimensions[k].shard_chunks > 1 && open_rows == 1) {
            for (std::size_t i = k + 1; i <= layer_dim; ++i) {
                const DimensionSpec& d = dimensions[i];
                const uint64_t chunks = (d.size + d.chunk - 1) / d.chunk;
                open_rows *= (chunks + d.shard_chunks - 1) / d.shard_chunks;
            }
        }
    }
    const uint64_t open_entries = chunks_per_layer * depth; // at most 2^20 * 2^24
    if (open_entries > kMaxChunksPerShardRow ||
        open_rows > kMaxChunksPerShardRow / std::max<uint64_t>(open_entries, 1)) {
        std::size_t deepest = 0; // the dimension to name: its shards are the deepest
        for (std::size_t k = 1; k <= layer_dim; ++k) {
            if (dimensions[k].shard_chunks > dimensions[deepest].shard_chunks) {
                deepest = k;
            }
        }
        const uint64_t total = open_entries > kMaxChunksPerShardRow ? open_entries
                                                                    : open_entries * open_rows;
        fail(kInvalid,
             name,
             ": dimension '",
             dimensions[deepest].name,
             "' has shard_size_chunks ",
             dimensions[deepest].shard_chunks,
             ", so the shards open at once hold ",
             total,
             " chunks or more (their indices alone would take ",
             total * 16 / (1 << 20),
             " MiB; at most ",
             kMaxChunksPerShardRow,
             " chunks); use fewer shard_size_chunks along '",
             dimensions[deepest].name,
             "' or larger chunks");
    }
}

/// A chunk larger than its array along a bounded axis is kept as asked
/// (the metadata says what the user chose), but every chunk is encoded at
/// its declared size: 2^31 pixels along a 13-pixel axis would write (or
/// compress) gigabytes of zeros per chunk. More than this much padding in
/// one chunk is refused, naming the largest offender.
constexpr uint64_t kMaxChunkPadding = uint64_t(64) << 20;

void
check_chunk_padding(const std::string& name,
                    const std::vector<DimensionSpec>& dimensions,
                    std::size_t pixel_bytes)
{
    uint64_t declared = pixel_bytes; // no overflow: validate_array checked 8 * chunks
    uint64_t fillable = pixel_bytes;
    const DimensionSpec* worst = nullptr;
    for (const auto& d : dimensions) {
        const uint64_t used = d.size > 0 ? std::min<uint64_t>(d.chunk, d.size) : d.chunk;
        declared *= d.chunk;
        fillable *= used;
        if (used < d.chunk && (!worst || d.chunk / used > worst->chunk / worst->size)) {
            worst = &d;
        }
    }
    if (worst && declared - fillable > kMaxChunkPadding) {
        fail(kInvalid,
             name,
             ": dimension '",
             worst->name,
             "' has chunk_size_px ",
             worst->chunk,
             " but array_size_px ",
             worst->size,
             "; every chunk is stored at its declared size (",
             declared,
             " bytes, of which at most ",
             fillable,
             " hold data). Use a chunk_size_px of at most ",
             worst->size);
    }
}

/// The storage order as acquisition indices per stored dimension; empty
/// when it is the acquisition order.
std::vector<std::size_t>
validate_storage_order(const std::string& name,
                       const ZarrArraySettings& array,
                       const std::vector<DimensionSpec>& dimensions)
{
    if (!array.storage_dimension_order) {
        return {};
    }
    const std::size_t count = array.dimension_count;
    std::vector<bool> seen(count, false);
    std::vector<std::size_t> order;
    bool identity = true;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t index = array.storage_dimension_order[i];
        if (index >= count || seen[index]) {
            fail(kInvalid,
                 name,
                 ".storage_dimension_order[",
                 i,
                 "] = ",
                 index,
                 " is not a permutation of the dimension indices 0..",
                 count - 1);
        }
        seen[index] = true;
        identity = identity && index == i;
        order.push_back(index);
    }
    if (identity) {
        return {};
    }
    // Frames arrive along the first dimension, and each frame is one Y/X
    // image: so the first dimension must stay first, and Y and X last (a
    // swap of the two transposes each frame). A 2-D array is one image and
    // may be transposed.
    if (count > 2 && order[0] != 0) {
        fail(kInvalid,
             name,
             ".storage_dimension_order moves the first dimension '",
             dimensions[0].name,
             "' (it must stay first: frames are appended along it), putting '",
             dimensions[order[0]].name,
             "' first");
    }
    for (std::size_t i = 0; i < count; ++i) {
        const bool frame_axis = order[i] + 2 >= count;
        const bool frame_place = i + 2 >= count;
        if (frame_axis != frame_place) {
            fail(kInvalid,
                 name,
                 ".storage_dimension_order puts '",
                 dimensions[order[i]].name,
                 "' at position ",
                 i,
                 "; the last two dimensions ('",
                 dimensions[count - 2].name,
                 "', '",
                 dimensions[count - 1].name,
                 "') must stay last (they may only swap with each other)");
        }
    }
    return order;
}

/// OME-NGFF (0.4 and 0.5) axes: 2 or 3 space axes, last; before them at
/// most one channel-or-other axis; before that at most one time axis, first.
/// An image that breaks this would be written with metadata that viewers
/// and validators reject, so it is refused (the storage order can fix some).
void
validate_ngff_axes(const std::string& name, const std::vector<DimensionSpec>& stored)
{
    // Rank of each kind in the required order: time, channel/other, space.
    const auto rank = [](ZarrDimensionType kind) {
        return kind == ZarrDimensionType_Time ? 0 : kind == ZarrDimensionType_Space ? 2 : 1;
    };
    std::size_t counts[3] = { 0, 0, 0 };
    for (std::size_t i = 0; i < stored.size(); ++i) {
        const int r = rank(stored[i].kind);
        ++counts[r];
        if (i > 0 && rank(stored[i - 1].kind) > r) {
            fail(kInvalid,
                 name,
                 ": an OME-NGFF image orders its axes time, then channel (or other), then "
                 "space; '",
                 stored[i].name,
                 "' (",
                 dimension_type_name(stored[i].kind),
                 ") comes after '",
                 stored[i - 1].name,
                 "' (",
                 dimension_type_name(stored[i - 1].kind),
                 "). Set storage_dimension_order to store them in that order");
        }
    }
    if (counts[2] > 3) {
        fail(kInvalid,
             name,
             ": an OME-NGFF image has 2 or 3 space axes, these settings have ",
             counts[2]);
    }
    if (counts[0] > 1 || counts[1] > 1) {
        fail(kInvalid,
             name,
             ": an OME-NGFF image has at most one time axis and one channel (or other) axis; "
             "these settings have ",
             counts[0],
             " time and ",
             counts[1],
             " channel/other axes");
    }
}

} // namespace

ArrayNodeSpec
SettingsValidator::validate_array(const std::string& where,
                                  const ZarrArraySettings& array,
                                  ZarrVersion version,
                                  bool always_ngff)
{
    ArraySpec spec;
    spec.version = version;
    spec.key = checked_key(where + ".output_key", array.output_key);
    const std::string name = where + (spec.key.empty() ? "" : " ('" + spec.key + "')");

    if (!enum_in_range(array.data_type, ZarrDataTypeCount)) {
        fail(kInvalid, name, ".data_type ", raw_enum(array.data_type), " is not a ZarrDataType");
    }
    spec.data_type = array.data_type;

    if (array.dimension_count > 0 && !array.dimensions) {
        fail(ZarrStatusCode_InvalidArgument,
             name,
             ".dimensions is NULL but dimension_count is ",
             array.dimension_count);
    }
    if (array.dimension_count < 2) {
        fail(kInvalid,
             name,
             ".dimension_count is ",
             array.dimension_count,
             "; an array needs at least 2 dimensions (the last two are the frame's Y and X)");
    }
    if (array.dimension_count > 32) {
        fail(kInvalid, name, ".dimension_count ", array.dimension_count, " is more than 32");
    }

    std::set<std::string> names;
    for (std::size_t i = 0; i < array.dimension_count; ++i) {
        const ZarrDimensionProperties& d = array.dimensions[i];
        const std::string at = concat(name, ".dimensions[", i, "]");
        DimensionSpec dimension;
        if (!d.name || !*d.name) {
            fail(kInvalid, at, ".name is empty");
        }
        dimension.name = d.name;
        if (!is_valid_utf8(dimension.name)) {
            fail(kInvalid, at, ".name '", printable(dimension.name), "' is not valid UTF-8");
        }
        const std::string dim = at + " ('" + dimension.name + "')";
        if (!names.insert(dimension.name).second) {
            fail(kInvalid, dim, ".name is used by another dimension");
        }
        if (!enum_in_range(d.type, ZarrDimensionTypeCount)) {
            fail(kInvalid, dim, ".type ", raw_enum(d.type), " is not a ZarrDimensionType");
        }
        dimension.kind = d.type;
        if (d.array_size_px == 0 && i > 0) {
            fail(kInvalid,
                 dim,
                 ".array_size_px is 0; only the first dimension may be unbounded (0)");
        }
        if (d.array_size_px == 0 && array.dimension_count == 2) {
            fail(kInvalid,
                 dim,
                 ".array_size_px is 0, but a 2-D array is a single frame: give its size");
        }
        dimension.size = d.array_size_px;
        if (d.chunk_size_px == 0) {
            fail(kInvalid, dim, ".chunk_size_px is 0; it must be at least 1");
        }
        dimension.chunk = d.chunk_size_px;
        if (version == ZarrVersion_3 && d.shard_size_chunks == 0) {
            fail(kInvalid, dim, ".shard_size_chunks is 0; Zarr v3 needs at least 1");
        }
        dimension.shard_chunks = version == ZarrVersion_3 ? d.shard_size_chunks : 1;
        if (d.unit && *d.unit) {
            dimension.unit = d.unit;
            if (!is_valid_utf8(*dimension.unit)) {
                fail(kInvalid, dim, ".unit '", printable(*dimension.unit), "' is not valid UTF-8");
            }
        }
        if (std::isnan(d.scale) || std::isinf(d.scale) || d.scale < 0) {
            fail(kInvalid, dim, ".scale ", d.scale, " is not a positive number");
        }
        dimension.scale = d.scale == 0 ? 1.0 : d.scale;
        spec.dimensions.push_back(std::move(dimension));
    }
    for (std::size_t i = array.dimension_count - 2; i < array.dimension_count; ++i) {
        if (array.dimensions[i].type != ZarrDimensionType_Space) {
            fail(kInvalid,
                 name,
                 ".dimensions[",
                 i,
                 "] ('",
                 array.dimensions[i].name,
                 "') has type ",
                 dimension_type_name(array.dimensions[i].type),
                 "; the last two dimensions must be Space (the frame's Y and X)");
        }
    }

    clamp_to_array(name, spec.dimensions);
    check_layer_limits(name, spec.dimensions, true);

    // Sizes must fit in memory arithmetic.
    uint64_t chunk_bytes = 8;
    for (const auto& dimension : spec.dimensions) {
        chunk_bytes = checked_product(name + " chunk", chunk_bytes, dimension.chunk);
        checked_product(name + " shard", dimension.chunk, dimension.shard_chunks);
    }
    // A layer (one chunk of rows along the first dimension) is held in
    // memory, so its size must be addressable.
    uint64_t layer_bytes = checked_product(name + " layer", 8, spec.dimensions[0].chunk);
    for (std::size_t i = 1; i < spec.dimensions.size(); ++i) {
        const uint64_t chunk = spec.dimensions[i].chunk;
        const uint64_t padded = (spec.dimensions[i].size + chunk - 1) / chunk * chunk;
        layer_bytes = checked_product(name + " layer", layer_bytes, padded);
    }
    if (layer_bytes > std::numeric_limits<std::size_t>::max() / 4) {
        fail(ZarrStatusCode_Overflow, name, ": one layer of chunks would not fit in memory");
    }
    check_chunk_padding(name, spec.dimensions, bytes_of(spec.data_type));

    if (array.compression_settings &&
        raw_enum(array.compression_settings->compressor) != ZarrCompressor_None) {
        spec.compression = validate_compression(name + ".compression_settings",
                                                *array.compression_settings);
        if (chunk_bytes > uint64_t(INT_MAX) - 64) {
            fail(kInvalid,
                 name,
                 ": a compressed chunk may hold at most 2 GiB; these chunk sizes make ",
                 chunk_bytes,
                 " bytes (at 8 bytes per pixel)");
        }
    } else if (array.compression_settings &&
               raw_enum(array.compression_settings->codec) != ZarrCompressionCodec_None) {
        fail(kInvalid,
             name,
             ".compression_settings.codec ",
             raw_enum(array.compression_settings->codec),
             " is set but compressor is None");
    }

    if (!enum_in_range(array.downsampling_method, ZarrDownsamplingMethodCount)) {
        fail(kInvalid,
             name,
             ".downsampling_method ",
             raw_enum(array.downsampling_method),
             " is not a ZarrDownsamplingMethod");
    }
    ArrayNodeSpec node;
    node.downsampling = array.downsampling_method;
    node.max_levels = array.max_levels;
    // A pyramid is always an OME-NGFF multiscale image.
    node.ngff =
      always_ngff || array.is_ngff || node.downsampling != ZarrDownsamplingMethod_None;
    node.storage_order = validate_storage_order(name, array, spec.dimensions);
    node.stored = std::move(spec);
    if (!node.storage_order.empty()) {
        std::vector<DimensionSpec> stored;
        for (const std::size_t index : node.storage_order) {
            stored.push_back(node.stored.dimensions[index]);
        }
        node.stored.dimensions = std::move(stored);
        for (std::size_t i = 0; i + 2 < node.storage_order.size(); ++i) {
            node.stored.frames_in_order = node.stored.frames_in_order && node.storage_order[i] == i;
        }
        if (!node.stored.frames_in_order) { // whole chunks of rows are the layers
            check_layer_limits(name, node.stored.dimensions, false);
        }
    }
    if (node.ngff) {
        validate_ngff_axes(name, node.stored.dimensions);
    }
    return node;
}

std::string
SettingsValidator::validate_key(const std::string& where, const char* raw)
{
    return checked_key(where, raw);
}

unsigned
SettingsValidator::resolve_thread_count(unsigned max_threads)
{
    if (max_threads > 0) {
        return max_threads;
    }
    if (const char* variable = std::getenv("ZARR_MAX_THREADS")) {
        char* end = nullptr;
        const long value = std::strtol(variable, &end, 10);
        if (end != variable && *end == '\0' && value > 0 && value <= long(kMaxThreads)) {
            return unsigned(value);
        }
        log_warning("ignoring ZARR_MAX_THREADS='",
                    variable,
                    "': it is not a whole number from 1 to 4096");
    }
    const unsigned hardware = std::thread::hardware_concurrency();
    return hardware > 0 ? hardware : 1;
}

StreamSpec
SettingsValidator::validate(const ZarrStreamSettings* settings, bool for_estimate)
{
    if (!settings) {
        fail(ZarrStatusCode_InvalidArgument, "settings is NULL");
    }
    StreamSpec spec;
    if ((!settings->store_path || !*settings->store_path) && !for_estimate) {
        fail(kInvalid, "store_path is empty");
    }
    spec.store_path = settings->store_path ? settings->store_path : "";
    if (!for_estimate && !settings->s3_settings) {
        validate_store_path(spec.store_path); // a directory (with S3: a key prefix)
    }

    const int version = raw_enum(settings->version);
    if (version == 0) {
        spec.version = ZarrVersion_3;
    } else if (version == ZarrVersion_2 || version == ZarrVersion_3) {
        spec.version = settings->version;
    } else {
        fail(kInvalid,
             "version ",
             version,
             " is not a Zarr version: use ZarrVersion_2 or ZarrVersion_3");
    }
    if (spec.version == ZarrVersion_2) {
        log_warning("Zarr v2 is deprecated; prefer ZarrVersion_3");
    }
    spec.overwrite = settings->overwrite;
    if (settings->max_threads > kMaxThreads) {
        fail(kInvalid,
             "max_threads ",
             settings->max_threads,
             " is more than ",
             kMaxThreads,
             " (0 means ZARR_MAX_THREADS, else all cores)");
    }
    spec.thread_count = resolve_thread_count(settings->max_threads);

    if (settings->array_count > 0 && !settings->arrays) {
        fail(ZarrStatusCode_InvalidArgument,
             "arrays is NULL but array_count is ",
             settings->array_count);
    }
    const bool has_plates =
      settings->hcs_settings && settings->hcs_settings->plate_count > 0;
    if (settings->array_count == 0 && !has_plates) {
        fail(kInvalid, "array_count is 0: a stream needs at least one array");
    }
    for (std::size_t i = 0; i < settings->array_count; ++i) {
        spec.arrays.push_back(
          validate_array(concat("arrays[", i, "]"), settings->arrays[i], spec.version));
    }

    // Keys must be distinct, and no array may sit inside another array.
    for (std::size_t i = 0; i < spec.arrays.size(); ++i) {
        for (std::size_t j = 0; j < spec.arrays.size(); ++j) {
            const auto& a = spec.arrays[i].key();
            const auto& b = spec.arrays[j].key();
            if (i < j && a == b) {
                fail(kInvalid,
                     "arrays[",
                     i,
                     "] and arrays[",
                     j,
                     "] have the same output_key '",
                     a,
                     "'");
            }
            if (i != j && (a.empty() || is_below(b, a))) {
                fail(kInvalid,
                     "arrays[",
                     j,
                     "].output_key '",
                     b,
                     "' is inside arrays[",
                     i,
                     "] (output_key '",
                     a,
                     "'); an array cannot contain other nodes");
            }
        }
    }
    if (has_plates) {
        PlateValidator::validate(*settings->hcs_settings, spec);
    }

    if (settings->s3_settings) {
        spec.s3 = S3Validator::validate(*settings->s3_settings, spec.store_path);
        // Objects only take writes in order (the buffered path), and each
        // one being written holds a part in memory.
        for (auto& array : spec.arrays) {
            array.stored.random_access_store = false;
            array.stored.object_part_bytes = spec.s3->part_bytes;
        }
    }
    return spec;
}

} // namespace zarr

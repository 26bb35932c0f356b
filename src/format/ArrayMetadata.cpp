#include "format/ArrayMetadata.hpp"

#include "format/DataType.hpp"

namespace zarr {
namespace {

using Json = ArrayMetadata::Json;

Json
fill_value(ZarrDataType type)
{
    return is_floating_point(type) ? Json(0.0) : Json(0);
}

const char*
blosc_codec_name(ZarrCompressionCodec codec)
{
    return codec == ZarrCompressionCodec_BloscZstd ? "zstd" : "lz4";
}

Json
v3_compressor(const CompressionSpec& compression, ZarrDataType type)
{
    if (compression.compressor == ZarrCompressor_Zstd) {
        return { { "name", "zstd" },
                 { "configuration",
                   { { "level", compression.level }, { "checksum", false } } } };
    }
    static const char* shuffle_names[] = { "noshuffle", "shuffle", "bitshuffle" };
    return { { "name", "blosc" },
             { "configuration",
               { { "cname", blosc_codec_name(compression.codec) },
                 { "clevel", compression.level },
                 { "shuffle", shuffle_names[compression.shuffle] },
                 { "typesize", bytes_of(type) },
                 { "blocksize", 0 } } } };
}

Json
bytes_codec()
{
    return { { "name", "bytes" }, { "configuration", { { "endian", "little" } } } };
}

} // namespace

Json
ArrayMetadata::v3_document(const ArraySpec& spec,
                           const std::vector<uint64_t>& shape,
                           const Json& attributes)
{
    Json chunk_shape = Json::array();
    Json shard_shape = Json::array();
    Json names = Json::array();
    for (const auto& dimension : spec.dimensions) {
        chunk_shape.push_back(dimension.chunk);
        shard_shape.push_back(dimension.chunk * dimension.shard_chunks);
        names.push_back(dimension.name);
    }

    Json inner_codecs = Json::array({ bytes_codec() });
    if (spec.compression) {
        inner_codecs.push_back(v3_compressor(*spec.compression, spec.data_type));
    }
    const Json sharding = {
        { "name", "sharding_indexed" },
        { "configuration",
          { { "chunk_shape", chunk_shape },
            { "codecs", inner_codecs },
            { "index_codecs", Json::array({ bytes_codec(), { { "name", "crc32c" } } }) },
            { "index_location", "end" } } }
    };

    return { { "zarr_format", 3 },
             { "node_type", "array" },
             { "shape", shape },
             { "data_type", v3_data_type_name(spec.data_type) },
             { "chunk_grid",
               { { "name", "regular" },
                 { "configuration", { { "chunk_shape", shard_shape } } } } },
             { "chunk_key_encoding",
               { { "name", "default" },
                 { "configuration", { { "separator", "/" } } } } },
             { "fill_value", fill_value(spec.data_type) },
             { "codecs", Json::array({ sharding }) },
             { "attributes", attributes },
             { "dimension_names", names },
             { "storage_transformers", Json::array() } };
}

Json
ArrayMetadata::v2_document(const ArraySpec& spec,
                           const std::vector<uint64_t>& shape)
{
    Json chunks = Json::array();
    for (const auto& dimension : spec.dimensions) {
        chunks.push_back(dimension.chunk);
    }

    Json compressor = nullptr;
    if (spec.compression) {
        const auto& compression = *spec.compression;
        if (compression.compressor == ZarrCompressor_Zstd) {
            compressor = { { "id", "zstd" }, { "level", compression.level } };
        } else {
            compressor = { { "id", "blosc" },
                           { "cname", blosc_codec_name(compression.codec) },
                           { "clevel", compression.level },
                           { "shuffle", compression.shuffle },
                           { "blocksize", 0 } };
        }
    }

    return { { "zarr_format", 2 },
             { "shape", shape },
             { "chunks", chunks },
             { "dtype", v2_dtype(spec.data_type) },
             { "compressor", compressor },
             { "fill_value", fill_value(spec.data_type) },
             { "order", "C" },
             { "filters", nullptr },
             { "dimension_separator", "/" } };
}

Json
ArrayMetadata::v3_group_document(const Json& attributes)
{
    // consolidated_metadata: null, as zarr-python and the published
    // library write it (some readers expect the field).
    return { { "zarr_format", 3 },
             { "node_type", "group" },
             { "attributes", attributes },
             { "consolidated_metadata", nullptr } };
}

Json
ArrayMetadata::v2_group_document()
{
    return { { "zarr_format", 2 } };
}

} // namespace zarr

/* Compressed streams (Blosc1 LZ4 / Zstd with each shuffle, plain Zstd), v3
 * and v2: every chunk is decoded with c-blosc / libzstd directly, its Blosc
 * header checked (codec, shuffle, type size), and the pixels compared. */
#include "test_helpers.h"
#include "store_reader.h"

#include <blosc.h>
#include <zstd.h>

static char scratch[AQZ_PATH_MAX];

/* What the Blosc header of every chunk must say. */
static struct
{
    const char* library; /* "LZ4", "Zstd" */
    int shuffle;         /* 0, 1, 2 */
    size_t typesize;
    int bad_headers;
} expect;

static int
decode_blosc(const unsigned char* in, size_t in_size, unsigned char* out, size_t out_size)
{
    size_t nbytes = 0, cbytes = 0, blocksize = 0, typesize = 0;
    int flags = 0;
    if (in_size < BLOSC_MIN_HEADER_LENGTH) {
        return 0;
    }
    blosc_cbuffer_sizes(in, &nbytes, &cbytes, &blocksize);
    blosc_cbuffer_metainfo(in, &typesize, &flags);
    const char* library = blosc_cbuffer_complib(in);
    const int shuffle = (flags & BLOSC_DOBITSHUFFLE) ? 2 : (flags & BLOSC_DOSHUFFLE) ? 1 : 0;
    /* Blosc stores tiny or incompressible buffers as a plain copy, which
     * says nothing about the codec; only check what it really applied. */
    const int memcpyed = (flags & BLOSC_MEMCPYED) != 0;
    if (cbytes != in_size || nbytes != out_size || typesize != expect.typesize ||
        (!memcpyed && (strcmp(library, expect.library) != 0 || shuffle != expect.shuffle))) {
        fprintf(stderr, "   blosc header: nbytes %zu/%zu cbytes %zu/%zu typesize %zu/%zu "
                "lib %s/%s shuffle %d/%d\n", nbytes, out_size, cbytes, in_size, typesize,
                expect.typesize, library, expect.library, shuffle, expect.shuffle);
        ++expect.bad_headers;
    }
    return blosc_decompress_ctx(in, out, out_size, 1) == (int)out_size;
}

static int
decode_zstd(const unsigned char* in, size_t in_size, unsigned char* out, size_t out_size)
{
    size_t n = ZSTD_decompress(out, out_size, in, in_size);
    return !ZSTD_isError(n) && n == out_size;
}

static const ZarrDimensionProperties dims[3] = {
    { "t", ZarrDimensionType_Time, 0, 4, 2, NULL, 0 },
    { "y", ZarrDimensionType_Space, 20, 8, 2, NULL, 0 },
    { "x", ZarrDimensionType_Space, 24, 8, 2, NULL, 0 },
};
#define FRAMES 6
#define COUNT (FRAMES * 20 * 24)

static void
round_trip(ZarrVersion version, ZarrCompressionSettings compression, ZarrDataType type)
{
    char store[AQZ_PATH_MAX];
    path_fmt(store, "%s/v%d-c%d-k%d-s%d-l%d-t%d.zarr", scratch, (int)version,
             (int)compression.compressor, (int)compression.codec,
             (int)compression.shuffle, (int)compression.level, (int)type);
    char what[AQZ_PATH_MAX + 8];
    snprintf(what, sizeof(what), "%s", store + strlen(scratch) + 1);

    ZarrStream* stream = open_stream(store, version, NULL, type, dims, 3, &compression);
    if (!stream) {
        aqz_fail(__FILE__, __LINE__, "%s: ZarrStream_create: %s", what,
                 Zarr_get_last_error());
        return;
    }

    const size_t px = dtype_size(type);
    unsigned char* data = (unsigned char*)malloc(COUNT * px);
    for (size_t i = 0; i < COUNT; ++i) {
        /* A smooth ramp with some noise: compressible, not trivially so. */
        uint64_t v = (i % 24) + 3 * (i / 24 % 20) + 100 * (i / 480) + (i * 2654435761u >> 28);
        for (size_t b = 0; b < px; ++b) {
            data[i * px + b] = (unsigned char)(v >> (8 * b));
        }
    }
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, data, COUNT * px, &bytes_out, NULL));
    CHECK_EQ(bytes_out, COUNT * px);
    CHECK_OK(ZarrStream_close(stream));

    ArrayLayout layout = layout_of((int)version, dims, 3, type, FRAMES);
    layout.decode = compression.compressor == ZarrCompressor_Blosc1 ? decode_blosc
                                                                     : decode_zstd;
    expect.library = compression.codec == ZarrCompressionCodec_BloscLZ4 ? "LZ4" : "Zstd";
    expect.shuffle = compression.shuffle;
    expect.typesize = px;
    expect.bad_headers = 0;

    unsigned char* actual = read_array(store, &layout);
    if (actual) {
        compare_pixels(actual, data, COUNT, px, what);
    }
    if (expect.bad_headers) {
        aqz_fail(__FILE__, __LINE__, "%s: %d chunk(s) with an unexpected Blosc header",
                 what, expect.bad_headers);
    }
    free(actual);
    free(data);
}

static void
for_both_versions(ZarrCompressor compressor, ZarrCompressionCodec codec,
                  uint8_t level, uint8_t shuffle, ZarrDataType type)
{
    ZarrCompressionSettings compression = { compressor, codec, level, shuffle };
    round_trip(ZarrVersion_3, compression, type);
    round_trip(ZarrVersion_2, compression, type);
}

static void
test_blosc_lz4_each_shuffle(void)
{
    for (uint8_t shuffle = 0; shuffle <= 2; ++shuffle) {
        for_both_versions(ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4, 1,
                          shuffle, ZarrDataType_uint16);
    }
    for_both_versions(ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4, 9, 1,
                      ZarrDataType_float32);
}

static void
test_blosc_zstd_each_shuffle(void)
{
    for (uint8_t shuffle = 0; shuffle <= 2; ++shuffle) {
        for_both_versions(ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscZstd, 1,
                          shuffle, ZarrDataType_uint16);
    }
    for_both_versions(ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscZstd, 5, 2,
                      ZarrDataType_int64);
}

static void
test_plain_zstd(void)
{
    for_both_versions(ZarrCompressor_Zstd, ZarrCompressionCodec_Zstd, 1, 0,
                      ZarrDataType_uint16);
    for_both_versions(ZarrCompressor_Zstd, ZarrCompressionCodec_Zstd, 19, 0,
                      ZarrDataType_uint8);
}

static void
test_compressed_chunks_are_smaller(void)
{
    /* A constant image compresses to almost nothing: the shard must be
     * much smaller than the raw bytes. */
    char store[AQZ_PATH_MAX], path[AQZ_PATH_MAX];
    path_fmt(store, "%s/constant.zarr", scratch);
    ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1,
                                    ZarrCompressionCodec_BloscLZ4, 1, 1 };
    const ZarrDimensionProperties big[3] = {
        { "t", ZarrDimensionType_Time, 0, 8, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 128, 128, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 128, 128, 1, NULL, 0 },
    };
    ZarrStream* stream = open_stream(store, ZarrVersion_3, NULL, ZarrDataType_uint16,
                                     big, 3, &lz4);
    REQUIRE(stream != NULL);
    const size_t bytes = 8 * 128 * 128 * 2;
    unsigned char* data = (unsigned char*)malloc(bytes);
    REQUIRE(data != NULL);
    memset(data, 0x5A, bytes);
    size_t bytes_out = 0;
    CHECK_OK(ZarrStream_append(stream, data, bytes, &bytes_out, NULL));
    CHECK_OK(ZarrStream_close(stream));
    long long size = file_size(path_fmt(path, "%s/c/0/0/0", store));
    CHECK(size > 0 && size < (long long)bytes / 20);
    free(data);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_Warning);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    RUN_TEST(test_blosc_lz4_each_shuffle);
    RUN_TEST(test_blosc_zstd_each_shuffle);
    RUN_TEST(test_plain_zstd);
    RUN_TEST(test_compressed_chunks_are_smaller);
    remove_tree(scratch);
    return test_summary();
}

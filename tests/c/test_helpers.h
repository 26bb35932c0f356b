/* test_helpers.h: a tiny test harness for the C API tests.
 *
 *   static void test_something(void) { CHECK(x == 1); REQUIRE(p != NULL); }
 *   int main(void) { RUN_TEST(test_something); return test_summary(); }
 *
 * CHECK records a failure and goes on; REQUIRE records it and returns from
 * the test function. Plus: scratch directories, file reading, little-endian
 * loads, a bitwise CRC32C (independent of the engine's), and dimension
 * set-up. Include this header first (it selects POSIX for the C files).
 */
#ifndef AQZ_TEST_HELPERS_H
#define AQZ_TEST_HELPERS_H

#if !defined(__cplusplus) && !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700
#endif

#include "acquire.zarr.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the harness ------------------------------------------------------- */

static int aqz_failures = 0;      /* in the whole program */
static int aqz_test_failures = 0; /* in the running test */

static inline void
aqz_fail(const char* file, int line, const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, fmt, args);
    fprintf(stderr, "\n");
    va_end(args);
    ++aqz_failures;
    ++aqz_test_failures;
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            aqz_fail(__FILE__, __LINE__, "%s", #cond);                         \
        }                                                                      \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            aqz_fail(__FILE__, __LINE__, "%s (last error: \"%s\")", #cond,     \
                     Zarr_get_last_error());                                   \
            return;                                                            \
        }                                                                      \
    } while (0)

/* CHECK_EQ(a, b): compares as unsigned 64-bit integers, prints both. */
#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        unsigned long long a_ = (unsigned long long)(a);                       \
        unsigned long long b_ = (unsigned long long)(b);                       \
        if (a_ != b_) {                                                        \
            aqz_fail(__FILE__, __LINE__, "%s == %s (%llu vs %llu)", #a, #b,    \
                     a_, b_);                                                  \
        }                                                                      \
    } while (0)

/* CHECK_STATUS(call, expected): the call returns that ZarrStatusCode. */
#define CHECK_STATUS(call, expected)                                           \
    do {                                                                       \
        ZarrStatusCode got_ = (call);                                          \
        ZarrStatusCode want_ = (expected);                                     \
        if (got_ != want_) {                                                   \
            aqz_fail(__FILE__, __LINE__,                                       \
                     "%s returned %d (%s), expected %d (%s); last error: "     \
                     "\"%s\"",                                                 \
                     #call, (int)got_, Zarr_get_status_message(got_),          \
                     (int)want_, Zarr_get_status_message(want_),               \
                     Zarr_get_last_error());                                   \
        }                                                                      \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, ZarrStatusCode_Success)

/* REQUIRE_OK(call): as CHECK_OK, but leaves the test on failure. */
#define REQUIRE_OK(call)                                                       \
    do {                                                                       \
        ZarrStatusCode got_ = (call);                                          \
        if (got_ != ZarrStatusCode_Success) {                                  \
            aqz_fail(__FILE__, __LINE__, "%s returned %d (%s); last error: "   \
                     "\"%s\"", #call, (int)got_,                               \
                     Zarr_get_status_message(got_), Zarr_get_last_error());    \
            return;                                                            \
        }                                                                      \
    } while (0)

#define RUN_TEST(fn)                                                           \
    do {                                                                       \
        aqz_test_failures = 0;                                                 \
        fprintf(stderr, "-- %s\n", #fn);                                       \
        fn();                                                                  \
        fprintf(stderr, "%s %s\n", aqz_test_failures ? "FAIL" : "ok  ", #fn);  \
    } while (0)

static inline int
test_summary(void)
{
    if (aqz_failures) {
        fprintf(stderr, "%d check(s) failed\n", aqz_failures);
        return 1;
    }
    fprintf(stderr, "all checks passed\n");
    return 0;
}

/* ---- strings ----------------------------------------------------------- */

/* Case-insensitive substring search; NULL-safe (NULL contains nothing). */
static inline int
contains_ci(const char* haystack, const char* needle)
{
    if (!haystack || !needle) {
        return 0;
    }
    size_t n = strlen(needle);
    for (const char* p = haystack; *p; ++p) {
        size_t i = 0;
        while (i < n && p[i] &&
               tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) {
            ++i;
        }
        if (i == n) {
            return 1;
        }
    }
    return n == 0;
}

/* ---- files and scratch directories ------------------------------------- */

#define AQZ_PATH_MAX 4096

/* A fresh empty directory under $TMPDIR (or /tmp); `out` gets its path. */
static inline int
make_scratch_dir(char out[AQZ_PATH_MAX])
{
    const char* base = getenv("TMPDIR");
    if (!base || !*base) {
        base = "/tmp";
    }
    snprintf(out, AQZ_PATH_MAX, "%s/aqz-c-test-XXXXXX", base);
    if (!mkdtemp(out)) {
        fprintf(stderr, "mkdtemp(%s): %s\n", out, strerror(errno));
        return 0;
    }
    return 1;
}

static inline int
aqz_rm_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* rm -rf `path`. */
static inline void
remove_tree(const char* path)
{
    nftw(path, aqz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* snprintf into `out` (AQZ_PATH_MAX bytes) and return it. */
static inline const char*
path_fmt(char* out, const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(out, AQZ_PATH_MAX, fmt, args);
    va_end(args);
    return out;
}

static inline int
path_exists(const char* path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Size of the file at `path`, or -1 when there is none. */
static inline long long
file_size(const char* path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return -1;
    }
    return (long long)st.st_size;
}

static int aqz_tree_entries = 0;

static inline int
aqz_count_entry(const char* path, const struct stat* st, int flag, struct FTW* ftw)
{
    (void)path;
    (void)st;
    (void)flag;
    if (ftw->level > 0) {
        ++aqz_tree_entries;
    }
    return 0;
}

/* Files and directories below `path`, recursively (-1 if it is missing). */
static inline int
tree_entry_count(const char* path)
{
    aqz_tree_entries = 0;
    if (nftw(path, aqz_count_entry, 16, FTW_PHYS) != 0) {
        return -1;
    }
    return aqz_tree_entries;
}

/* The whole file at `path`, malloc'd (free it); NULL when unreadable.
 * A terminating NUL is appended (not counted in *size). */
static inline unsigned char*
read_file(const char* path, size_t* size)
{
    FILE* f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || file_size(path) != n) { /* e.g. a directory */
        fclose(f);
        return NULL;
    }
    unsigned char* data = (unsigned char*)malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) {
        data[n] = 0;
        if (size) {
            *size = (size_t)n;
        }
    }
    return data;
}

static inline int
write_text_file(const char* path, const char* text)
{
    FILE* f = fopen(path, "wb");
    if (!f) {
        return 0;
    }
    int ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* ---- bytes ------------------------------------------------------------- */

static inline uint64_t
load_le64(const unsigned char* p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = (v << 8) | p[i];
    }
    return v;
}

static inline uint32_t
load_le32(const unsigned char* p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* CRC32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: slow,
 * obviously right, and shares nothing with the engine's ISA-L version. */
static inline uint32_t
crc32c_bitwise(const void* data, size_t size)
{
    const unsigned char* p = (const unsigned char*)data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        }
    }
    return crc ^ 0xFFFFFFFFu;
}

/* ---- settings ---------------------------------------------------------- */

static inline ZarrDimensionProperties
dim(const char* name,
    ZarrDimensionType type,
    uint32_t array_size_px,
    uint32_t chunk_size_px,
    uint32_t shard_size_chunks)
{
    ZarrDimensionProperties d;
    memset(&d, 0, sizeof(d));
    d.name = name;
    d.type = type;
    d.array_size_px = array_size_px;
    d.chunk_size_px = chunk_size_px;
    d.shard_size_chunks = shard_size_chunks;
    return d;
}

static inline size_t
dtype_size(ZarrDataType type)
{
    switch (type) {
        case ZarrDataType_uint8:
        case ZarrDataType_int8:
            return 1;
        case ZarrDataType_uint16:
        case ZarrDataType_int16:
            return 2;
        case ZarrDataType_uint32:
        case ZarrDataType_int32:
        case ZarrDataType_float32:
            return 4;
        default:
            return 8;
    }
}

/* Open a stream of one array: `dims` (copied) at `key` in `store`,
 * overwriting it. The settings are freed before returning, so the stream
 * must not depend on them. NULL on failure (see Zarr_get_last_error). */
static inline ZarrStream*
open_stream(const char* store,
            ZarrVersion version,
            const char* key,
            ZarrDataType type,
            const ZarrDimensionProperties* dims,
            size_t ndims,
            ZarrCompressionSettings* compression)
{
    ZarrStreamSettings settings;
    memset(&settings, 0, sizeof(settings));
    settings.store_path = store;
    settings.version = version;
    settings.overwrite = true;
    if (ZarrStreamSettings_create_arrays(&settings, 1) != ZarrStatusCode_Success) {
        return NULL;
    }
    ZarrArraySettings* array = &settings.arrays[0];
    array->output_key = key;
    array->data_type = type;
    array->compression_settings = compression;
    if (ZarrArraySettings_create_dimension_array(array, ndims) !=
        ZarrStatusCode_Success) {
        ZarrStreamSettings_destroy_arrays(&settings);
        return NULL;
    }
    memcpy(array->dimensions, dims, ndims * sizeof(*dims));
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    return stream;
}

/* Bytes of one frame (the last two dimensions) of `dims`. */
static inline size_t
frame_bytes(const ZarrDimensionProperties* dims, size_t ndims, ZarrDataType type)
{
    return (size_t)dims[ndims - 2].array_size_px * dims[ndims - 1].array_size_px *
           dtype_size(type);
}

#endif /* AQZ_TEST_HELPERS_H */

/* ZARR_DIRECT_IO: which values turn direct I/O on (as the published library
 * reads them), that it is read when a stream is created, that data files
 * are then really open with O_DIRECT (seen in /proc/self/fdinfo while the
 * stream writes them), that what was appended reads back unchanged in v3
 * (uncompressed and compressed, odd sizes) and v2, and that a filesystem
 * which cannot do direct I/O (tmpfs) gets one warning and buffered writes.
 *
 * The scratch directory is under $TMPDIR or /tmp; where that filesystem
 * does not take O_DIRECT, the checks that need it are skipped (with a
 * note) and the rest expect the buffered fallback. */
#define _GNU_SOURCE
#include "test_helpers.h"
#include "store_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/vfs.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

static char scratch[AQZ_PATH_MAX];
static int scratch_takes_direct_io = 0;

static const char* const kWarning = "ZARR_DIRECT_IO is set, but";

/* ---- log lines --------------------------------------------------------- */

static volatile int warnings_seen = 0;

static void
count_warnings(ZarrLogLevel level, const char* message, void* user_data)
{
    (void)user_data;
    if (level == ZarrLogLevel_Warning && message && strstr(message, kWarning)) {
        ++warnings_seen;
    }
}

/* ---- what the kernel says about open files ----------------------------- */

/* 1 if this process has `path` open with O_DIRECT, 0 if open without it,
 * -1 if not open at all. */
static int
open_with_o_direct(const char* path)
{
    char wanted[PATH_MAX];
    if (!realpath(path, wanted)) {
        return -1;
    }
    DIR* fds = opendir("/proc/self/fd");
    if (!fds) {
        return -1;
    }
    int result = -1;
    struct dirent* entry;
    while ((entry = readdir(fds)) != NULL && result != 1) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        char link[AQZ_PATH_MAX], target[PATH_MAX];
        path_fmt(link, "/proc/self/fd/%s", entry->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0) {
            continue;
        }
        target[n] = 0;
        if (strcmp(target, wanted) != 0) {
            continue;
        }
        char info_path[AQZ_PATH_MAX];
        FILE* f = fopen(path_fmt(info_path, "/proc/self/fdinfo/%s", entry->d_name), "r");
        char line[256];
        unsigned long flags = 0;
        while (f && fgets(line, sizeof(line), f)) {
            if (sscanf(line, "flags: %lo", &flags) == 1) {
                result = (flags & O_DIRECT) ? 1 : 0;
            }
        }
        if (f) {
            fclose(f);
        }
    }
    closedir(fds);
    return result;
}

/* Whether a file in `dir` can be opened with O_DIRECT on a filesystem that
 * is not memory (the engine falls back on tmpfs, see DirectIo.cpp). */
static int
directory_takes_direct_io(const char* dir)
{
    char path[AQZ_PATH_MAX];
    path_fmt(path, "%s/probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
    if (fd < 0) {
        return 0;
    }
    struct statfs fs;
    int memory = fstatfs(fd, &fs) == 0 && (unsigned long)fs.f_type == TMPFS_MAGIC;
    close(fd);
    unlink(path);
    return !memory;
}

static void
set_direct_io(const char* value)
{
    if (value) {
        setenv("ZARR_DIRECT_IO", value, 1);
    } else {
        unsetenv("ZARR_DIRECT_IO");
    }
}

/* ---- data -------------------------------------------------------------- */

static unsigned char*
make_bytes(size_t count, unsigned seed)
{
    unsigned char* data = (unsigned char*)malloc(count);
    uint32_t x = 2463534242u ^ seed;
    for (size_t i = 0; data && i < count; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* compressible, never all zero: a ramp with some noise */
        data[i] = (unsigned char)((i / 7) + (x & 3) + 1);
    }
    return data;
}

/* t (unbounded, chunk 2, 1 chunk per shard), y 64, x 128, uint16: tiles of
 * 16 KiB, so uncompressed v3 goes straight from the frame to the shard. */
static const ZarrDimensionProperties small_tyx[3] = {
    { "t", ZarrDimensionType_Time, 0, 2, 1, NULL, 0 },
    { "y", ZarrDimensionType_Space, 64, 64, 1, NULL, 0 },
    { "x", ZarrDimensionType_Space, 128, 128, 1, NULL, 0 },
};

/* ---- tests ------------------------------------------------------------- */

static void
test_values_are_read_as_the_published_library_reads_them(void)
{
    static const struct
    {
        const char* value; /* NULL: unset */
        int on;
    } cases[] = {
        { NULL, 0 },   { "", 0 },     { "1", 1 },     { "true", 1 },  { "on", 1 },
        { "yes", 1 },  { "TRUE", 1 }, { "On", 1 },    { "YeS", 1 },   { "0", 0 },
        { "false", 0 }, { "off", 0 }, { "no", 0 },    { "FALSE", 0 }, { "Off", 0 },
        { "maybe", 0 }, { "2", 0 },   { "1x", 0 },    { " 1", 0 },
    };
    const size_t frame = frame_bytes(small_tyx, 3, ZarrDataType_uint16);
    unsigned char* data = make_bytes(2 * frame, 1);
    REQUIRE(data != NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        char store[AQZ_PATH_MAX], shard[AQZ_PATH_MAX];
        path_fmt(store, "%s/values-%zu.zarr", scratch, i);
        set_direct_io(cases[i].value);
        ZarrStream* stream = open_stream(store, ZarrVersion_3, NULL, ZarrDataType_uint16,
                                         small_tyx, 3, NULL);
        REQUIRE(stream != NULL);
        size_t out = 0;
        /* One frame of a two-frame layer: the shard is open for the next. */
        CHECK_OK(ZarrStream_append(stream, data, frame, &out, NULL));
        const int direct = open_with_o_direct(path_fmt(shard, "%s/c/0/0/0", store));
        const int want = cases[i].on && scratch_takes_direct_io;
        if (direct != want) {
            aqz_fail(__FILE__, __LINE__,
                     "ZARR_DIRECT_IO=%s%s%s: shard open with O_DIRECT: %d, want %d",
                     cases[i].value ? "'" : "", cases[i].value ? cases[i].value : "(unset)",
                     cases[i].value ? "'" : "", direct, want);
        }
        CHECK_OK(ZarrStream_append(stream, data + frame, frame, &out, NULL));
        CHECK_OK(ZarrStream_close(stream));

        ArrayLayout layout = layout_of(3, small_tyx, 3, ZarrDataType_uint16, 2);
        unsigned char* actual = read_array(store, &layout);
        REQUIRE(actual != NULL);
        compare_pixels(actual, data, 2 * frame / 2, 2, "values");
        free(actual);
    }
    unsetenv("ZARR_DIRECT_IO");
    free(data);
}

static void
test_the_variable_is_read_when_the_stream_is_created(void)
{
    if (!scratch_takes_direct_io) {
        fprintf(stderr, "   skipped: %s does not take O_DIRECT\n", scratch);
        return;
    }
    const size_t frame = frame_bytes(small_tyx, 3, ZarrDataType_uint16);
    unsigned char* data = make_bytes(frame, 2);
    REQUIRE(data != NULL);
    char before[AQZ_PATH_MAX], after[AQZ_PATH_MAX], path[AQZ_PATH_MAX];
    path_fmt(before, "%s/made-before.zarr", scratch);
    path_fmt(after, "%s/made-after.zarr", scratch);

    unsetenv("ZARR_DIRECT_IO");
    ZarrStream* buffered = open_stream(before, ZarrVersion_3, NULL, ZarrDataType_uint16,
                                       small_tyx, 3, NULL);
    REQUIRE(buffered != NULL);
    set_direct_io("1");
    ZarrStream* direct = open_stream(after, ZarrVersion_3, NULL, ZarrDataType_uint16,
                                     small_tyx, 3, NULL);
    REQUIRE(direct != NULL);
    unsetenv("ZARR_DIRECT_IO"); /* too late for `direct`, too early for nothing */

    size_t out = 0;
    CHECK_OK(ZarrStream_append(buffered, data, frame, &out, NULL));
    CHECK_OK(ZarrStream_append(direct, data, frame, &out, NULL));
    CHECK_EQ(open_with_o_direct(path_fmt(path, "%s/c/0/0/0", before)), 0);
    CHECK_EQ(open_with_o_direct(path_fmt(path, "%s/c/0/0/0", after)), 1);
    CHECK_OK(ZarrStream_close(buffered));
    CHECK_OK(ZarrStream_close(direct));
    free(data);
}

/* ---- comparing stores --------------------------------------------------- */

/* The shard index at the end of `file` (n entries): malloc'd, NULL if the
 * file is too short. */
static uint64_t*
shard_index(const unsigned char* file, size_t size, size_t n)
{
    const size_t bytes = 16 * n + 4;
    if (size < bytes) {
        return NULL;
    }
    uint64_t* index = (uint64_t*)malloc(2 * n * sizeof(uint64_t));
    for (size_t i = 0; index && i < 2 * n; ++i) {
        index[i] = load_le64(file + size - bytes + 8 * i);
    }
    return index;
}

/* Compares the files below `a` and `b` (relative path `rel`): metadata and
 * v2 chunks byte for byte; v3 shards (files below "c/") chunk by chunk
 * through their indexes (`n_chunks` entries), since a direct shard pads
 * its chunks. In `direct_dir` (a or b), each chunk of a shard of at least
 * `alignment` bytes must start on a multiple of it, and the file must end
 * with its index. Returns the number of files compared. */
static int
compare_trees(const char* a, const char* b, const char* rel, size_t n_chunks,
              const char* direct_dir, size_t alignment)
{
    char dir_a[AQZ_PATH_MAX];
    path_fmt(dir_a, "%s%s%s", a, *rel ? "/" : "", rel);
    DIR* dir = opendir(dir_a);
    if (!dir) {
        aqz_fail(__FILE__, __LINE__, "cannot list %s", dir_a);
        return 0;
    }
    int files = 0;
    struct dirent* entry;
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        char sub[AQZ_PATH_MAX], pa[AQZ_PATH_MAX], pb[AQZ_PATH_MAX];
        path_fmt(sub, "%s%s%s", rel, *rel ? "/" : "", entry->d_name);
        path_fmt(pa, "%s/%s", a, sub);
        path_fmt(pb, "%s/%s", b, sub);
        struct stat st;
        if (stat(pa, &st) == 0 && S_ISDIR(st.st_mode)) {
            files += compare_trees(a, b, sub, n_chunks, direct_dir, alignment);
            continue;
        }
        size_t na = 0, nb = 0;
        unsigned char* fa = read_file(pa, &na);
        unsigned char* fb = read_file(pb, &nb);
        ++files;
        const int shard = n_chunks > 0 && strncmp(sub, "c/", 2) == 0;
        if (!fa || !fb) {
            aqz_fail(__FILE__, __LINE__, "%s: missing in one store", sub);
        } else if (!shard) {
            if (na != nb || memcmp(fa, fb, na) != 0) {
                aqz_fail(__FILE__, __LINE__, "%s differs (%zu vs %zu bytes)", sub, na, nb);
            }
        } else {
            uint64_t* ia = shard_index(fa, na, n_chunks);
            uint64_t* ib = shard_index(fb, nb, n_chunks);
            if (!ia || !ib) {
                aqz_fail(__FILE__, __LINE__, "%s: no index", sub);
            } else {
                const int a_direct = strcmp(a, direct_dir) == 0;
                const uint64_t* id = a_direct ? ia : ib;
                const size_t nd = a_direct ? na : nb;
                /* the index follows every chunk and ends the file */
                uint64_t payload_end = 0;
                for (size_t i = 0; i < n_chunks; ++i) {
                    const uint64_t off = id[2 * i], len = id[2 * i + 1];
                    if (off != AQZ_ABSENT && off + len > payload_end) {
                        payload_end = off + len;
                    }
                    if (off != AQZ_ABSENT && alignment > 1 && len >= alignment &&
                        off % alignment != 0) {
                        aqz_fail(__FILE__, __LINE__,
                                 "%s chunk %zu (%llu bytes) at %llu: not %zu-aligned", sub, i,
                                 (unsigned long long)len, (unsigned long long)off, alignment);
                    }
                }
                if (payload_end > nd - (16 * n_chunks + 4)) {
                    aqz_fail(__FILE__, __LINE__, "%s: chunks overrun the index", sub);
                }
                for (size_t i = 0; i < n_chunks; ++i) {
                    const uint64_t oa = ia[2 * i], la = ia[2 * i + 1];
                    const uint64_t ob = ib[2 * i], lb = ib[2 * i + 1];
                    if ((oa == AQZ_ABSENT) != (ob == AQZ_ABSENT) || la != lb) {
                        aqz_fail(__FILE__, __LINE__, "%s chunk %zu: sizes %llu vs %llu", sub, i,
                                 (unsigned long long)la, (unsigned long long)lb);
                    } else if (oa != AQZ_ABSENT && memcmp(fa + oa, fb + ob, la) != 0) {
                        aqz_fail(__FILE__, __LINE__, "%s chunk %zu: bytes differ", sub, i);
                    }
                }
            }
            free(ia);
            free(ib);
        }
        free(fa);
        free(fb);
    }
    closedir(dir);
    return files;
}

/* ---- round trips ------------------------------------------------------- */

typedef struct
{
    const char* name;
    ZarrVersion version;
    ZarrDataType type;
    ZarrCompressionSettings* compression; /* NULL: uncompressed */
    ZarrDimensionProperties dims[3];      /* t (unbounded), y, x */
    uint64_t frames;
} Case;

/* Streams `c` with ZARR_DIRECT_IO=1 and without, into `dir`: compares
 * both stores with each other and, uncompressed, with what was appended.
 * Returns the number of fallback warnings the direct stream logged. */
static int
round_trip(const Case* c, const char* dir, int expect_direct)
{
    const size_t frame = frame_bytes(c->dims, 3, c->type);
    const size_t total = c->frames * frame;
    unsigned char* data = make_bytes(total, (unsigned)c->frames);
    if (!data) {
        aqz_fail(__FILE__, __LINE__, "out of memory");
        return -1;
    }
    char stores[2][AQZ_PATH_MAX];
    int warnings = -1;
    for (int direct = 1; direct >= 0; --direct) {
        char* store = stores[direct];
        path_fmt(store, "%s/%s-%s.zarr", dir, c->name, direct ? "direct" : "buffered");
        set_direct_io(direct ? "1" : NULL);
        warnings_seen = 0;
        Zarr_set_log_callback(count_warnings, NULL);
        ZarrStream* stream =
          open_stream(store, c->version, NULL, c->type, c->dims, 3, c->compression);
        unsetenv("ZARR_DIRECT_IO");
        if (!stream) {
            aqz_fail(__FILE__, __LINE__, "%s: %s", c->name, Zarr_get_last_error());
            Zarr_set_log_callback(NULL, NULL);
            free(data);
            return -1;
        }
        /* Uneven pieces: frames arrive in bits. */
        const size_t step = frame / 3 + 5;
        for (size_t done = 0; done < total;) {
            const size_t n = total - done < step ? total - done : step;
            size_t out = 0;
            CHECK_OK(ZarrStream_append(stream, data + done, n, &out, NULL));
            done += n;
            if (direct && done >= frame && done < frame + step) {
                /* mid-stream: a data file of the first row is open */
                char shard[AQZ_PATH_MAX];
                if (c->version == ZarrVersion_3 && !c->compression) {
                    int open = open_with_o_direct(path_fmt(shard, "%s/c/0/0/0", store));
                    if (open != -1 && open != expect_direct) {
                        aqz_fail(__FILE__, __LINE__, "%s: shard O_DIRECT %d, want %d", c->name,
                                 open, expect_direct);
                    }
                }
            }
        }
        CHECK_OK(ZarrStream_close(stream));
        Zarr_set_log_callback(NULL, NULL);
        if (direct) {
            warnings = warnings_seen;
        }
        if (!c->compression) {
            ArrayLayout layout = layout_of(c->version == ZarrVersion_3 ? 3 : 2, c->dims, 3,
                                           c->type, c->frames);
            unsigned char* actual = read_array(store, &layout);
            if (!actual) {
                aqz_fail(__FILE__, __LINE__, "%s: cannot read %s back", c->name, store);
            } else {
                compare_pixels(actual, data, total / dtype_size(c->type), dtype_size(c->type),
                               c->name);
                free(actual);
            }
        }
    }
    size_t n_chunks = 0;
    if (c->version == ZarrVersion_3) {
        n_chunks = 1;
        for (int d = 0; d < 3; ++d) {
            uint64_t chunks = c->dims[d].array_size_px
                                ? aqz_ceil_div(c->dims[d].array_size_px, c->dims[d].chunk_size_px)
                                : c->dims[d].shard_size_chunks;
            /* a bounded axis has shards no larger than its chunks */
            n_chunks *= c->dims[d].shard_size_chunks < chunks ? c->dims[d].shard_size_chunks
                                                                : chunks;
        }
    }
    const int files = compare_trees(stores[1], stores[0], "", n_chunks, stores[1],
                                    expect_direct ? 4096 : 0);
    CHECK(files > 1);
    free(data);
    return warnings;
}

static ZarrCompressionSettings lz4 = { ZarrCompressor_Blosc1, ZarrCompressionCodec_BloscLZ4,
                                       1, 1 };
static ZarrCompressionSettings zstd = { ZarrCompressor_Zstd, ZarrCompressionCodec_Zstd, 3, 0 };

static const Case cases[] = {
    /* v3, uncompressed, 18000-byte tiles: straight from the frame into the
     * shard; chunks of 54000 bytes, not whole blocks; ragged everywhere. */
    { "v3-direct-path", ZarrVersion_3, ZarrDataType_uint16, NULL,
      { { "t", ZarrDimensionType_Time, 0, 3, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 301, 100, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 259, 90, 2, NULL, 0 } },
      7 },
    /* v3, uncompressed, 4 KiB-multiple tiles: every write whole blocks. */
    { "v3-aligned", ZarrVersion_3, ZarrDataType_uint16, NULL,
      { { "t", ZarrDimensionType_Time, 0, 2, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 256, 128, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 256, 64, 2, NULL, 0 } },
      6 },
    /* v3, uncompressed, small tiles (a layer buffer): 4800-byte chunks. */
    { "v3-small-tiles", ZarrVersion_3, ZarrDataType_uint16, NULL,
      { { "t", ZarrDimensionType_Time, 0, 4, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 50, 20, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 70, 30, 3, NULL, 0 } },
      9 },
    /* v3, Blosc LZ4 and Zstd: chunks of every size. */
    { "v3-lz4", ZarrVersion_3, ZarrDataType_uint16, &lz4,
      { { "t", ZarrDimensionType_Time, 0, 5, 2, NULL, 0 },
        { "y", ZarrDimensionType_Space, 200, 64, 2, NULL, 0 },
        { "x", ZarrDimensionType_Space, 333, 100, 2, NULL, 0 } },
      11 },
    { "v3-zstd", ZarrVersion_3, ZarrDataType_uint8, &zstd,
      { { "t", ZarrDimensionType_Time, 0, 3, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 97, 50, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 131, 64, 3, NULL, 0 } },
      5 },
    /* v2: one file per chunk, no padding, ends where the chunk does. */
    { "v2-uncompressed", ZarrVersion_2, ZarrDataType_uint16, NULL,
      { { "t", ZarrDimensionType_Time, 0, 2, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 210, 100, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 181, 90, 1, NULL, 0 } },
      5 },
    { "v2-lz4", ZarrVersion_2, ZarrDataType_uint16, &lz4,
      { { "t", ZarrDimensionType_Time, 0, 3, 1, NULL, 0 },
        { "y", ZarrDimensionType_Space, 130, 64, 1, NULL, 0 },
        { "x", ZarrDimensionType_Space, 97, 50, 1, NULL, 0 } },
      8 },
};

static void
test_direct_streams_read_back_as_buffered_ones(void)
{
    if (!scratch_takes_direct_io) {
        fprintf(stderr, "   (%s does not take O_DIRECT: both runs are buffered)\n", scratch);
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const int warnings = round_trip(&cases[i], scratch, scratch_takes_direct_io);
        if (scratch_takes_direct_io) {
            CHECK_EQ(warnings, 0);
        }
    }
}

static void
test_tmpfs_falls_back_with_one_warning(void)
{
    struct statfs fs;
    if (statfs("/dev/shm", &fs) != 0 || (unsigned long)fs.f_type != TMPFS_MAGIC) {
        fprintf(stderr, "   skipped: no tmpfs at /dev/shm\n");
        return;
    }
    char dir[AQZ_PATH_MAX];
    snprintf(dir, sizeof(dir), "/dev/shm/aqz-c-direct-io-XXXXXX");
    REQUIRE(mkdtemp(dir) != NULL);
    /* several shard files (and, compressed, opened by worker threads) */
    CHECK_EQ(round_trip(&cases[0], dir, 0), 1);
    CHECK_EQ(round_trip(&cases[3], dir, 0), 1);
    CHECK_EQ(round_trip(&cases[6], dir, 0), 1);
    remove_tree(dir);
}

int
main(void)
{
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    scratch_takes_direct_io = directory_takes_direct_io(scratch);
    fprintf(stderr, "scratch %s %s O_DIRECT\n", scratch,
            scratch_takes_direct_io ? "takes" : "does not take");
    RUN_TEST(test_values_are_read_as_the_published_library_reads_them);
    RUN_TEST(test_the_variable_is_read_when_the_stream_is_created);
    RUN_TEST(test_direct_streams_read_back_as_buffered_ones);
    RUN_TEST(test_tmpfs_falls_back_with_one_warning);
    remove_tree(scratch);
    return test_summary();
}

/* store_reader.h: read an array the engine wrote back into one C-order
 * buffer, checking the on-disk layout of FORMAT.md on the way:
 *
 *  v3: one file per shard at <array>/c/i/j/...; the index at the end holds
 *      (offset, nbytes) little-endian uint64 pairs for the inner chunks in C
 *      order, then the CRC32C of those bytes (16*n + 4 bytes in all); absent
 *      chunks are 2^64-1 twice; chunk bytes lie before the index and do not
 *      overlap.
 *  v2: one file per chunk at <array>/i/j/...
 *
 * Chunks are full-sized; their part past the array's edge must be zero.
 * Missing chunks (and shards) read as zeros. Problems are reported with
 * aqz_fail. Include test_helpers.h first.
 */
#ifndef AQZ_STORE_READER_H
#define AQZ_STORE_READER_H

#define AQZ_MAX_DIMS 8
#define AQZ_ABSENT UINT64_MAX

typedef struct
{
    int version; /* 2 or 3 */
    int ndims;
    uint64_t shape[AQZ_MAX_DIMS]; /* what should have been written */
    uint64_t chunk[AQZ_MAX_DIMS];
    uint64_t shard_chunks[AQZ_MAX_DIMS]; /* v3 only */
    size_t bytes_per_px;
    /* Decode a stored chunk into `out` (exactly out_size bytes); returns 1
     * on success. NULL: chunks are stored raw. */
    int (*decode)(const unsigned char* in, size_t in_size,
                  unsigned char* out, size_t out_size);
} ArrayLayout;

/* The layout `dims` describe, with `append_extent` as the first dimension's
 * size (what was written along it). */
static inline ArrayLayout
layout_of(int version,
          const ZarrDimensionProperties* dims,
          int ndims,
          ZarrDataType type,
          uint64_t append_extent)
{
    ArrayLayout layout;
    memset(&layout, 0, sizeof(layout));
    layout.version = version;
    layout.ndims = ndims;
    layout.bytes_per_px = dtype_size(type);
    for (int d = 0; d < ndims; ++d) {
        layout.shape[d] = d == 0 ? append_extent : dims[d].array_size_px;
        layout.chunk[d] = dims[d].chunk_size_px;
        layout.shard_chunks[d] = dims[d].shard_size_chunks;
    }
    return layout;
}

static inline uint64_t
aqz_ceil_div(uint64_t a, uint64_t b)
{
    return (a + b - 1) / b;
}

/* Advance the multi-index `idx` over `extent` in C order; 0 at the end. */
static inline int
aqz_next_index(uint64_t* idx, const uint64_t* extent, int ndims)
{
    for (int d = ndims - 1; d >= 0; --d) {
        if (++idx[d] < extent[d]) {
            return 1;
        }
        idx[d] = 0;
    }
    return 0;
}

static inline size_t
aqz_chunk_bytes(const ArrayLayout* layout)
{
    size_t n = layout->bytes_per_px;
    for (int d = 0; d < layout->ndims; ++d) {
        n *= layout->chunk[d];
    }
    return n;
}

/* Copy the decoded chunk at grid position `chunk_idx` into `out`, checking
 * that its part past the array's edge is zero. */
static inline void
aqz_scatter_chunk(const ArrayLayout* layout,
                  const uint64_t* chunk_idx,
                  const unsigned char* chunk,
                  unsigned char* out,
                  const char* where)
{
    const size_t px = layout->bytes_per_px;
    uint64_t e[AQZ_MAX_DIMS] = { 0 };
    size_t i = 0;
    int nonzero_padding = 0;
    do {
        int inside = 1;
        size_t flat = 0;
        for (int d = 0; d < layout->ndims; ++d) {
            uint64_t g = chunk_idx[d] * layout->chunk[d] + e[d];
            inside &= g < layout->shape[d];
            flat = flat * layout->shape[d] + g;
        }
        if (inside) {
            memcpy(out + flat * px, chunk + i * px, px);
        } else {
            for (size_t b = 0; b < px; ++b) {
                nonzero_padding |= chunk[i * px + b] != 0;
            }
        }
        ++i;
    } while (aqz_next_index(e, layout->chunk, layout->ndims));
    if (nonzero_padding) {
        aqz_fail(__FILE__, __LINE__, "%s: nonzero bytes past the array's edge", where);
    }
}

/* Decode (or take raw) `size` stored bytes into `chunk`; 1 on success. */
static inline int
aqz_decode_chunk(const ArrayLayout* layout,
                 const unsigned char* stored,
                 size_t size,
                 unsigned char* chunk,
                 const char* where)
{
    const size_t chunk_bytes = aqz_chunk_bytes(layout);
    if (!layout->decode) {
        if (size != chunk_bytes) {
            aqz_fail(__FILE__, __LINE__, "%s: %zu bytes, expected %zu", where,
                     size, chunk_bytes);
            return 0;
        }
        memcpy(chunk, stored, size);
        return 1;
    }
    if (!layout->decode(stored, size, chunk, chunk_bytes)) {
        aqz_fail(__FILE__, __LINE__, "%s: does not decode to %zu bytes", where,
                 chunk_bytes);
        return 0;
    }
    return 1;
}

static inline void
aqz_key_path(char* out, const char* array_dir, const char* prefix,
             const uint64_t* idx, int ndims)
{
    int n = snprintf(out, AQZ_PATH_MAX, "%s%s", array_dir, prefix);
    for (int d = 0; d < ndims; ++d) {
        n += snprintf(out + n, AQZ_PATH_MAX - n, "/%llu", (unsigned long long)idx[d]);
    }
}

static inline void
aqz_read_shard(const ArrayLayout* layout,
               const char* array_dir,
               const uint64_t* shard_idx,
               unsigned char* out,
               unsigned char* chunk)
{
    char path[AQZ_PATH_MAX];
    aqz_key_path(path, array_dir, "/c", shard_idx, layout->ndims);

    size_t size = 0;
    unsigned char* data = read_file(path, &size);
    if (!data) {
        return; /* an absent shard reads as zeros */
    }

    size_t n = 1;
    for (int d = 0; d < layout->ndims; ++d) {
        n *= layout->shard_chunks[d];
    }
    const size_t index_bytes = 16 * n + 4;
    if (size < index_bytes) {
        aqz_fail(__FILE__, __LINE__, "%s: %zu bytes, too small for an index of %zu",
                 path, size, index_bytes);
        free(data);
        return;
    }
    const unsigned char* index = data + size - index_bytes;
    const uint32_t stored_crc = load_le32(index + 16 * n);
    const uint32_t crc = crc32c_bitwise(index, 16 * n);
    if (stored_crc != crc) {
        aqz_fail(__FILE__, __LINE__, "%s: index CRC32C %08x, computed %08x", path,
                 stored_crc, crc);
    }

    const uint64_t data_end = size - index_bytes;
    uint64_t c[AQZ_MAX_DIMS] = { 0 };
    size_t i = 0;
    do {
        const uint64_t offset = load_le64(index + 16 * i);
        const uint64_t nbytes = load_le64(index + 16 * i + 8);
        char where[AQZ_PATH_MAX + 64];
        snprintf(where, sizeof(where), "%s inner chunk %zu", path, i);

        uint64_t chunk_idx[AQZ_MAX_DIMS];
        int inside = 1;
        for (int d = 0; d < layout->ndims; ++d) {
            chunk_idx[d] = shard_idx[d] * layout->shard_chunks[d] + c[d];
            inside &= chunk_idx[d] * layout->chunk[d] < layout->shape[d];
        }

        if (offset == AQZ_ABSENT || nbytes == AQZ_ABSENT) {
            if (offset != nbytes) {
                aqz_fail(__FILE__, __LINE__, "%s: half-absent entry (%llu, %llu)",
                         where, (unsigned long long)offset,
                         (unsigned long long)nbytes);
            }
        } else if (offset > data_end || nbytes > data_end - offset) {
            aqz_fail(__FILE__, __LINE__,
                     "%s: bytes [%llu, +%llu) run past the data (%llu bytes)",
                     where, (unsigned long long)offset,
                     (unsigned long long)nbytes, (unsigned long long)data_end);
        } else {
            /* No overlap with any other present chunk. */
            for (size_t j = 0; j < i; ++j) {
                const uint64_t o = load_le64(index + 16 * j);
                const uint64_t m = load_le64(index + 16 * j + 8);
                if (o != AQZ_ABSENT && m != 0 && nbytes != 0 &&
                    o < offset + nbytes && offset < o + m) {
                    aqz_fail(__FILE__, __LINE__, "%s overlaps inner chunk %zu",
                             where, j);
                }
            }
            if (inside &&
                aqz_decode_chunk(layout, data + offset, nbytes, chunk, where)) {
                aqz_scatter_chunk(layout, chunk_idx, chunk, out, where);
            }
        }
        ++i;
    } while (aqz_next_index(c, layout->shard_chunks, layout->ndims));
    free(data);
}

static inline void
aqz_read_v2_chunk(const ArrayLayout* layout,
                  const char* array_dir,
                  const uint64_t* chunk_idx,
                  unsigned char* out,
                  unsigned char* chunk)
{
    char path[AQZ_PATH_MAX];
    aqz_key_path(path, array_dir, "", chunk_idx, layout->ndims);
    size_t size = 0;
    unsigned char* data = read_file(path, &size);
    if (!data) {
        return; /* an absent chunk reads as zeros */
    }
    if (aqz_decode_chunk(layout, data, size, chunk, path)) {
        aqz_scatter_chunk(layout, chunk_idx, chunk, out, path);
    }
    free(data);
}

/* The whole array, C order, malloc'd (free it); NULL if out of memory. */
static inline unsigned char*
read_array(const char* array_dir, const ArrayLayout* layout)
{
    size_t total = layout->bytes_per_px;
    uint64_t grid[AQZ_MAX_DIMS];
    for (int d = 0; d < layout->ndims; ++d) {
        total *= layout->shape[d];
        uint64_t per_file = layout->chunk[d];
        if (layout->version == 3) {
            per_file *= layout->shard_chunks[d];
        }
        grid[d] = aqz_ceil_div(layout->shape[d], per_file);
    }
    unsigned char* out = (unsigned char*)calloc(total ? total : 1, 1);
    unsigned char* chunk = (unsigned char*)malloc(aqz_chunk_bytes(layout));
    if (!out || !chunk) {
        free(out);
        free(chunk);
        return NULL;
    }
    if (total > 0) {
        uint64_t idx[AQZ_MAX_DIMS] = { 0 };
        do {
            if (layout->version == 3) {
                aqz_read_shard(layout, array_dir, idx, out, chunk);
            } else {
                aqz_read_v2_chunk(layout, array_dir, idx, out, chunk);
            }
        } while (aqz_next_index(idx, grid, layout->ndims));
    }
    free(chunk);
    return out;
}

/* Compare `actual` with `expected` (both `count` pixels of `px` bytes) and
 * report the first few differences. Returns the number of differing pixels. */
static inline size_t
compare_pixels(const unsigned char* actual,
               const unsigned char* expected,
               size_t count,
               size_t px,
               const char* what)
{
    size_t bad = 0;
    for (size_t i = 0; i < count; ++i) {
        if (memcmp(actual + i * px, expected + i * px, px) != 0) {
            if (bad < 5) {
                unsigned long long a = 0, e = 0;
                memcpy(&a, actual + i * px, px < 8 ? px : 8);
                memcpy(&e, expected + i * px, px < 8 ? px : 8);
                aqz_fail(__FILE__, __LINE__, "%s: pixel %zu is %llu, expected %llu",
                         what, i, a, e);
            }
            ++bad;
        }
    }
    if (bad > 5) {
        aqz_fail(__FILE__, __LINE__, "%s: %zu pixels differ in all", what, bad);
    }
    return bad;
}

#endif /* AQZ_STORE_READER_H */

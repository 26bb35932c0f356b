/* ZarrStream_create with one invalid setting at a time: NULL, a last error
 * that names the field, and nothing created on disk. */
#include "test_helpers.h"

static char scratch[AQZ_PATH_MAX];
static char store[AQZ_PATH_MAX];
static ZarrCompressionSettings compression;

static void
fill_array(ZarrArraySettings* array, const char* key)
{
    array->output_key = key;
    array->data_type = ZarrDataType_uint16;
    ZarrArraySettings_create_dimension_array(array, 3);
    array->dimensions[0] = dim("t", ZarrDimensionType_Time, 0, 4, 2);
    array->dimensions[1] = dim("y", ZarrDimensionType_Space, 48, 16, 2);
    array->dimensions[2] = dim("x", ZarrDimensionType_Space, 64, 16, 2);
}

/* A valid v3 stream of one Blosc-LZ4 array at the root of `store`. */
static void
make_valid(ZarrStreamSettings* settings)
{
    memset(settings, 0, sizeof(*settings));
    settings->store_path = store;
    settings->version = ZarrVersion_3;
    compression.compressor = ZarrCompressor_Blosc1;
    compression.codec = ZarrCompressionCodec_BloscLZ4;
    compression.level = 1;
    compression.shuffle = 1;
    ZarrStreamSettings_create_arrays(settings, 1);
    fill_array(&settings->arrays[0], NULL);
    settings->arrays[0].compression_settings = &compression;
}

typedef void (*Mutation)(ZarrStreamSettings*);

#define MUTATION(name, body)                                                   \
    static void name(ZarrStreamSettings* s)                                    \
    {                                                                          \
        ZarrArraySettings* a = &s->arrays[0];                                  \
        (void)a;                                                               \
        body;                                                                  \
    }

MUTATION(store_path_null, s->store_path = NULL)
MUTATION(store_path_empty, s->store_path = "")
MUTATION(version_1, s->version = (ZarrVersion)1)
MUTATION(version_too_big, s->version = ZarrVersionCount)
MUTATION(arrays_null, {
    ZarrStreamSettings_destroy_arrays(s);
    s->array_count = 1;
})
MUTATION(no_arrays, ZarrStreamSettings_destroy_arrays(s))
MUTATION(data_type_bad, a->data_type = ZarrDataTypeCount)
MUTATION(dimensions_null, {
    ZarrArraySettings_destroy_dimension_array(a);
    a->dimension_count = 3;
})
MUTATION(one_dimension, a->dimension_count = 1)
MUTATION(dimension_name_null, a->dimensions[1].name = NULL)
MUTATION(dimension_name_empty, a->dimensions[0].name = "")
MUTATION(dimension_type_bad, a->dimensions[0].type = ZarrDimensionTypeCount)
MUTATION(last_dimension_not_space, a->dimensions[2].type = ZarrDimensionType_Channel)
MUTATION(chunk_size_zero, a->dimensions[1].chunk_size_px = 0)
MUTATION(shard_size_zero_v3, a->dimensions[2].shard_size_chunks = 0)
MUTATION(inner_dimension_unbounded, a->dimensions[1].array_size_px = 0)
MUTATION(scale_negative, a->dimensions[2].scale = -0.5)
MUTATION(compressor_bad, compression.compressor = ZarrCompressorCount)
MUTATION(codec_bad, compression.codec = ZarrCompressionCodecCount)
MUTATION(blosc_with_zstd_codec, compression.codec = ZarrCompressionCodec_Zstd)
MUTATION(zstd_with_blosc_codec, {
    compression.compressor = ZarrCompressor_Zstd;
    compression.codec = ZarrCompressionCodec_BloscLZ4;
})
MUTATION(blosc_without_codec, compression.codec = ZarrCompressionCodec_None)
MUTATION(blosc_level_10, compression.level = 10)
MUTATION(zstd_level_23, {
    compression.compressor = ZarrCompressor_Zstd;
    compression.codec = ZarrCompressionCodec_Zstd;
    compression.level = 23;
})
MUTATION(shuffle_3, compression.shuffle = 3)
MUTATION(output_key_dotdot, a->output_key = "a/../b")
MUTATION(output_key_double_underscore, a->output_key = "__private")
MUTATION(output_key_space, a->output_key = "my array")
MUTATION(duplicate_output_keys, {
    ZarrStreamSettings_destroy_arrays(s);
    ZarrStreamSettings_create_arrays(s, 2);
    fill_array(&s->arrays[0], "same");
    fill_array(&s->arrays[1], "same");
})
MUTATION(two_root_arrays, {
    ZarrStreamSettings_destroy_arrays(s);
    ZarrStreamSettings_create_arrays(s, 2);
    fill_array(&s->arrays[0], NULL);
    fill_array(&s->arrays[1], "");
})
MUTATION(array_inside_array, {
    ZarrStreamSettings_destroy_arrays(s);
    ZarrStreamSettings_create_arrays(s, 2);
    fill_array(&s->arrays[0], "a");
    fill_array(&s->arrays[1], "a/b");
})

typedef struct
{
    const char* name;
    Mutation mutate;
    /* The last error must contain one of these, '|'-separated. */
    const char* field;
} Case;

static const Case cases[] = {
    { "store_path NULL", store_path_null, "store_path" },
    { "store_path empty", store_path_empty, "store_path" },
    { "version 1", version_1, "version" },
    { "version past the last", version_too_big, "version" },
    { "arrays NULL, array_count 1", arrays_null, "arrays" },
    { "no arrays at all", no_arrays, "array" },
    { "data_type out of range", data_type_bad, "data_type" },
    { "dimensions NULL", dimensions_null, "dimensions" },
    { "one dimension", one_dimension, "dimension" },
    { "dimension name NULL", dimension_name_null, "name" },
    { "dimension name empty", dimension_name_empty, "name" },
    { "dimension type out of range", dimension_type_bad, "type|kind" },
    { "last dimension not space", last_dimension_not_space, "type|kind|space" },
    { "chunk_size_px 0", chunk_size_zero, "chunk_size_px" },
    { "shard_size_chunks 0 in v3", shard_size_zero_v3, "shard_size_chunks" },
    { "array_size_px 0 after the first", inner_dimension_unbounded, "array_size_px" },
    { "scale negative", scale_negative, "scale" },
    { "compressor out of range", compressor_bad, "compressor" },
    { "codec out of range", codec_bad, "codec" },
    { "Blosc1 with the Zstd codec", blosc_with_zstd_codec, "codec" },
    { "Zstd with a Blosc codec", zstd_with_blosc_codec, "codec" },
    { "Blosc1 without a codec", blosc_without_codec, "codec" },
    { "Blosc level 10", blosc_level_10, "level" },
    { "Zstd level 23", zstd_level_23, "level" },
    { "shuffle 3", shuffle_3, "shuffle" },
    { "output_key with ..", output_key_dotdot, "output_key" },
    { "output_key with leading __", output_key_double_underscore, "output_key" },
    { "output_key with a space", output_key_space, "output_key" },
    { "two arrays with one key", duplicate_output_keys, "output_key" },
    { "two arrays at the root", two_root_arrays, "output_key" },
    { "an array inside an array", array_inside_array, "output_key" },
};

static int
contains_any(const char* text, const char* alternatives)
{
    char buffer[256];
    snprintf(buffer, sizeof(buffer), "%s", alternatives);
    for (char* word = strtok(buffer, "|"); word; word = strtok(NULL, "|")) {
        if (contains_ci(text, word)) {
            return 1;
        }
    }
    return 0;
}

static void
test_the_baseline_is_valid(void)
{
    ZarrStreamSettings settings;
    make_valid(&settings);
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    REQUIRE(stream != NULL);
    CHECK_OK(ZarrStream_close(stream));
    CHECK(path_exists(store));
    remove_tree(store);
}

static void
test_v2_ignores_shard_size(void)
{
    ZarrStreamSettings settings;
    make_valid(&settings);
    settings.version = ZarrVersion_2;
    settings.arrays[0].dimensions[1].shard_size_chunks = 0;
    ZarrStream* stream = ZarrStream_create(&settings);
    ZarrStreamSettings_destroy_arrays(&settings);
    REQUIRE(stream != NULL);
    CHECK_OK(ZarrStream_close(stream));
    remove_tree(store);
}

static void
test_each_invalid_setting_is_refused(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const Case* c = &cases[i];
        ZarrStreamSettings settings;
        make_valid(&settings);
        c->mutate(&settings);

        ZarrStream* stream = ZarrStream_create(&settings);
        const char* error = Zarr_get_last_error();
        if (stream) {
            aqz_fail(__FILE__, __LINE__, "[%s] ZarrStream_create succeeded", c->name);
            ZarrStream_destroy(stream);
        } else if (!contains_any(error, c->field)) {
            aqz_fail(__FILE__, __LINE__,
                     "[%s] last error \"%s\" does not name %s", c->name, error,
                     c->field);
        } else {
            fprintf(stderr, "   [%s] -> %s\n", c->name, error);
        }

        int entries = tree_entry_count(scratch);
        if (entries != 0) {
            aqz_fail(__FILE__, __LINE__, "[%s] %d entries created on disk",
                     c->name, entries);
            remove_tree(store);
        }

        /* Put the arrays back in a state destroy_arrays can free. */
        if (settings.arrays && settings.arrays[0].dimensions == NULL) {
            settings.arrays[0].dimension_count = 0;
        }
        if (!settings.arrays) {
            settings.array_count = 0;
        }
        if (settings.arrays && settings.arrays[0].dimension_count == 1) {
            settings.arrays[0].dimension_count = 3;
        }
        ZarrStreamSettings_destroy_arrays(&settings);
    }
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    if (!make_scratch_dir(scratch)) {
        return 1;
    }
    path_fmt(store, "%s/store.zarr", scratch);

    RUN_TEST(test_the_baseline_is_valid);
    RUN_TEST(test_v2_ignores_shard_size);
    RUN_TEST(test_each_invalid_setting_is_refused);

    remove_tree(scratch);
    return test_summary();
}

/* Status messages, log levels, the log callback and the last-error text. */
#include "test_helpers.h"

#include <pthread.h>

static void
test_every_status_code_has_a_distinct_message(void)
{
    for (int code = 0; code < ZarrStatusCodeCount; ++code) {
        const char* message = Zarr_get_status_message((ZarrStatusCode)code);
        REQUIRE(message != NULL);
        CHECK(strlen(message) > 0);
        for (int other = 0; other < code; ++other) {
            const char* earlier = Zarr_get_status_message((ZarrStatusCode)other);
            if (strcmp(message, earlier) == 0) {
                aqz_fail(__FILE__, __LINE__, "codes %d and %d share \"%s\"",
                         other, code, message);
            }
        }
    }
}

static void
test_status_message_out_of_range_is_not_null(void)
{
    const char* message = Zarr_get_status_message(ZarrStatusCodeCount);
    CHECK(message != NULL);
    message = Zarr_get_status_message((ZarrStatusCode)-1);
    CHECK(message != NULL);
    message = Zarr_get_status_message((ZarrStatusCode)12345);
    CHECK(message != NULL);
}

static void
test_enum_values_match_the_published_library(void)
{
    CHECK_EQ(ZarrStatusCode_Success, 0);
    CHECK_EQ(ZarrStatusCode_InvalidArgument, 1);
    CHECK_EQ(ZarrStatusCode_NotYetImplemented, 4);
    CHECK_EQ(ZarrStatusCode_WillNotOverwrite, 10);
    CHECK_EQ(ZarrStatusCode_WriteOutOfBounds, 12);
    CHECK_EQ(ZarrStatusCode_KeyNotFound, 13);
    CHECK_EQ(ZarrVersion_2, 2);
    CHECK_EQ(ZarrVersion_3, 3);
    CHECK_EQ(ZarrLogLevel_None, 4);
    CHECK_EQ(ZarrDataType_float64, 9);
    CHECK_EQ(ZarrCompressionCodec_Zstd, 3);
    CHECK_EQ(ZarrDimensionType_Other, 3);
    CHECK_EQ(ZarrDownsamplingMethod_Max, 4);
}

/* Zarr_get_api_version returns a semver string (as the published library
 * does): MAJOR.MINOR.PATCH, here the CMake project version. */
static int
is_semver(const char* text)
{
    for (int part = 0; part < 3; ++part) {
        if (!isdigit((unsigned char)*text)) {
            return 0;
        }
        if (*text == '0' && isdigit((unsigned char)text[1])) {
            return 0; /* no leading zeros */
        }
        while (isdigit((unsigned char)*text)) {
            ++text;
        }
        if (part < 2 && *text++ != '.') {
            return 0;
        }
    }
    /* optional -prerelease / +build suffix */
    return *text == '\0' || *text == '-' || *text == '+';
}

static void
test_api_version_is_a_semver_string(void)
{
    const char* version = Zarr_get_api_version();
    REQUIRE(version != NULL);
    CHECK(is_semver(version));
    CHECK(strcmp(version, AQZ_EXPECTED_VERSION) == 0);
    /* the same string every time, owned by the library */
    CHECK(Zarr_get_api_version() == version);
    CHECK(is_semver("0.10.0") && is_semver("1.2.3-rc1") && !is_semver("1.2") &&
          !is_semver("01.2.3") && !is_semver("1.2.3x"));
}

static void
test_log_level_round_trips(void)
{
    const ZarrLogLevel original = Zarr_get_log_level();
    CHECK(original >= ZarrLogLevel_Debug && original < ZarrLogLevelCount);

    for (int level = 0; level < ZarrLogLevelCount; ++level) {
        CHECK_OK(Zarr_set_log_level((ZarrLogLevel)level));
        CHECK_EQ(Zarr_get_log_level(), level);
    }

    CHECK_OK(Zarr_set_log_level(ZarrLogLevel_Warning));
    CHECK_STATUS(Zarr_set_log_level(ZarrLogLevelCount),
                 ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(Zarr_set_log_level((ZarrLogLevel)-1),
                 ZarrStatusCode_InvalidArgument);
    CHECK_STATUS(Zarr_set_log_level((ZarrLogLevel)99),
                 ZarrStatusCode_InvalidArgument);
    CHECK_EQ(Zarr_get_log_level(), ZarrLogLevel_Warning); /* unchanged */

    CHECK_OK(Zarr_set_log_level(original));
}

typedef struct
{
    int calls;
    int errors;
    int bad_messages;
} LogTally;

static void
tally_log(ZarrLogLevel level, const char* message, void* user_data)
{
    LogTally* tally = (LogTally*)user_data;
    ++tally->calls;
    if (level == ZarrLogLevel_Error) {
        ++tally->errors;
    }
    if (!message || !*message) {
        ++tally->bad_messages;
    }
}

static void
test_log_callback_sees_errors_at_or_above_the_level(void)
{
    const ZarrLogLevel original = Zarr_get_log_level();
    LogTally tally = { 0, 0, 0 };
    Zarr_set_log_callback(tally_log, &tally);

    /* A NULL argument is an error that gets logged. */
    CHECK_OK(Zarr_set_log_level(ZarrLogLevel_Error));
    CHECK(ZarrStream_create(NULL) == NULL);
    CHECK(tally.errors >= 1);
    CHECK_EQ(tally.bad_messages, 0);

    /* Nothing at all when logging is off. */
    LogTally quiet = { 0, 0, 0 };
    Zarr_set_log_callback(tally_log, &quiet);
    CHECK_OK(Zarr_set_log_level(ZarrLogLevel_None));
    CHECK(ZarrStream_create(NULL) == NULL);
    CHECK_EQ(quiet.calls, 0);

    /* And nothing after the callback is removed. */
    Zarr_set_log_callback(NULL, NULL);
    const int before = quiet.calls;
    CHECK_OK(Zarr_set_log_level(ZarrLogLevel_Debug));
    CHECK(ZarrStream_create(NULL) == NULL);
    CHECK_EQ(quiet.calls, before);

    CHECK_OK(Zarr_set_log_level(original));
}

/* Run ZarrStream_create(NULL) (a logged error) with fd 2 sent to a file;
 * returns how many bytes reached stderr, or -1 if it could not redirect. */
static long
stderr_bytes_of_a_logged_error(void)
{
    FILE* capture = tmpfile();
    if (!capture) {
        return -1;
    }
    fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    if (saved < 0 || dup2(fileno(capture), STDERR_FILENO) < 0) {
        fclose(capture);
        return -1;
    }
    ZarrStream* stream = ZarrStream_create(NULL);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    const long size = lseek(fileno(capture), 0, SEEK_END);
    fclose(capture);
    return stream == NULL ? size : -1;
}

static void
test_a_log_callback_replaces_stderr(void)
{
    const ZarrLogLevel original = Zarr_get_log_level();
    CHECK_OK(Zarr_set_log_level(ZarrLogLevel_Error));

    /* Without a callback the error line goes to stderr... */
    Zarr_set_log_callback(NULL, NULL);
    const long without = stderr_bytes_of_a_logged_error();
    REQUIRE(without >= 0);
    CHECK(without > 0);

    /* ...with one it goes to the callback only. */
    LogTally tally = { 0, 0, 0 };
    Zarr_set_log_callback(tally_log, &tally);
    const long with = stderr_bytes_of_a_logged_error();
    Zarr_set_log_callback(NULL, NULL);
    REQUIRE(with >= 0);
    CHECK_EQ(with, 0);
    CHECK(tally.errors >= 1);

    /* Removing the callback restores stderr. */
    const long after = stderr_bytes_of_a_logged_error();
    CHECK(after > 0);

    CHECK_OK(Zarr_set_log_level(original));
}

static void
test_last_error_names_the_problem_and_clears_on_success(void)
{
    CHECK(ZarrStream_create(NULL) == NULL);
    const char* error = Zarr_get_last_error();
    REQUIRE(error != NULL);
    CHECK(strlen(error) > 0);

    CHECK_OK(Zarr_set_log_level(Zarr_get_log_level()));
    error = Zarr_get_last_error();
    REQUIRE(error != NULL);
    CHECK(strcmp(error, "") == 0);
}

static void*
fail_on_another_thread(void* unused)
{
    (void)unused;
    ZarrStream_create(NULL);
    return NULL;
}

static void
test_last_error_is_per_thread(void)
{
    CHECK_OK(Zarr_set_log_level(Zarr_get_log_level()));
    REQUIRE(strcmp(Zarr_get_last_error(), "") == 0);
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, fail_on_another_thread, NULL) == 0);
    pthread_join(thread, NULL);
    CHECK(strcmp(Zarr_get_last_error(), "") == 0);
}

int
main(void)
{
    Zarr_set_log_level(ZarrLogLevel_None);
    RUN_TEST(test_every_status_code_has_a_distinct_message);
    RUN_TEST(test_status_message_out_of_range_is_not_null);
    RUN_TEST(test_enum_values_match_the_published_library);
    RUN_TEST(test_api_version_is_a_semver_string);
    RUN_TEST(test_log_level_round_trips);
    RUN_TEST(test_log_callback_sees_errors_at_or_above_the_level);
    RUN_TEST(test_a_log_callback_replaces_stderr);
    RUN_TEST(test_last_error_names_the_problem_and_clears_on_success);
    RUN_TEST(test_last_error_is_per_thread);
    return test_summary();
}

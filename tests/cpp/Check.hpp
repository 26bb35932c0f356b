#pragma once

// The unit tests' one assertion. A failed check is counted and reported on
// stderr (the first 40, so that a broken loop does not bury the first
// failure); main() ends with `return aqz_test::summary("test_name")`, which
// fails the test when any check failed. Each test is its own executable, so
// the count is per program.

#include <cstdio>
#include <string>

namespace aqz_test {

inline int failures = 0;

inline void
check(bool ok, const std::string& what)
{
    if (!ok && ++failures <= 40) {
        std::fprintf(stderr, "FAIL: %s\n", what.c_str());
    }
}

/// As check(), naming the source line (for CHECK and CHECK_MSG).
inline void
check_at(bool ok, const std::string& what, const char* file, int line)
{
    if (!ok) {
        check(false, std::string(file) + ':' + std::to_string(line) + ": " + what);
    }
}

/// The program's exit status: 0 when every check passed.
inline int
summary(const char* test)
{
    if (failures > 0) {
        std::fprintf(stderr, "%s: %d check(s) failed\n", test, failures);
        return 1;
    }
    std::printf("%s: all checks passed\n", test);
    return 0;
}

} // namespace aqz_test

#define CHECK(cond) ::aqz_test::check_at(static_cast<bool>(cond), #cond, __FILE__, __LINE__)
#define CHECK_MSG(cond, msg)                                                                       \
    ::aqz_test::check_at(static_cast<bool>(cond), std::string(#cond) + ": " + (msg), __FILE__, __LINE__)

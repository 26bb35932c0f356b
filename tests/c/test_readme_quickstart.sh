#!/bin/sh
# The README's "C quick start" must be a complete program that compiles and
# runs exactly as shown: take its ```c block out of README.md, compile it as
# C11 (warnings are errors) and as C++20, against the in-tree library, and
# run each build twice in one temporary folder (the second run meets the
# store the first one left, as a reader trying the quick start again does).
#
# usage: test_readme_quickstart.sh <README.md> <include dir> <library dir>
#                                  <C compiler> <C++ compiler> [<sanitizers>]
set -eu

readme=$1
include_dir=$2
lib_dir=$3
cc=$4
cxx=$5
sanitize=${6:-}

fail() {
    echo "FAILED: $*" >&2
    exit 1
}

flags=""
if [ -n "$sanitize" ]; then
    flags="-fsanitize=$sanitize"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/aqz-readme-c.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# The first ```c block after the "## C quick start" heading, up to its fence.
awk '
    /^## / { in_section = ($0 == "## C quick start") }
    in_section && !done && /^```c[ \t]*$/ { in_block = 1; next }
    in_block && /^```[ \t]*$/ { in_block = 0; done = 1; next }
    in_block { print }
' "$readme" >"$work/quickstart.c"
[ -s "$work/quickstart.c" ] || fail "no \`\`\`c block under '## C quick start' in $readme"
grep -q 'main(' "$work/quickstart.c" || fail "the C quick start has no main()"
echo "== the README's C quick start ($(wc -l <"$work/quickstart.c") lines)"

# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $flags "$work/quickstart.c" -o "$work/quickstart_c11" \
    -I"$include_dir" -L"$lib_dir" -lacquire_zarr -Wl,-rpath,"$lib_dir" ||
    fail "the C quick start does not compile as C11"
# C++ warns about designated initialisers that leave fields out (-Wextra).
# shellcheck disable=SC2086
"$cxx" -std=c++20 -x c++ -Wall -Werror $flags "$work/quickstart.c" -x none \
    -o "$work/quickstart_cxx20" \
    -I"$include_dir" -L"$lib_dir" -lacquire_zarr -Wl,-rpath,"$lib_dir" ||
    fail "the C quick start does not compile as C++20"

for program in quickstart_c11 quickstart_cxx20; do
    run=$work/run-$program
    mkdir "$run"
    for attempt in 1 2; do
        echo "== $program, run $attempt"
        (cd "$run" && "$work/$program") || fail "$program exited with $? on run $attempt"
    done
    [ -f "$run/my_stream.zarr/zarr.json" ] || fail "$program wrote no my_stream.zarr"
    [ -f "$run/my_stream.zarr/camera/zarr.json" ] ||
        fail "$program wrote no array at my_stream.zarr/camera"
    grep -q '"shape"' "$run/my_stream.zarr/camera/zarr.json" ||
        fail "my_stream.zarr/camera/zarr.json is not array metadata"
done
echo "README C quick start: compiles and runs as written"

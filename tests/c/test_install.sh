#!/bin/sh
# Install the build into a scratch prefix, then build examples/ against the
# installed library only -- with find_package (shared, then static) and with
# pkg-config (shared, then static) -- and run every program built.
#
# usage: test_install.sh <build dir> <examples dir> <work dir> <cmake>
#                        <generator> <make program> <C compiler> <config>
#                        [<sanitizers, e.g. address,undefined>]
set -eu

build_dir=$1
examples_dir=$2
work=$3
cmake=$4
generator=$5
make_program=$6
cc=$7
config=$8
sanitize=${9:-}

fail() {
    echo "FAILED: $*" >&2
    exit 1
}

# An instrumented library only loads into instrumented programs.
flags=""
if [ -n "$sanitize" ]; then
    flags="-fsanitize=$sanitize"
fi

rm -rf "$work"
mkdir -p "$work/out"
prefix=$work/prefix

echo "== cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" --config "$config" >"$work/install.log" ||
    { cat "$work/install.log"; fail "cmake --install"; }
for f in include/acquire.zarr.h include/zarr.types.h; do
    [ -f "$prefix/$f" ] || fail "$f not installed"
done
config_file=$(find "$prefix" -name acquire-zarr-config.cmake | head -n 1)
pc_file=$(find "$prefix" -name acquire-zarr.pc | head -n 1)
[ -n "$config_file" ] || fail "acquire-zarr-config.cmake not installed"
[ -f "$(dirname "$config_file")/acquire-zarr-config-version.cmake" ] ||
    fail "acquire-zarr-config-version.cmake not installed"
[ -n "$pc_file" ] || fail "acquire-zarr.pc not installed"
libdir=$(dirname "$(dirname "$pc_file")")
ls "$libdir"/libacquire_zarr.so* >/dev/null 2>&1 || ls "$libdir"/libacquire_zarr*.dylib >/dev/null 2>&1 ||
    fail "no shared libacquire_zarr in $libdir"
[ -f "$libdir/libacquire_zarr.a" ] || fail "no static libacquire_zarr.a in $libdir"

# run <program> <store>: run an example, which must write a Zarr store.
run() {
    echo "== $1 $2"
    "$1" "$2" || fail "$1 exited with $?"
    [ -f "$2/zarr.json" ] || [ -f "$2/.zgroup" ] || [ -f "$2/.zarray" ] ||
        fail "$1 wrote no store at $2"
}

# ---- find_package ------------------------------------------------------------
for variant in shared static; do
    static=OFF
    [ "$variant" = static ] && static=ON
    build=$work/examples-$variant
    echo "== configure examples ($variant) against $prefix"
    "$cmake" -S "$examples_dir" -B "$build" -G "$generator" \
        -DCMAKE_MAKE_PROGRAM="$make_program" \
        -DCMAKE_BUILD_TYPE="$config" \
        -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="$flags" \
        -DACQUIRE_ZARR_EXAMPLES_STATIC=$static >"$build.log" 2>&1 ||
        { cat "$build.log"; fail "configuring examples ($variant)"; }
    found=$(grep '^acquire-zarr_DIR:' "$build/CMakeCache.txt" | cut -d= -f2-)
    case "$found" in
        "$prefix"/*) ;;
        *) fail "find_package(acquire-zarr) found '$found', not the install in $prefix" ;;
    esac
    "$cmake" --build "$build" --config "$config" >>"$build.log" 2>&1 ||
        { cat "$build.log"; fail "building examples ($variant)"; }
    for example in stream_v3 stream_v2 multi_array; do
        program=$(find "$build" -type f -name "$example" -o -type f -name "$example.exe" | head -n 1)
        [ -n "$program" ] || fail "$example was not built ($variant)"
        run "$program" "$work/out/$example-$variant.zarr"
    done
    # The published README's examples (C11 and C++20), which write into the
    # working directory.
    for example in readme_single_array readme_hcs readme_s3; do
        for program_name in "$example" "${example}_cxx20"; do
            program=$(find "$build" -type f -name "$program_name" -o -type f -name "$program_name.exe" | head -n 1)
            [ -n "$program" ] || fail "$program_name was not built ($variant)"
            run_dir=$work/out/$program_name-$variant
            mkdir -p "$run_dir"
            echo "== $program (in $run_dir)"
            (cd "$run_dir" && "$program") || fail "$program_name exited with $?"
        done
    done
    [ -f "$work/out/readme_single_array-$variant/my_stream.zarr/my-array/zarr.json" ] ||
        fail "readme_single_array wrote no my_stream.zarr/my-array ($variant)"
    [ -f "$work/out/readme_hcs_cxx20-$variant/hcs_experiment.zarr/experiment_plate/A/1/fov1/zarr.json" ] ||
        fail "readme_hcs_cxx20 wrote no plate field of view ($variant)"
done

if command -v readelf >/dev/null 2>&1; then
    readelf -d "$work/examples-static/stream_v3" | grep -q 'libacquire_zarr' &&
        fail "the static build of stream_v3 still needs the shared library"
    readelf -d "$work/examples-shared/stream_v3" | grep -q 'libacquire_zarr' ||
        fail "the shared build of stream_v3 does not use the shared library"
fi

# ---- pkg-config --------------------------------------------------------------
command -v pkg-config >/dev/null 2>&1 || fail "pkg-config is not installed"
PKG_CONFIG_PATH=$(dirname "$pc_file")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
pkg-config --exists --print-errors acquire-zarr || fail "pkg-config cannot use acquire-zarr.pc"
echo "== pkg-config --cflags --libs acquire-zarr: $(pkg-config --cflags --libs acquire-zarr)"
echo "== pkg-config --static --libs acquire-zarr: $(pkg-config --static --libs acquire-zarr)"
pc_libdir=$(pkg-config --variable=libdir acquire-zarr)

# Shared: exactly the line a user would type (plus an rpath to find the .so).
# shellcheck disable=SC2046
"$cc" -std=c11 $flags "$examples_dir/stream_v2.c" -o "$work/stream_v2-pkgconfig-shared" \
    $(pkg-config --cflags --libs acquire-zarr) -Wl,-rpath,"$pc_libdir" ||
    fail "compiling stream_v2.c with pkg-config (shared)"
run "$work/stream_v2-pkgconfig-shared" "$work/out/stream_v2-pkgconfig-shared.zarr"

# Static: --static adds Libs.private/Requires.private; -l:libacquire_zarr.a
# makes the linker take the archive although the .so sits beside it.
static_libs=$(pkg-config --static --libs acquire-zarr | sed 's/-lacquire_zarr/-l:libacquire_zarr.a/')
# shellcheck disable=SC2086
"$cc" -std=c11 $flags "$examples_dir/stream_v3.c" -o "$work/stream_v3-pkgconfig-static" \
    $(pkg-config --cflags acquire-zarr) $static_libs ||
    fail "compiling stream_v3.c with pkg-config (static)"
if command -v readelf >/dev/null 2>&1; then
    readelf -d "$work/stream_v3-pkgconfig-static" | grep -q 'libacquire_zarr' &&
        fail "the pkg-config static build still needs the shared library"
fi
run "$work/stream_v3-pkgconfig-static" "$work/out/stream_v3-pkgconfig-static.zarr"

echo "install and examples: all good"

#!/bin/sh
# Run a program in a fresh temporary folder (removed afterwards), then check
# that it wrote what it should.
#
# usage: run_in_tempdir.sh <program> [<path the program must create>...]
set -eu

program=$1
shift

dir=$(mktemp -d "${TMPDIR:-/tmp}/aqz-example.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
cd "$dir"

echo "== $program (in $dir)"
"$program"
for path in "$@"; do
    [ -e "$path" ] || { echo "FAILED: $program did not write $path" >&2; exit 1; }
    echo "== wrote $path"
done

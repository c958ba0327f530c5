#!/bin/sh
# test.sh - the whole test suite, from a fresh clone: installs what is
# missing, builds the normal and the ASan/UBSan configurations, runs every
# test, and ends with one line "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."

./scripts/setup.sh

configure() { # dir, extra meson options...
    dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null
    fi
    ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

echo "== build (debugoptimized)"
configure build
echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
configure build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args=-fno-sanitize-recover=all

status=0
echo "== tests"
meson test -C build --no-rebuild --print-errorlogs || status=1
echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
    meson test -C build-asan --no-rebuild --print-errorlogs --suite unit --suite asan || status=1

python3 scripts/summarize.py build/meson-logs/testlog.json \
    asan:build-asan/meson-logs/testlog.json || status=1
exit $status

#!/bin/sh
# test.sh - the whole test suite, from a fresh clone: installs what is
# missing, builds the normal and the ASan/UBSan configurations, runs every
# test, runs the unit and machine tests again under ASan/UBSan and the ones
# that run our executables directly under valgrind, and ends with one line
# "N passed, N failed".
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
echo "== unit and machine tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
LSAN_OPTIONS=suppressions=$PWD/tests/sanitizers/lsan.supp \
    meson test -C build-asan --no-rebuild --print-errorlogs \
        --suite unit --suite machine --suite asan || status=1
echo "== unit and machine tests under valgrind"
meson test -C build --no-rebuild --print-errorlogs --setup valgrind --suite valgrind || status=1

python3 scripts/summarize.py build/meson-logs/testlog.json \
    asan:build-asan/meson-logs/testlog.json \
    valgrind:build/meson-logs/testlog-valgrind.json || status=1
exit $status

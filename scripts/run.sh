#!/bin/sh
# run.sh - the main job: install what is missing, build, and run the vmtour
# demonstration - a PE program built with mingw-w64, on the guest kernel -
# with `mmulab run vmtour`.  Arguments are options for `mmulab run`, given
# before the program (for example --events -).
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build >/dev/null || ninja -C build
exec ./build/emu/mmulab run "$@" vmtour

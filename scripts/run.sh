#!/bin/sh
# run.sh - the main job: install what is missing, build, and boot the guest
# kernel's built-in demonstration (mmulab run).
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build >/dev/null || ninja -C build
exec ./build/emu/mmulab run "$@"

#!/bin/sh
# run.sh MMULAB KERNEL PROGRAM FILE... - pack the FILEs into a ustar system
# volume (tar --format=ustar), boot the kernel with it as disk 0, run
# PROGRAM, and pass its TAP through; the exit status is mmulab's (the
# program's exit status; 120 if the kernel panicked).  KERNEL_OPTS, if set,
# go on the kernel command line before run=.
set -u
mmulab=$1 kernel=$2 program=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/vol"
for f in "$@"; do cp "$f" "$dir/vol/"; done
(cd "$dir/vol" && tar --format=ustar -cf "$dir/system.tar" -- *)
exec "$mmulab" run --kernel "$kernel" --disk "$dir/system.tar" --cmdline "quiet ${KERNEL_OPTS:-} run=$program"

#!/bin/sh
# fuzz.sh PE_MUTATE MMULAB KERNEL SEED COUNT TEMPLATE FILE... - make COUNT
# mutants of TEMPLATE (pe_mutate, fixed SEED) in a volume with the FILEs and
# run pe_fuzz.exe over them (TAP).
set -u
mutate=$1 mmulab=$2 kernel=$3 seed=$4 count=$5
shift 5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mutate" "$seed" "$count" "$dir/system.tar" "$@" || exit 1
exec "$mmulab" run --kernel "$kernel" --disk "$dir/system.tar" --cmdline "quiet run=pe_fuzz.exe $count"

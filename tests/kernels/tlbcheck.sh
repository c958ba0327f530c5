#!/bin/sh
# tlbcheck.sh MMULAB KERNEL MODE - the missing-invalidation detector on a
# planted bug (tlbplant.c), in TLB mode MODE, as TAP: the kernel's own
# checks pass; the detector reports exactly one stale entry, on stderr and
# in --events, naming the virtual address, the PTE's physical address and
# its cached and current values the kernel printed; and with the bug fixed
# (INVLPG done) it reports nothing.
mmulab=$1 kernel=$2 mode=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$1"; then ok "$2"; else notok "$2"; fi; }

echo "1..8"
"$mmulab" run --kernel "$kernel" --tlb skylake --tlb-mode "$mode" --tlb-check \
    --events "$dir/events" > "$dir/out" 2> "$dir/err"
status=$?
check '[ $status -eq 0 ]' "planted bug: the kernel's checks pass (exit status $status)"
planted=$(grep '^# planted:' "$dir/out")
set -- $planted
va=$4 pte=$6 old=$8 new=${10}
check '[ -n "$va" ]' "the kernel says what it planted: $planted"
report=$(grep 'tlb-check: missing invalidation' "$dir/err")
check '[ $(printf "%s\n" "$report" | grep -c .) -eq 1 ]' "exactly one report on stderr"
check 'printf "%s" "$report" | grep -q "read of $va used a stale"' "it names the access: read of $va"
check 'printf "%s" "$report" | grep -q "the PTE at physical $pte was $old when cached and is $new now"' \
    "it names the PTE at $pte, $old -> $new"
check 'printf "%s" "$report" | grep -q "at time [0-9][0-9]*, RIP 0x"' "it gives virtual time and RIP"
check '[ $(grep -c "tlb-check: stale .* $va .*PTE at $pte $old -> $new" "$dir/events") -eq 1 ]' \
    "the same report in --events"
"$mmulab" run --kernel "$kernel" --cmdline fixed --tlb skylake --tlb-mode "$mode" --tlb-check \
    > "$dir/out2" 2> "$dir/err2"
status=$?
check '[ $status -eq 0 ] && ! grep -q "tlb-check" "$dir/err2"' \
    "with the INVLPG done: exit status $status, no report"
for f in err out events; do sed "s/^/# $f: /" "$dir/$f"; done | grep -v '^# out: ok' | head -20

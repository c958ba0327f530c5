#!/bin/sh
# determinism.sh MMULAB KERNEL [ARGS...] - run the same kernel twice with
# --trace, --events and --stats-json; the console output, the trace, the
# event log and the instruction count must be identical (TAP).  A third run
# without --trace must match too: tracing (a hook on every instruction)
# must not change virtual time.
set -u
mmulab=$1
shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in 1 2; do
    "$mmulab" run --kernel "$@" --trace "$dir/trace$i" --events "$dir/events$i" \
        --stats-json "$dir/stats$i" > "$dir/out$i" 2>&1
    echo $? > "$dir/status$i"
done
"$mmulab" run --kernel "$@" --events "$dir/events3" --stats-json "$dir/stats3" > "$dir/out3" 2>&1
insns() { sed -n 's/^  "instructions": \([0-9]*\),$/\1/p' "$1"; }
echo "1..8"
n=0
check() { n=$((n + 1)); if eval "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
check 'cmp -s "$dir/out1" "$dir/out2"' "console output identical"
check 'cmp -s "$dir/trace1" "$dir/trace2"' "instruction trace identical ($(wc -l < "$dir/trace1") lines)"
check 'cmp -s "$dir/events1" "$dir/events2"' "event log identical ($(wc -l < "$dir/events1") events)"
check '[ "$(insns "$dir/stats1")" = "$(insns "$dir/stats2")" ]' "instruction count identical ($(insns "$dir/stats1"))"
# The trace shows an instruction before it runs; one that faults is traced
# but does not complete, so it is not counted.
faults=$(grep -c 'deliver exception' "$dir/events1" | tr -d ' ')
nested=$(grep 'deliver exception' "$dir/events1" | grep -c 'while delivering' | tr -d ' ')
check '[ "$(insns "$dir/stats1")" -eq $(( $(wc -l < "$dir/trace1") - faults + nested )) ]' \
    "the count equals the traced instructions less the $((faults - nested)) that faulted"
check 'cmp -s "$dir/status1" "$dir/status2"' "exit status identical ($(cat "$dir/status1"))"
check 'cmp -s "$dir/events1" "$dir/events3" && cmp -s "$dir/out1" "$dir/out3"' \
    "without --trace: the same event log and output"
check '[ "$(insns "$dir/stats1")" = "$(insns "$dir/stats3")" ]' "without --trace: the same instruction count"

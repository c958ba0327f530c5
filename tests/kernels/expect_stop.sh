#!/bin/sh
# expect_stop.sh MMULAB STATUS PATTERN ARGS... - run mmulab, then check (TAP)
# its exit status and that stderr matches PATTERN.
mmulab=$1 want=$2 pattern=$3
shift 3
err=$("$mmulab" "$@" 2>&1 >/dev/null)
got=$?
echo "1..2"
if [ "$got" -eq "$want" ]; then echo "ok 1 - exit status $got"; else echo "not ok 1 - exit status $got, expected $want"; fi
if printf '%s' "$err" | grep -q -- "$pattern"; then echo "ok 2 - the report says: $pattern"
else echo "not ok 2 - the report lacks '$pattern':"; printf '%s\n' "$err" | sed 's/^/# /'; fi

# tap.sh - TAP helpers for the command-line tests (sourced; $mmulab is the
# binary under test): plan, ok, notok, and expect STATUS PATTERN DESCRIPTION
# -- ARGS..., which runs mmulab ARGS and checks its exit status and that its
# output matches PATTERN.  $fail is 1 once a check failed.
n=0
fail=0
plan() { echo "1..$1"; }
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

expect() {
    status=$1 pattern=$2 desc=$3
    shift 4
    out=$("$mmulab" "$@" 2>&1)
    got=$?
    if [ "$got" -eq "$status" ] && printf '%s' "$out" | grep -q -- "$pattern"; then
        ok "$desc"
    else
        notok "$desc (exit $got, output: $(printf '%s' "$out" | head -n 3 | tr '\n' '|'))"
    fi
}

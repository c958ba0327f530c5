#!/bin/sh
# test_cli.sh MMULAB - the command-line conventions, as TAP: --help tells the
# truth and exits 0; unknown commands, options and bad values exit 2 with a
# message that names the problem.
mmulab=$1
. "$(dirname "$0")/tap.sh"

plan 15
expect 0 "usage: mmulab COMMAND" "mmulab --help" -- --help
expect 2 "usage: mmulab COMMAND" "mmulab with no command" --
expect 2 "unknown command 'frobnicate'" "unknown command" -- frobnicate
expect 0 "usage: mmulab pagewalk" "pagewalk --help" -- pagewalk --help
expect 2 "nothing to do: give --demo" "pagewalk without --demo" -- pagewalk
expect 2 "unknown option '--dmeo'" "misspelt option" -- pagewalk --dmeo
expect 2 "takes no value" "value given to a flag" -- pagewalk --demo=yes
expect 0 "PML4E" "pagewalk --demo walks" -- pagewalk --demo
expect 2 "'abc' is not a number" "non-numeric --cases" -- selftest walk --cases abc
expect 2 "out of range" "zero --cases" -- selftest walk --cases 0
expect 2 "'6level' is not one of" "bad --mode" -- selftest walk --mode 6level
expect 2 "needs a value" "missing value" -- selftest walk --seed
expect 2 "unknown subcommand 'nope'" "unknown bench subcommand" -- bench nope
expect 0 "\"4level_4k_ns\"" "bench walk --json" -- bench walk --json --walks 1000
expect 0 "4000 cases, 0 mismatches" "selftest walk, small" -- selftest walk --cases 1000 --seed 7
exit $fail

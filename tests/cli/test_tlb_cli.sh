#!/bin/sh
# test_tlb_cli.sh MMULAB KERNEL - the TLB options of `mmulab run` and
# `mmulab bench tlb`, as TAP: --help tells about them, bad specs and
# inconsistent options exit 2 with a message naming the problem, the
# statistics appear where promised.
mmulab=$1 kernel=$2
. "$(dirname "$0")/tap.sh"

plan 13
expect 0 "--tlb SPEC" "run --help lists --tlb" -- run --help
expect 0 "--tlb-mode MODE" "run --help lists --tlb-mode" -- run --help
expect 2 'unknown structure "l3d"' "a bad structure in --tlb" -- run --tlb l3d:4k=8
expect 2 '64 entries do not make sets of 5 ways' "a bad geometry in --tlb" -- run --tlb l1d:4k=64x5
expect 2 "'slow' is not one of" "a bad --tlb-mode" -- run --tlb skylake --tlb-mode slow
expect 2 "needs a TLB model" "--tlb-mode without --tlb" -- run --tlb-mode precise
expect 2 "needs a TLB model" "--tlb-check without --tlb" -- run --tlb-check
expect 0 "l1d:4k .* 64 .* 4 .* 16 lru" "--stats prints the model's table" -- \
    run --kernel "$kernel" --tlb skylake --stats
expect 0 "TLB model, precise mode" "--stats names the mode" -- \
    run --kernel "$kernel" --tlb tiny --tlb-mode precise --stats
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mmulab" run --kernel "$kernel" --tlb zen2 --stats-json "$dir/s.json" > /dev/null 2>&1
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); t=d['tlb']; \
assert t['mode']=='fast' and t['model']['accesses']>0 and t['model']['structures'][0]['name']" \
    "$dir/s.json" 2>/dev/null; then ok "--stats-json has a tlb object"
else notok "--stats-json has a tlb object: $(head -c 300 "$dir/s.json" | tr '\n' ' ')"; fi
expect 0 "usage: mmulab bench tlb" "bench tlb --help" -- bench tlb --help
expect 2 "out of range" "bench tlb: a working set below 16 KB" -- bench tlb --max-ws 4K
"$mmulab" bench tlb --json --iterations 20000 --accesses 1000 --repeat 1 --max-ws 64K \
    > "$dir/b.json" 2>&1
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); \
assert sorted(d)==['fast_ratio_vs_no_model','precise_mips','sweep']; \
assert d['precise_mips']>0 and d['fast_ratio_vs_no_model']>0; \
assert len(d['sweep'])==8 and all(sorted(p)==['misses_per_1000','page_size','preset','working_set_bytes'] for p in d['sweep'])" \
    "$dir/b.json" 2>/dev/null; then ok "bench tlb --json: the documented keys"
else notok "bench tlb --json: $(head -c 300 "$dir/b.json" | tr '\n' ' ')"; fi
exit $fail

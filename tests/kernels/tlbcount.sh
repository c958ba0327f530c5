#!/bin/sh
# tlbcount.sh MMULAB KERNEL - precise mode presents every data access to the
# TLB model exactly once, page-crossing ones as one access per page (TAP).
# tlbcount.c makes 6 accesses a round; runs of 100 and 300 rounds must differ
# by exactly 1200 data accesses in the model (each data access is looked up
# once in every first-level data structure, so: l1d lookups / l1d structures).
mmulab=$1 kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "1..3"
for n in 100 300; do
    "$mmulab" run --kernel "$kernel" --cmdline $n --tlb skylake --tlb-mode precise \
        --stats-json "$dir/$n.json" > "$dir/$n.out" 2>&1
    echo "# $n rounds: exit status $?"
done
python3 - "$dir/100.json" "$dir/300.json" <<'PY'
import json, sys
def data_accesses(path):
    s = json.load(open(path))['tlb']['model']['structures']
    l1d = [x['lookups'] for x in s if x['name'].startswith('l1d')]
    return sum(l1d) // len(l1d), sum(l1d) % len(l1d)
a, ra = data_accesses(sys.argv[1])
b, rb = data_accesses(sys.argv[2])
print(('ok' if ra == 0 and rb == 0 else 'not ok') +
      ' 1 - every data access searched every first-level data structure once')
print(('ok' if b - a == 1200 else 'not ok') +
      ' 2 - 200 more rounds, %d more data accesses in the model (want 1200)' % (b - a))
walks = [json.load(open(p))['tlb']['model']['walks'] for p in sys.argv[1:]]
print(('ok' if walks[0] == walks[1] else 'not ok') +
      ' 3 - and not one more walk (%d, %d): the rounds hit' % tuple(walks))
PY

#!/usr/bin/env python3
"""bench_paging.py MMULAB - `mmulab bench paging` with a small setting (TAP):
every JSON key there and documented by --help, the counts the phases must
have seen (exact where the guest's work fixes them), the derived figures
consistent with the measured ones, and clear usage errors.  No timing
thresholds: times are only required to be positive."""
import json
import re
import subprocess
import sys

mmulab = sys.argv[1]
checks = []


def check(cond, what):
    checks.append((bool(cond), what))


def run(*args):
    p = subprocess.run([mmulab, 'bench', 'paging'] + list(args), capture_output=True, text=True,
                       timeout=600)
    return p.returncode, p.stdout, p.stderr


SWEEP, FAULTS, RAM = 24 << 20, 64, 16 << 20
PAGE = 4096
KEYS = ['page_out_per_s', 'page_out_guest_instructions', 'page_in_per_s',
        'page_in_guest_instructions', 'pagefile_fault_us', 'pagefile_fault_guest_instructions',
        'transition_fault_us', 'transition_fault_guest_instructions',
        'pagefile_vs_transition_time_ratio', 'pagefile_vs_transition_instruction_ratio',
        'demand_zero_fault_us', 'demand_zero_fault_guest_instructions', 'page_outs', 'page_ins',
        'pagefile_faults', 'transition_faults', 'demand_zero_faults', 'ram_bytes', 'sweep_pages',
        'fault_pages', 'pagefile_bytes', 'guest_instructions', 'runs']

status, out, err = run('--json', '--repeat', '1', '--sweep', '24M', '--faults', str(FAULTS))
check(status == 0, 'bench paging --json exits 0 (%d%s)' % (status, ': ' + err[-300:] if status else ''))
try:
    j = json.loads(out)
except ValueError:
    j = {}
check(sorted(j) == sorted(KEYS), 'exactly the documented keys (%s)' %
      ', '.join(sorted(set(j) ^ set(KEYS))))
g = lambda k: j.get(k, 0)
check(g('ram_bytes') == RAM and g('sweep_pages') == SWEEP // PAGE and g('fault_pages') == FAULTS
      and g('runs') == 1, 'the settings reported back')
check(g('pagefile_bytes') == SWEEP + RAM + (16 << 20), 'the paging file: sweep + RAM + 16M')
check(g('demand_zero_faults') == FAULTS, 'demand-zero phase: one fault per page (%s)' %
      g('demand_zero_faults'))
check(g('pagefile_faults') == FAULTS, 'paging-file phase: one paging-file fault per page (%s)' %
      g('pagefile_faults'))
check(FAULTS <= g('transition_faults') <= FAULTS + 8,
      'transition phase: one transition fault per page, and a few of the program\'s own (%s)' %
      g('transition_faults'))
check(SWEEP // PAGE <= g('page_outs') <= SWEEP // PAGE + RAM // PAGE,
      'page-outs: at least one per page of the sweep, RAM being full (%s)' % g('page_outs'))
check(SWEEP // PAGE - RAM // PAGE <= g('page_ins') <= SWEEP // PAGE,
      'page-ins: the sweep but what RAM still held (%s)' % g('page_ins'))
positive = [k for k in KEYS if k.endswith(('_us', '_per_s', '_instructions'))]
check(all(g(k) > 0 for k in positive), 'every time, rate and instruction count is positive')
check(g('pagefile_fault_guest_instructions') > g('transition_fault_guest_instructions'),
      'a paging-file fault runs more guest instructions than a transition fault (%s, %s)' %
      (g('pagefile_fault_guest_instructions'), g('transition_fault_guest_instructions')))
for name, a, b in [('time', 'pagefile_fault_us', 'transition_fault_us'),
                   ('instruction', 'pagefile_fault_guest_instructions',
                    'transition_fault_guest_instructions')]:
    r = g('pagefile_vs_transition_%s_ratio' % name)
    check(g(b) and abs(r - g(a) / g(b)) <= 0.01 + 0.01 * r, 'the %s ratio is %s / %s' % (name, a, b))

status, out, err = run('--repeat', '1', '--sweep', '24M', '--faults', str(FAULTS))
check(status == 0 and all(re.search(p, out) for p in [
    r'page-outs .* pages/s .* guest instructions each', r'page-ins .* pages/s',
    r'paging-file fault .* us', r'transition fault .* us', r'paging-file / transition .* x']),
    'the human form has every figure')

status, out, err = run('--help')
check(status == 0 and all(k in out for k in KEYS), '--help names every JSON key')
status, out, err = run('--sweep', '8M')
check(status == 2 and 'not more than the RAM' in err, '--sweep not above the RAM: a usage error')
status, out, err = run('--faults', '2000')
check(status == 2 and 'at most 1024 pages' in err, '--faults above a quarter of RAM: a usage error')

print('1..%d' % len(checks))
for i, (ok, what) in enumerate(checks, 1):
    print('%sok %d - %s' % ('' if ok else 'not ', i, what))
sys.exit(0 if all(ok for ok, _ in checks) else 1)

#!/usr/bin/env python3
"""stats_json.py MMULAB STATSPORT_KERNEL NT_KERNEL - the guest's counters in
--stats-json (TAP).  A bare kernel's table: the last values of its good
entries, its bad entries skipped, wild registrations reported, the JSON
always valid.  The NT-like kernel's table: present and consistent with the
machine's own counts."""
import json
import os
import subprocess
import sys
import tempfile

mmulab, statsport, nt_kernel = sys.argv[1:4]
n = 0
failed = False


def check(cond, what):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + f" {n} - {what}")
    failed |= not cond


def run(kernel, cmdline=""):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "stats.json")
        proc = subprocess.run([mmulab, "run", "--kernel", kernel, "--cmdline", cmdline,
                               "--stats-json", path], capture_output=True, text=True)
        try:
            with open(path, encoding="utf-8") as f:
                return proc.returncode, json.load(f)
        except (OSError, ValueError) as e:
            return proc.returncode, {"unreadable": str(e)}


print("1..9")
status, s = run(statsport)
check(status == 0 and "unreadable" not in s, "a bare kernel's run writes valid JSON")
check(s.get("guest") == {"answer": 42, "big_value": 2**64 - 1},
      f"the good entries, with their last values; bad names skipped ({s.get('guest')})")
status, s = run(statsport, "outside")
check("unreadable" not in s and "guest" not in s, "a table past RAM: valid JSON, no guest counters")
check(s.get("guest_error") == "the table is outside RAM", f"and says why ({s.get('guest_error')})")
status, s = run(statsport, "badmagic")
check(s.get("guest_error") == "the table has a bad magic number or count",
      f"a bad magic number is reported ({s.get('guest_error')})")

status, s = run(nt_kernel)
g = s.get("guest", {})
check(status == 0 and "faults_demand_zero" in g and "context_switches" in g,
      "the NT-like kernel publishes its counters")
check(0 < g.get("faults_demand_zero", 0) <= s.get("exceptions", {}).get("14", 0),
      f"demand-zero faults ({g.get('faults_demand_zero')}) are page faults the machine "
      f"delivered ({s.get('exceptions', {}).get('14')})")
check(g.get("commit_charge_pages") == 0, "the demo gives back all it committed")
check(g.get("pages_free", 0) + g.get("pages_zeroed", 0) + g.get("pages_active", 0)
      <= g.get("pages_total", -1), "free + zeroed + active pages fit in the total")
sys.exit(1 if failed else 0)

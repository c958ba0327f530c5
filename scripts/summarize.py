#!/usr/bin/env python3
"""summarize.py - count test cases in meson testlog.json files.

A TAP test (cmocka's output, our own commands' --tap) counts each of its
cases; any other test counts as one case.  A TAP test that dies before its
plan is complete counts the missing cases as failed.  Prints the failures
and, as its last line, "N passed, N failed".  Exit status 1 if any failed.
"""
import json
import re
import sys

passed = failed = 0
failures = []

for arg in sys.argv[1:]:
    prefix, _, path = arg.rpartition(':') if ':' in arg else ('', '', arg)
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print(f"summarize: cannot read {path}: {e.strerror}")
        failed += 1
        failures.append(f"{path}: missing test log")
        continue
    for line in lines:
        t = json.loads(line)
        name = (prefix + ':' if prefix else '') + t['name']
        out = t.get('stdout') or ''
        plan = re.search(r'^1\.\.(\d+)', out, re.M)
        if plan:
            ok = re.findall(r'^ok \d+ - (.*)$', out, re.M)
            bad = re.findall(r'^not ok \d+ - (.*)$', out, re.M)
            missing = int(plan.group(1)) - len(ok) - len(bad)
            passed += len(ok)
            failed += len(bad) + max(missing, 0)
            failures += [f"{name}: {c}" for c in bad]
            if missing > 0:
                failures.append(f"{name}: {missing} case(s) never ran ({t['result']})")
            elif t['result'] not in ('OK', 'EXPECTEDFAIL', 'SKIP') and not bad:
                failed += 1
                failures.append(f"{name}: {t['result']}")
        elif t['result'] in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif t['result'] != 'SKIP':
            failed += 1
            failures.append(f"{name}: {t['result']}")

if failures:
    print("\nFailed:")
    for f in failures:
        print("  " + f)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)

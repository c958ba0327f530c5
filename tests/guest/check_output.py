#!/usr/bin/env python3
"""check_output.py STATUS PATTERN... -- COMMAND... - run COMMAND; check (TAP)
its exit status and that its output (stdout and stderr) matches each
regular expression PATTERN."""
import re
import subprocess
import sys

args = sys.argv[1:]
sep = args.index('--')
want, patterns, cmd = int(args[0]), args[1:sep], args[sep + 1:]
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
out = p.stdout.decode('utf-8', 'replace')
print('1..%d' % (len(patterns) + 1))
ok = p.returncode == want
print('%sok 1 - exit status %d%s' % ('' if ok else 'not ', p.returncode,
                                    '' if ok else ', expected %d' % want))
for i, pat in enumerate(patterns, 2):
    found = re.search(pat, out, re.M) is not None
    print('%sok %d - output matches: %s' % ('' if found else 'not ', i, pat))
if not ok or not all(re.search(pat, out, re.M) for pat in patterns):
    for line in out.splitlines()[-30:]:
        print('# ' + line)

#!/usr/bin/env python3
"""test_mapped.py MMULAB TEST_MAPPED.exe - build the data volume
test_mapped.exe works on (a ustar archive made with tarfile), run the
program's three parts on it (files; pressure with --ram 32M; huge with
--ram 2G), pass their checks through as one TAP stream, and check on the
host what the runs left in the archive: the bytes the program wrote, where
it wrote them, and nothing else."""
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

PAGE = 4096
RW_SIZE = 3 * 0x10000 + 5000


def pattern(n, start=0):
    return bytes(((i * 131) + (i >> 8)) & 0xff for i in range(start, start + n))


FILES = [  # name, contents, mode
    ('data/rw.dat', pattern(RW_SIZE), 0o644),
    ('ro.dat', pattern(5000), 0o444),
    ('empty.dat', b'', 0o644),
    ('small.dat', pattern(100), 0o644),
    ('host.dat', bytes(3 * PAGE), 0o644),
    ('press.dat', bytes(16 * PAGE), 0o644),
]

checks = []


def check(cond, what):
    checks.append((bool(cond), what))


def make_volume(path):
    with tarfile.open(path, 'w', format=tarfile.USTAR_FORMAT) as t:
        for name, data, mode in FILES:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            t.addfile(info, io.BytesIO(data))


def run_part(mmulab, exe, tar, part, *options):
    """Run one part; its TAP lines become ours."""
    p = subprocess.run([mmulab, 'run', *options, '--data', tar, exe, part], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    out = p.stdout.decode('utf-8', 'replace')
    plan = re.search(r'^1\.\.(\d+)$', out, re.M)
    lines = re.findall(r'^(not )?ok \d+ - (.*)$', out, re.M)
    for bad, what in lines:
        checks.append((not bad, '%s: %s' % (part, what)))
    check(p.returncode == 0 and plan and int(plan.group(1)) == len(lines),
          '%s: exit status %d, %d of %s planned checks ran' %
          (part, p.returncode, len(lines), plan and plan.group(1)))
    if p.returncode != 0:
        sys.stdout.write(''.join('# ' + l + '\n' for l in out.splitlines()[-40:]))


def host_checks(tar):
    with tarfile.open(tar, format=tarfile.USTAR_FORMAT) as t:
        got = {m.name: t.extractfile(m).read() for m in t.getmembers()}
    want_rw = bytearray(pattern(RW_SIZE))
    for off, text in ((70000, b'hello'), (10, b'through the view'), (26, b'by WriteFile'),
                      (5 * PAGE + 1, b'second page'), (5 * PAGE + 100, b'x')):
        want_rw[off:off + len(text)] = text
    check(got.get('data/rw.dat') == bytes(want_rw),
          'host: rw.dat holds exactly what WriteFile and the flushed views wrote')
    host = got.get('host.dat', b'')
    want_host = bytearray(3 * PAGE)
    for page, text in enumerate((b'flushed by the parent', b'unmapped by the parent',
                                 b'written by the child')):
        want_host[page * PAGE:page * PAGE + len(text) + 1] = text + b'\0'
    check(host == bytes(want_host),
          'host: host.dat holds the flushed, the unmapped and the child\'s page, nothing private')
    press = got.get('press.dat', b'')
    check(press == b''.join(bytes([ord('a') + i]) * PAGE for i in range(16)),
          'host: press.dat holds the 16 pages flushed after the pressure')
    check(all(got.get(name) == data for name, data, _ in FILES
              if name in ('ro.dat', 'empty.dat', 'small.dat')),
          'host: ro.dat, empty.dat and small.dat unchanged')


def main():
    mmulab, exe = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as d:
        tar = os.path.join(d, 'data.tar')
        make_volume(tar)
        size = os.path.getsize(tar)
        run_part(mmulab, exe, tar, 'files')
        run_part(mmulab, exe, tar, 'pressure', '--ram', '32M')
        run_part(mmulab, exe, tar, 'huge', '--ram', '2G')
        check(os.path.getsize(tar) == size, 'host: the archive keeps its size (%d)' % size)
        host_checks(tar)
    print('1..%d' % len(checks))
    for i, (ok, what) in enumerate(checks, 1):
        print('%sok %d - %s' % ('' if ok else 'not ', i, what))


if __name__ == '__main__':
    main()

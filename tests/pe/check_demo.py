#!/usr/bin/env python3
"""check_demo.py MMULAB DEMO [DEMO.exe] - run `mmulab run DEMO` and check, as
TAP, the facts its output reports: exit statuses, exception codes and
parameters, region states, sizes and protections, frames shared and then
not, IDs and their reuse.  Numbers are taken from the output and compared
with each other and with the PE file itself (section table, stack and heap
reserves), never with a copy of an earlier run."""
import re
import struct
import subprocess
import sys

checks = []


def check(cond, what):
    checks.append((bool(cond), what))


def run(mmulab, *args):
    p = subprocess.run([mmulab, 'run', *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=300)
    return p.returncode, p.stdout.decode('utf-8', 'replace')


def ints(pattern, out, base=0):
    """The integers captured by pattern's first match (or None)."""
    m = re.search(pattern, out, re.M)
    return [int(g, base) for g in m.groups()] if m else None


def pe_info(path):
    """Sections (name, rva, size), SizeOfStackReserve, SizeOfHeapReserve, ImageBase."""
    data = open(path, 'rb').read()
    nt = struct.unpack_from('<I', data, 0x3c)[0]
    nsect, optsize = struct.unpack_from('<H', data, nt + 6)[0], struct.unpack_from('<H', data, nt + 20)[0]
    opt = nt + 24
    image_base = struct.unpack_from('<Q', data, opt + 24)[0]
    stack_reserve, _, heap_reserve = struct.unpack_from('<QQQ', data, opt + 72)
    sections = []
    for i in range(nsect):
        off = opt + optsize + 40 * i
        name = data[off:off + 8].rstrip(b'\0').decode()
        vsize, rva, rawsize = struct.unpack_from('<III', data, off + 8)
        sections.append((name, rva, vsize or rawsize))
    return sections, stack_reserve, heap_reserve, image_base


# ---- the demos ----

def hello(mmulab, exe):
    status, out = run(mmulab, 'hello', 'a b', 'c"d', '')
    check(status == 0, 'hello exits 0 (%d)' % status)
    ids = ints(r'process (\d+), thread (\d+)', out)
    check(ids and ids[0] % 4 == 0 and ids[1] % 4 == 0 and ids[0] != ids[1],
          'process and thread IDs are distinct multiples of 4: %s' % ids)
    check(ints(r'loaded at 0x([0-9a-f]+)', out, 16) == [pe_info(exe)[3]],
          'loaded at the image base of its header')
    args = re.findall(r'argv\[(\d)\] = "(.*)"$', out, re.M)
    check(args == [('0', 'hello.exe'), ('1', 'a b'), ('2', 'c"d'), ('3', '')],
          'argv survives quoting: %s' % args)


ROW = re.compile(r'^([0-9a-f]{12}) +([0-9a-f]+) +[0-9.]+ [KMGT]B  (free|reserve|commit) *'
                 r'(image|private|mapped)? *([A-Z_+]+)? *([0-9a-f]{12})?  (.*)$', re.M)


def vmtour(mmulab, exe):
    status, out = run(mmulab, 'vmtour')
    check(status == 0, 'vmtour exits 0 (%d)' % status)
    rows = [dict(base=int(m[0], 16), size=int(m[1], 16), state=m[2], type=m[3], prot=m[4],
                 alloc=int(m[5], 16) if m[5] else None, what=m[6]) for m in ROW.findall(out)]
    check(len(rows) > 20, '%d regions listed' % len(rows))
    check(rows and rows[0]['base'] == 0 and rows[0]['state'] == 'free' and rows[0]['size'] >= 0x10000,
          'the first region starts at 0, free, at least 64 KB')
    gaps = [r['base'] for a, r in zip(rows, rows[1:]) if a['base'] + a['size'] != r['base']]
    check(not gaps, 'regions tile the address space without gaps (%s)' % gaps[:3])
    check(rows and rows[-1]['base'] + rows[-1]['size'] == 0x7FFFFFFF0000,
          'the last region ends at 0x7FFFFFFF0000 (the top of user space)')
    summary = ints(r'^(\d+) regions;', out)
    check(summary == [len(rows)], 'the summary counts the regions: %s' % summary)
    sections, stack_reserve, heap_reserve, base = pe_info(exe)
    for name, rva, size in sections:
        r = next((r for r in rows if r['base'] <= base + rva < r['base'] + r['size']), None)
        check(r and r['type'] == 'image' and r['alloc'] == base and name in r['what'],
              'vmtour.exe %s (rva 0x%x) is in an image region named for it' % (name, rva))
    text = next((r for r in rows if r['what'] == 'vmtour.exe .text'), None)
    check(text and text['prot'] == 'EXECUTE_READ', 'vmtour.exe .text is EXECUTE_READ')
    head = next((r for r in rows if r['base'] == base), None)
    check(head and head['prot'] == 'READONLY' and head['size'] == 0x1000 and
          head['what'] == 'vmtour.exe headers', 'its headers: one READONLY page')
    for dll, dll_base in (('ntdll.dll', 0x7FFF00000000), ('kernel32.dll', 0x7FFEF0000000)):
        mine = [r for r in rows if r['what'].startswith(dll)]
        check(mine and all(r['alloc'] == dll_base and r['type'] == 'image' for r in mine) and
              any(r['what'] == dll + ' .text' and r['prot'] == 'EXECUTE_READ' for r in mine),
              '%s: image regions at 0x%x, code EXECUTE_READ' % (dll, dll_base))
    for what, size in (('PEB', 0x1000), ('TEB of thread 1', 0x2000), ('TEB of thread 2', 0x2000)):
        r = [r for r in rows if r['what'] == what]
        check(len(r) == 1 and r[0]['size'] == size and r[0]['prot'] == 'READWRITE' and
              r[0]['type'] == 'private', '%s: one private READWRITE region of 0x%x' % (what, size))
    for t in (1, 2):
        mine = [r for r in rows if r['what'].startswith('stack of thread %d' % t)]
        guard = [r for r in mine if r['prot'] == 'READWRITE+GUARD']
        check(sum(r['size'] for r in mine) == stack_reserve and len(guard) == 1 and
              guard[0]['size'] == 0x1000 and mine[-1]['state'] == 'commit' and
              guard[0]['base'] + 0x1000 == mine[mine.index(guard[0]) + 1]['base'],
              'thread %d stack: the header\'s reserve (0x%x), a guard page below the committed '
              'top' % (t, stack_reserve))
    heap = [r for r in rows if r['what'] == 'process heap']
    check(sum(r['size'] for r in heap) == heap_reserve and heap[0]['state'] == 'commit',
          'process heap: the header\'s heap reserve (0x%x), committed from its base' % heap_reserve)
    own = [r for r in rows if r['what'].startswith('VirtualAlloc')]
    check([(r['state'], r['size']) for r in own] == [('commit', 0x10000), ('reserve', 0xf0000)],
          'its own region: 64 KB committed, 960 KB reserved')


def sparse(mmulab, exe):
    status, out = run(mmulab, 'sparse')
    check(status == 0, 'sparse exits 0 (%d)' % status)
    total = 40000 * 40000 * 4 // 4096
    figures = {}
    for when in ('before', 'after touching', 'after committing the last page'):
        figures[when] = ints(r'^%s: reserved (\d+) pages, committed (\d+), resident (\d+) '
                             r'\(handler commits: (\d+)\)' % when, out)
    check(figures['before'] == [total, 0, 0, 0], 'before: all %d pages reserved, none committed' % total)
    check(figures['after touching'] == [total - 40, 40, 40, 40],
          '40 cells touched: 40 pages committed by the handler, 40 resident')
    check(figures['after committing the last page'] == [total - 41, 41, 40, 40],
          'one more page committed, not touched: 41 committed, 40 resident')
    check(ints(r'diagonal sums to (\d+)', out) == [sum(range(0, 40000, 1000))],
          'the diagonal reads back what was written')
    check(ints(r'commit charge: \+(\d+) KB', out) == [41 * 4], 'commit charge: +164 KB (41 pages)')
    check(re.search(r'released: commit charge back to where it was', out), 'released: charge restored')


def guard(mmulab, exe):
    status, out = run(mmulab, 'guard')
    check(status == 0, 'guard exits 0 (%d)' % status)
    g = ints(r'guard page at 0x([0-9a-f]+): protection 0x([0-9a-f]+) before, 0x([0-9a-f]+) after', out, 16)
    check(g and g[1] == 0x104 and g[2] == 0x4, 'PAGE_READWRITE|PAGE_GUARD, then PAGE_READWRITE')
    hit = ints(r'first read: (\d+) exception\(s\) \(access (\d+), address 0x([0-9a-f]+)\); second '
               r'read: (\d+) more', out)
    addr = int(re.search(r'address 0x([0-9a-f]+)\)', out).group(1), 16) if hit else None
    check(hit and hit[0] == 1 and hit[1] == 0 and hit[3] == 0 and g and addr == g[0] + 100,
          'one STATUS_GUARD_PAGE_VIOLATION: a read of the touched address; none the second time')
    m = re.search(r'stack: (\d+) KB committed at the start, (\d+) KB after (\d+) frames of (\d+) '
                  r'bytes; guard page ([0-9a-f]+) -> ([0-9a-f]+)', out)
    s = [int(x, 16 if i >= 4 else 10) for i, x in enumerate(m.groups())] if m else None
    check(s and (s[1] - s[0]) * 1024 >= (s[2] - 1) * s[3] and s[4] - s[5] == (s[1] - s[0]) * 1024,
          'the stack grew by at least the frames, and the guard page moved down as much')
    check(re.search(r'exit code 0xc00000fd, 1 stack overflow exception', out),
          'running off the stack: STATUS_STACK_OVERFLOW, once')


def dep(mmulab, exe):
    status, out = run(mmulab, 'dep')
    check(status == 0, 'dep exits 0 (%d)' % status)
    m = re.search(r'PAGE_READWRITE page at 0x([0-9a-f]+): (\d+) access violation\(s\), '
                  r'ExceptionInformation\[0\] = (\d+) \(8: execute\), \[1\] = 0x([0-9a-f]+), '
                  r'RIP 0x([0-9a-f]+)', out)
    check(m and m.group(2) == '1' and m.group(3) == '8' and m.group(4) == m.group(1) and
          m.group(5) == m.group(1),
          'executing PAGE_READWRITE: one access violation, [0] = 8, [1] = RIP = the page')
    check(re.search(r'PAGE_EXECUTE_READWRITE page at 0x[0-9a-f]+: returned 42, 1 access', out),
          'PAGE_EXECUTE_READWRITE: the code runs (42)')
    check(re.search(r'made PAGE_EXECUTE_READ \(was 0x4\): returned 42', out),
          'after VirtualProtect to PAGE_EXECUTE_READ: runs')


def nullptr(mmulab, exe):
    status, out = run(mmulab, 'nullptr')
    check(status == 1, 'mmulab exits 1 for a status outside 0-119 (%d)' % status)
    m = re.search(r'^process \d+ \(nullptr\.exe\): unhandled exception 0xc0000005 \(access '
                  r'violation\) at 0x([0-9a-f]+): writing 0x0$', out, re.M)
    sections, _, _, base = pe_info(exe)
    text = next(s for s in sections if s[0] == '.text')
    check(m and base + text[1] <= int(m.group(1), 16) < base + text[1] + text[2],
          'the report: access violation writing 0x0, at an instruction of nullptr.exe\'s .text')
    check(re.search(r'^run: nullptr\.exe exited with status 0xc0000005$', out, re.M),
          'the exit status is 0xC0000005')
    check('still running' not in out, 'nothing runs after the fault')


def share(mmulab, exe):
    status, out = run(mmulab, 'share')
    check(status == 0, 'share exits 0 (%d)' % status)
    rows = re.findall(r'^  (code \(\.text\)|data \(\.data\)|ntdll code) +0x([0-9a-f]+) +parent frame '
                      r'0x([0-9a-f]+), child frame 0x([0-9a-f]+)', out, re.M)
    check(len(rows) == 6, 'six comparisons (%d)' % len(rows))
    if len(rows) != 6:
        return
    f = {(i // 3, r[0]): (int(r[2], 16), int(r[3], 16)) for i, r in enumerate(rows)}
    for what in ('code (.text)', 'data (.data)', 'ntdll code'):
        check(f[0, what][0] == f[0, what][1] and f[0, what][0] != 0,
              'before the write, %s: one frame for both processes' % what)
    check(f[1, 'code (.text)'] == f[0, 'code (.text)'] and f[1, 'ntdll code'] == f[0, 'ntdll code'],
          'after the write, code pages keep their shared frames')
    check(f[1, 'data (.data)'][1] == f[0, 'data (.data)'][1] and
          f[1, 'data (.data)'][0] != f[0, 'data (.data)'][0],
          'after the write, the parent\'s data page has a new frame; the child keeps the image\'s')
    check(re.search(r'data page is PAGE_WRITECOPY\n', out) and
          re.search(r'data page \(now PAGE_READWRITE\)', out),
          'the data page: PAGE_WRITECOPY, then PAGE_READWRITE')
    sections, _, _, base = pe_info(exe)
    for what, name in (('code (.text)', '.text'), ('data (.data)', '.data')):
        s = next(s for s in sections if s[0] == name)
        page = int(next(r[1] for r in rows if r[0] == what), 16)
        check(base + s[1] <= page < base + s[1] + s[2], '%s page lies in share.exe %s' % (what, name))


def procs(mmulab, exe):
    status, out = run(mmulab, 'procs')
    check(status == 0, 'procs exits 0 (%d)' % status)
    me = ints(r'^procs: process (\d+), thread (\d+)', out)
    threads = [int(t) for t in re.findall(r'^  thread (\d+) running', out, re.M)]
    exits = re.findall(r'^  thread (\d+) exited with (\d+)', out, re.M)
    ids = (me or []) + threads
    check(me and len(threads) == 3 and all(i % 4 == 0 for i in ids) and len(set(ids)) == 5,
          'process and thread IDs: distinct multiples of 4 (%s)' % ids)
    check(sorted(int(t) for t, _ in exits) == sorted(threads) and
          [int(c) for _, c in exits] == [101, 102, 103],
          'the three threads exit with 101, 102, 103 (their return values)')
    started = re.findall(r'started process (\d+) \(thread (\d+)\); exit code while it runs: (\d+)', out)
    children = re.findall(r'child: process (\d+), thread (\d+), exiting with (\d+)', out)
    ended = re.findall(r'process (\d+) exited with (\d+)', out)
    check(len(started) == 2 and all(s[2] == '259' for s in started), 'STILL_ACTIVE (259) while running')
    check([(c[0], c[1]) for c in children] == [(s[0], s[1]) for s in started],
          'each child reports the IDs CreateProcessA returned')
    check([e[1] for e in ended] == ['7', '9'], 'exit codes 7 and 9')
    check(len(started) == 2 and started[0][0] == started[1][0],
          'the second child reuses the first one\'s process ID')


def thrash(mmulab, exe):
    """64 MB on a 16 MB machine, twice: every page intact; the paging file's
    reads and writes as the program saw them agree with the kernel's
    statistics (--stats-json "guest"); a second run gives the same counts."""
    import json
    import os
    import tempfile
    runs = []
    with tempfile.TemporaryDirectory() as d:
        for i in (1, 2):
            path = os.path.join(d, 'stats%d.json' % i)
            status, out = run(mmulab, '--ram', '16M', '--stats-json', path, 'thrash')
            runs.append((status, out, json.load(open(path))))
    status, out, stats = runs[0]
    guest = stats.get('guest', {})
    pages = 64 << 20 >> 12
    check(status == 0, 'thrash exits 0 (%d)' % status)
    check(ints(r'^thrash: (\d+) pages written and read back, (\d+) wrong$', out) == [pages, 0],
          'all %d pages read back as written' % pages)
    ram = guest.get('pages_total', 0)
    check(0 < ram < pages // 2, 'the kernel manages less than half as many pages (%d)' % ram)
    lines = [tuple(int(x) for x in m) for m in
             re.findall(r'^ +(\d+) MB   page-outs +(\d+)   page-ins +(\d+)   working set +(\d+) KB',
                        out, re.M)]
    check([l[0] for l in lines] == list(range(8, 65, 8)) * 2,
          'progress every 8 MB, in both passes (%d lines)' % len(lines))
    check(all(a[1] <= b[1] and a[2] <= b[2] for a, b in zip(lines, lines[1:])),
          'page-outs and page-ins only grow')
    outs = ints(r'^page-outs \(paging-file writes\): (\d+) in pass 1, (\d+) in pass 2$', out)
    ins = ints(r'^page-ins \(paging-file reads\): +(\d+) in pass 1, (\d+) in pass 2$', out)
    faults = ints(r'^faults: demand-zero (\d+), transition (\d+), paging file (\d+), image (\d+)$', out)
    check(outs and outs[0] >= pages - ram, 'pass 1 wrote at least the pages RAM cannot hold (%s)' % outs)
    check(ins and ins[1] >= pages - ram, 'pass 2 read them back from the paging file (%s)' % ins)
    check(outs and ins and outs[1] < ins[1],
          'pass 2 only reads: it writes fewer pages than it reads back (clean pages are not '
          'written again)')
    check(faults and pages <= faults[0] <= pages + 16,
          'one demand-zero fault per page first touched (%s)' % faults)
    check(faults and ins and faults[2] == sum(ins),
          'one paging-file fault per paging-file read (%s, %s)' % (faults, ins))
    check(guest.get('pagefile_writes', 0) >= sum(outs or [1 << 62]) and
          guest.get('pagefile_reads', 0) >= sum(ins or [1 << 62]),
          'the statistics count at least what the program saw')
    check(guest.get('faults_image', 0) > 0 and guest.get('image_pageins', 0) >= guest.get('faults_image', 1),
          'image pages were trimmed and read again from their file (%s image faults)' %
          guest.get('faults_image'))
    keys = ('pages_standby', 'pages_modified', 'working_set_pages', 'faults_demand_zero',
            'faults_transition', 'faults_pagefile', 'faults_image', 'pagefile_reads',
            'pagefile_writes', 'image_pageins')
    check(all(k in guest for k in keys), 'the statistics carry %s' % ', '.join(keys))
    check(runs[1][0] == status and runs[1][1] == out and runs[1][2].get('guest') == guest and
          runs[1][2].get('instructions') == stats.get('instructions'),
          'a second run: the same output, the same counts, the same instruction count')


# ---- issue 7, mapped files and large pages ----

def data_volume(path, members):
    """A ustar archive of (name, bytes, mode) members, as `mmulab run --data` takes it."""
    import io
    import tarfile
    with tarfile.open(path, 'w', format=tarfile.USTAR_FORMAT) as t:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            t.addfile(info, io.BytesIO(data))


def read_volume(path):
    """{name: (bytes, offset of the data in the archive)} of a ustar archive."""
    import tarfile
    with tarfile.open(path, format=tarfile.USTAR_FORMAT) as t:
        return {m.name: (t.extractfile(m).read(), m.offset_data) for m in t.getmembers()}


def mapview(mmulab, exe):
    """Two processes share a view of mapview.dat on a data volume the test
    builds; after the run the archive on the host holds the child's message
    (and the frame and address it reported) where the shared page began,
    the rest of the file and its neighbours untouched, the private copy
    nowhere."""
    import os
    import struct as st
    import tempfile
    original = bytes((i * 7 + 3) & 0xff for i in range(3 * 4096 + 100))
    original = b'initial contents....' + original[20:]
    neighbour = b'the file after it\n' * 300
    with tempfile.TemporaryDirectory() as d:
        tar = os.path.join(d, 'data.tar')
        data_volume(tar, [('dir/mapview.dat', original, 0o644), ('after.txt', neighbour, 0o644)])
        before = read_volume(tar)
        status, out = run(mmulab, '--data', tar, 'mapview')
        after = read_volume(tar)
        raw = open(tar, 'rb').read()
    check(status == 0, 'mapview exits 0 (%d)' % status)
    v = re.search(r'^mapview: mapview\.dat, (\d+) bytes, mapped at 0x([0-9a-f]+): (\S+), (\w+), '
                  r'(\d+) bytes, allocation base 0x([0-9a-f]+)$', out, re.M)
    check(v and int(v[1]) == len(original), 'GetFileSize: the file\'s %d bytes' % len(original))
    check(v and v[3] == 'MEM_MAPPED' and v[4] == 'READWRITE' and int(v[2], 16) % 0x10000 == 0 and
          int(v[6], 16) == int(v[2], 16) and int(v[5]) == (len(original) + 4095) & ~4095,
          'VirtualQuery of the view: MEM_MAPPED, READWRITE, 64 KB-aligned, its own allocation '
          'base, the file\'s pages')
    check(re.search(r'^  the file begins "initial contents...."$', out, re.M),
          'the view shows the file\'s first bytes')
    c = re.search(r'^child (\d+): mapped mapview-demo at 0x([0-9a-f]+), frame 0x([0-9a-f]+); '
                  r'wrote "written by process (\d+)"$', out, re.M)
    check(c and c[1] == c[4], 'the child writes its own process ID')
    p = re.search(r'^parent: reads "([^"]*)" through its view at 0x([0-9a-f]+), frame '
                  r'0x([0-9a-f]+), the child\'s 0x([0-9a-f]+): shared$', out, re.M)
    check(p and c and p[1] == 'written by process ' + c[1] and p[3] == p[4] == c[3] and
          p[2] == v[2], 'the parent reads the child\'s write through its own view: the same frame')
    w = re.search(r'^parent: FILE_MAP_COPY view at 0x([0-9a-f]+): frame 0x([0-9a-f]+), after '
                  r'writing "a private copy" 0x([0-9a-f]+); the shared view still reads "([^"]*)"$',
                  out, re.M)
    check(w and c and w[2] == c[3] and w[3] != w[2] and w[4] == 'written by process ' + c[1],
          'a FILE_MAP_COPY view: the shared frame until written, then a frame of its own; the '
          'shared view unchanged')
    check(re.search(r'^child exited 0; every view unmapped; read back from the disk, mapview\.dat '
                    r'holds "written by process %s"$' % (c[1] if c else '?'), out, re.M),
          'after unmapping, ReadFile reads the child\'s message from the disk')
    data, off = after.get('dir/mapview.dat', (b'', 0))
    check(len(data) == len(original) and off == before['dir/mapview.dat'][1],
          'on the host: mapview.dat keeps its size and its place in the archive')
    if c and len(data) >= 88:
        msg = data[:64].split(b'\0')[0].decode('ascii', 'replace')
        frame, view, ack = st.unpack_from('<QQi', data, 64)
        check(msg == 'written by process ' + c[1] and data[len(msg):64] == bytes(64 - len(msg)),
              'on the host: the file begins with the child\'s message, zero-padded ("%s")' % msg)
        check(frame == int(c[3], 16) and view == int(c[2], 16) and ack == 1,
              'on the host: the child\'s frame and view address, the parent\'s acknowledgement')
    check(data[88:] == original[88:], 'on the host: the rest of the file as it was')
    check(b'a private copy' not in data, 'the FILE_MAP_COPY write never reached the file')
    end = off + len(original)
    check(raw[end:(end + 511) & ~511] == bytes(-end % 512),
          'on the host: the padding after the file\'s last byte is still zero')
    check(after.get('after.txt', (b'',))[0] == neighbour, 'the next member of the archive intact')
    status, out = run(mmulab, 'mapview')
    check(status == 2 and re.search(r'^    head -c 4096 /dev/zero > mapview\.dat && tar --format=ustar '
                                    r'-cf data\.tar mapview\.dat$', out, re.M) and
          re.search(r'^    mmulab run --data data\.tar mapview$', out, re.M),
          'without --data: exit status 2 and the recipe for a data volume')


def largepages(mmulab, exe):
    """The sweeps' TLB counters from --stats-json (tlb_phases): the same
    instructions; with 2 MB (and 1 GB) pages almost no page walks or
    first-level misses where 4 KB pages miss on most reads."""
    import json
    import os
    import tempfile
    reads = 1000000
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, 'stats.json')
        status, out = run(mmulab, '--tlb', 'skylake', '--stats-json', path, 'largepages')
        stats = json.load(open(path)) if os.path.exists(path) else {}
        path1g = os.path.join(d, 'stats1g.json')
        status1g, out1g = run(mmulab, '--ram', '2G', '--tlb', 'skylake', '--stats-json', path1g,
                              'largepages', '1g')
        stats1g = json.load(open(path1g)) if os.path.exists(path1g) else {}
    check(status == 0 and out.endswith('largepages: as expected\n'), 'largepages exits 0 (%d)' % status)
    check(ints(r'GetLargePageMinimum\(\) = (\d+)', out) == [2 << 20], 'GetLargePageMinimum: 2 MB')
    sums = re.findall(r'marks (\d)-(\d): %d reads, sum (0x[0-9a-f]+)$' % reads, out, re.M)
    check([s[:2] for s in sums] == [('1', '2'), ('3', '4')] and sums[0][2] == sums[1][2],
          'two sweeps (marks 1-2 and 3-4), the same sum')
    big = re.search(r'^2m pages: 32 MB at 0x([0-9a-f]+) \(physical 0x([0-9a-f]+)\): MEM_PRIVATE, '
                    r'MEM_COMMIT, READWRITE, 33554432 bytes, every page physically contiguous', out, re.M)
    check(big and int(big[1], 16) % (2 << 20) == 0 and int(big[2], 16) % (2 << 20) == 0,
          'the 2 MB pages: virtual and physical addresses multiples of 2 MB')
    phases = {(p['from'], p['to']): p for p in stats.get('tlb_phases', [])}
    small, large = phases.get((1, 2), {}), phases.get((3, 4), {})
    check(small and large and small['instructions'] == large['instructions'],
          'tlb_phases: both sweeps execute the same instructions (%s)' % small.get('instructions'))
    check(small.get('walks', 0) > reads // 2,
          '4 KB pages: most of the %d random reads over 32 MB walk the page tables (%s walks)' %
          (reads, small.get('walks')))
    check(large and large['walks'] * 1000 < small.get('walks', 0),
          '2 MB pages: under a thousandth of the walks (%s vs %s)' % (large.get('walks'),
                                                                      small.get('walks')))
    l1_miss = [p['accesses'] - p['l1_hits'] for p in (small, large) if p]
    check(len(l1_miss) == 2 and l1_miss[1] * 1000 < l1_miss[0],
          'L1 TLB misses: %s with 4 KB pages, %s with 2 MB pages' % tuple(l1_miss + [None] * 2)[:2])
    check(status1g == 0 and re.search(r'^1g pages: 1024 MB at 0x([0-9a-f]+) \(physical '
                                      r'0x([0-9a-f]+)\)', out1g, re.M),
          'with --ram 2G: one 1 GB page (largepages 1g exits %d)' % status1g)
    huge = ints(r'^1g pages: 1024 MB at 0x([0-9a-f]+) \(physical 0x([0-9a-f]+)\)', out1g, 16)
    check(huge and huge[0] % (1 << 30) == 0 and huge[1] % (1 << 30) == 0,
          'the 1 GB page: virtual and physical addresses multiples of 1 GB (%s)' % huge)
    one = [p for p in stats1g.get('tlb_phases', []) if (p['from'], p['to']) == (5, 6)]
    check(one and one[0]['walks'] * 1000 < small.get('walks', 0) and
          one[0]['instructions'] == small.get('instructions'),
          '1 GB page: the same sweep, under a thousandth of the walks (%s)' %
          (one and one[0]['walks']))


def main():
    mmulab, demo = sys.argv[1:3]
    exe = sys.argv[3] if len(sys.argv) > 3 else None
    globals()[demo](mmulab, exe)
    print('1..%d' % len(checks))
    for i, (ok, what) in enumerate(checks, 1):
        print('%sok %d - %s' % ('' if ok else 'not ', i, what))


if __name__ == '__main__':
    main()

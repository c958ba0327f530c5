#!/usr/bin/env python3
"""check_pe.py OBJDUMP SOURCE_ROOT NTDLL.dll KERNEL32.dll PROGRAM.exe... - host
checks (TAP) of the PE files the build makes, with mingw-w64's objdump -p:

- each DLL exports exactly the names of its .def file, imports nothing but
  what it should (ntdll: nothing; kernel32: ntdll names ntdll.def exports),
  is linked at its preferred base from shared/nt/images.h, has no entry
  point (the kernel runs none) and no unwind data (.pdata);
- ntdll exports a stub for every service of shared/nt/services.h (the
  X-list of guest/ntdll/syscalls.c) and KiUserExceptionDispatcher;
- every status shared/nt/status.h defines has a row in ntdll's
  RtlNtStatusToDosError table, or is one of those the table's comment says
  Windows does not map;
- every program imports only names kernel32.def and ntdll.def export, from
  those two DLLs, and is a PE32+ AMD64 console program at mingw's default
  base with NX_COMPAT and DYNAMIC_BASE."""
import os
import re
import subprocess
import sys

checks = []


def check(cond, what):
    checks.append((bool(cond), what))


def dump(objdump, path):
    return subprocess.run([objdump, '-p', path], capture_output=True, text=True, check=True).stdout


def exports(text):
    m = re.search(r'\[Ordinal/Name Pointer\] Table\n((?:\t\[ *\d+\] \S+\n)*)', text)
    return set(re.findall(r'\] (\S+)', m.group(1))) if m else set()


def imports(text):
    """{dll: set(names)} from the import tables."""
    result, current = {}, None
    for line in text.splitlines():
        m = re.match(r'\tDLL Name: (\S+)', line)
        if m:
            current = result.setdefault(m.group(1).lower(), set())
            continue
        m = re.match(r'\t[0-9a-f]+\t +\d+  (\S+)', line)
        if m and current is not None:
            current.add(m.group(1))
        elif not line.strip():
            current = None
    return result


def field(text, name):
    m = re.search(r'^%s\s+(?:0x)?([0-9a-fA-F]+)' % name, text, re.M)
    return int(m.group(1), 16) if m else None


def directory_size(text, index):
    m = re.search(r'^Entry %x [0-9a-f]+ ([0-9a-f]+)' % index, text, re.M)
    return int(m.group(1), 16) if m else None


def def_names(path):
    names = set()
    in_exports = False
    for line in open(path):
        line = line.split(';')[0].strip()
        if line == 'EXPORTS':
            in_exports = True
        elif in_exports and line:
            names.add(line.split()[0])
    return names


def header_value(path, macro):
    m = re.search(r'#define %s\s+(0x[0-9A-Fa-f]+)' % macro, open(path).read())
    return int(m.group(1), 16)


def check_dll(objdump, path, def_path, base, allowed_imports):
    name = os.path.basename(path)
    text = dump(objdump, path)
    want = def_names(def_path)
    got = exports(text)
    check(got == want, '%s exports exactly %s (%d names; missing %s, extra %s)' % (
        name, os.path.basename(def_path), len(want), sorted(want - got), sorted(got - want)))
    imp = imports(text)
    bad = {dll: sorted(names - allowed_imports.get(dll, set())) for dll, names in imp.items()}
    check(all(not v for v in bad.values()) and set(imp) <= set(allowed_imports),
          '%s imports only %s (%s)' % (name, sorted(allowed_imports) or 'nothing', bad))
    check(field(text, 'ImageBase') == base, '%s ImageBase 0x%x (shared/nt/images.h)' % (name, base))
    check(field(text, 'AddressOfEntryPoint') == 0, '%s has no entry point' % name)
    check(field(text, 'Characteristics') & 0x2000, '%s is a DLL (IMAGE_FILE_DLL)' % name)
    check(directory_size(text, 3) == 0 and directory_size(text, 9) == 0,
          '%s has no exception directory (.pdata) and no TLS' % name)
    return got


def check_program(objdump, path, exported):
    name = os.path.basename(path)
    text = dump(objdump, path)
    imp = imports(text)
    bad = {dll: sorted(names - exported.get(dll, set())) for dll, names in imp.items()}
    check(set(imp) <= set(exported) and all(not v for v in bad.values()) and 'kernel32.dll' in imp,
          '%s imports from kernel32.dll/ntdll.dll only, names they export (%s)' % (name, bad))
    check(field(text, 'Magic') == 0x20b and re.search(r'file format pei-x86-64', text),
          '%s is PE32+ AMD64' % name)
    check(field(text, 'ImageBase') == 0x140000000 and field(text, 'Subsystem') == 3,
          '%s: console program at 0x140000000' % name)
    dllchar = field(text, 'DllCharacteristics')
    check(dllchar is not None and dllchar & 0x100 and dllchar & 0x40,
          '%s: NX_COMPAT and DYNAMIC_BASE' % name)
    check(directory_size(text, 3) == 0 and directory_size(text, 9) == 0,
          '%s has no exception directory (.pdata) and no TLS' % name)


def check_sources(root, ntdll_exports):
    services = re.findall(r'X\((Nt\w+), NTK_SVC_\w+\)', open(os.path.join(root, 'guest/ntdll/syscalls.c')).read())
    enum = re.search(r'enum ntk_service \{(.*?)NTK_SVC_COUNT', open(os.path.join(root, 'shared/nt/services.h')).read(), re.S)
    count = len(re.findall(r'^\s*NTK_SVC_\w+', enum.group(1), re.M))
    check(len(services) == count and set(services) <= ntdll_exports,
          'ntdll exports a stub for each of the %d services (%d stubs)' % (count, len(services)))
    check('KiUserExceptionDispatcher' in ntdll_exports, 'ntdll exports KiUserExceptionDispatcher')
    error_c = open(os.path.join(root, 'guest/ntdll/error.c')).read()
    mapped = {int(v, 16) for v in re.findall(r'\{ (0x[0-9A-F]{8}), ', error_c)}
    comment = error_c.split('*/')[0]
    unmapped = set(re.findall(r'(STATUS_[A-Z_]+)', comment.split('does not map:')[1].split(')')[0]))
    statuses = re.findall(r'#define NTK_(STATUS_\w+)\s+\(\(ntk_status\)(0x[0-9A-F]+)\)',
                          open(os.path.join(root, 'shared/nt/status.h')).read())
    missing = [s for s, v in statuses if int(v, 16) and int(v, 16) not in mapped and s not in unmapped]
    check(statuses and not missing, 'RtlNtStatusToDosError has a row for each of the %d statuses of '
          'shared/nt/status.h, or says Windows maps none (%s)' % (len(statuses), missing))
    values = [int(v, 16) for v in re.findall(r'\{ (0x[0-9A-F]{8}), ', error_c)]
    check(values == sorted(values) and len(set(values)) == len(values),
          'the table is sorted by status, each once (the lookup is a binary search)')


def main():
    objdump, root, ntdll, kernel32, *programs = sys.argv[1:]
    images = os.path.join(root, 'shared/nt/images.h')
    ntdll_names = check_dll(objdump, ntdll, os.path.join(root, 'guest/ntdll/ntdll.def'),
                            header_value(images, 'NTK_NTDLL_BASE'), {})
    k32_names = check_dll(objdump, kernel32, os.path.join(root, 'guest/kernel32/kernel32.def'),
                          header_value(images, 'NTK_KERNEL32_BASE'), {'ntdll.dll': ntdll_names})
    check_sources(root, ntdll_names)
    for p in programs:
        check_program(objdump, p, {'kernel32.dll': k32_names, 'ntdll.dll': ntdll_names})
    print('1..%d' % len(checks))
    for i, (ok, what) in enumerate(checks, 1):
        print('%sok %d - %s' % ('' if ok else 'not ', i, what))


if __name__ == '__main__':
    main()

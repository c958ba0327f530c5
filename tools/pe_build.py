#!/usr/bin/env python3
"""pe_build.py - build one PE32+ file (or a static library) with mingw-w64,
for Meson's custom targets (guest/meson.build).

    pe_build.py KIND OUTPUT DEPFILE --cc CC [--ar AR]
                [--image-base-from HEADER MACRO]
                CFLAGS ... INPUTS ... LDFLAGS ...

KIND is exe, dll or lib.  The three lists are introduced by the words
CFLAGS, INPUTS and LDFLAGS.  Every .c/.S input is compiled on its own
(-c -MD), so the dependencies of all of them can be merged into the one
DEPFILE Meson reads; .a and .def inputs go to the link.  A lib is the
objects archived with AR.  --image-base-from reads the preferred base from
a C header (shared/nt/images.h) through the preprocessor, so the number is
written in one place only.
"""
import os
import re
import subprocess
import sys
import tempfile


def split_sections(argv):
    sections = {'OPTIONS': [], 'CFLAGS': [], 'INPUTS': [], 'LDFLAGS': []}
    current = 'OPTIONS'
    for a in argv:
        if a in sections and a != 'OPTIONS':
            current = a
        else:
            sections[current].append(a)
    return sections


def take_option(opts, name, count=1):
    if name not in opts:
        return None
    i = opts.index(name)
    values = opts[i + 1:i + 1 + count]
    if len(values) != count:
        sys.exit('pe_build: %s needs %d value(s)' % (name, count))
    del opts[i:i + 1 + count]
    return values if count > 1 else values[0]


def run(cmd):
    r = subprocess.run(cmd)
    if r.returncode:
        sys.exit(r.returncode)


def macro_value(cc, cflags, header, macro):
    """The value of a numeric #define, as the preprocessor sees it."""
    out = subprocess.run([cc, *cflags, '-E', '-dM', '-x', 'c', header],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r'^#define %s\s+\(?\s*(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\s*\)?\s*$' % macro,
                  out, re.M)
    if not m:
        sys.exit('pe_build: %s: no numeric #define %s' % (header, macro))
    return m.group(1)


def read_deps(path):
    """The prerequisites of one make-style dependency file."""
    text = open(path).read().replace('\\\n', ' ')
    deps = []
    for line in text.splitlines():
        if ':' not in line:
            continue
        deps += line.split(':', 1)[1].split()
    return deps


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    kind, output, depfile = sys.argv[1:4]
    s = split_sections(sys.argv[4:])
    opts = s['OPTIONS']
    cc = take_option(opts, '--cc')
    ar = take_option(opts, '--ar')
    base = take_option(opts, '--image-base-from', 2)
    if opts or not cc or kind not in ('exe', 'dll', 'lib'):
        sys.exit('pe_build: bad arguments: %s' % ' '.join(sys.argv[1:]))

    sources = [i for i in s['INPUTS'] if i.endswith(('.c', '.S'))]
    others = [i for i in s['INPUTS'] if i not in sources]
    deps = list(s['INPUTS'])
    with tempfile.TemporaryDirectory(prefix='pe_build.') as tmp:
        objects = []
        for n, src in enumerate(sources):
            obj = os.path.join(tmp, '%d_%s.o' % (n, os.path.basename(src)))
            dep = obj + '.d'
            run([cc, *s['CFLAGS'], '-MD', '-MF', dep, '-c', src, '-o', obj])
            deps += read_deps(dep)
            objects.append(obj)
        if kind == 'lib':
            if not ar:
                sys.exit('pe_build: a lib needs --ar')
            if os.path.exists(output):
                os.remove(output)
            run([ar, 'rcsD', output, *objects])
        else:
            ldflags = list(s['LDFLAGS'])
            if kind == 'dll':
                ldflags.insert(0, '-shared')
            if base:
                ldflags.append('-Wl,--image-base,' + macro_value(cc, s['CFLAGS'], *base))
                deps.append(base[0])
            run([cc, *s['CFLAGS'], *ldflags, '-o', output, *objects, *others])
    with open(depfile, 'w') as f:
        f.write('%s: %s\n' % (output.replace(' ', '\\ '),
                              ' '.join(d.replace(' ', '\\ ') for d in dict.fromkeys(deps))))


if __name__ == '__main__':
    main()

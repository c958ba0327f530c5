#!/bin/sh
# disk.sh MMULAB KERNEL - run the disk test kernel on fresh images, pass its
# TAP through, then check the host files (TAP continues: 15, 16).
set -u
mmulab=$1 kernel=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
open(d + '/d0.img', 'wb').write(bytes((7 * o + 3) % 256 for o in range(65536)))
open(d + '/d1.img', 'wb').write(bytes(o % 256 for o in range(16384)))
PY
cp "$dir/d1.img" "$dir/d1.orig"
"$mmulab" run --kernel "$kernel" --disk "$dir/d0.img" --disk-ro "$dir/d1.img" > "$dir/out"
status=$?
sed 's/^1\.\.14$/1..16/' "$dir/out"
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
data = open(d + '/d0.img', 'rb').read()
want = bytes((13 * i + 5) % 256 for i in range(2048))
print(('ok' if data[100 * 512:100 * 512 + 2048] == want else 'not ok') +
      ' 15 - the host file holds the sectors the guest wrote')
same = open(d + '/d1.img', 'rb').read() == open(d + '/d1.orig', 'rb').read()
print(('ok' if same else 'not ok') + ' 16 - the read-only image is unchanged')
PY
exit $status

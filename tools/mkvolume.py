#!/usr/bin/env python3
"""mkvolume.py OUTPUT FILE... - write a POSIX ustar archive holding each FILE
under its base name, reproducibly (mtime 0, owner 0, mode 0644): a system
volume for the guest kernel (shared/ustar.h)."""
import os
import sys
import tarfile

out, files = sys.argv[1], sys.argv[2:]
with tarfile.open(out, 'w', format=tarfile.USTAR_FORMAT) as tar:
    for path in files:
        info = tarfile.TarInfo(os.path.basename(path))
        info.size = os.path.getsize(path)
        info.mtime = 0
        info.mode = 0o644
        with open(path, 'rb') as f:
            tar.addfile(info, f)

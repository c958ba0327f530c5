#!/usr/bin/env python3
"""pe_clear_laa.py IN OUT - copy a PE image without IMAGE_FILE_LARGE_ADDRESS_AWARE.

The x86-64 linker has no --disable-large-address-aware; the flag is bit
0x20 of FileHeader.Characteristics (e_lfanew + 4 + 0x12)."""
import struct
import sys

data = bytearray(open(sys.argv[1], 'rb').read())
at = struct.unpack_from('<I', data, 0x3c)[0] + 4 + 0x12
flags = struct.unpack_from('<H', data, at)[0]
struct.pack_into('<H', data, at, flags & ~0x20)
open(sys.argv[2], 'wb').write(data)

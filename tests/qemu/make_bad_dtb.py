#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes a corrupt DTB that QEMU still accepts for -dtb: QEMU's own DTB for the virt
board, dumped with dumpdtb, then damaged in a way QEMU's libfdt load does not check.

  make_bad_dtb.py QEMU KIND OUT     KIND: nameoff | memreserve-wrap
"""

import os
import struct
import subprocess
import sys
import tempfile

FDT_PROP = 3


def main():
    qemu, kind, out = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as tmp:
        dumped = os.path.join(tmp, "virt.dtb")
        subprocess.run([qemu, "-M", "virt,dumpdtb=" + dumped, "-cpu", "cortex-a72",
                        "-m", "512M", "-display", "none"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        d = bytearray(open(dumped, "rb").read())
    off_struct, _, off_rsvmap = struct.unpack(">3I", d[8:20])
    if kind == "nameoff":
        # Point the first property's name far outside the strings block.
        i = off_struct
        while struct.unpack(">I", d[i:i + 4])[0] != FDT_PROP:
            i += 4
        d[i + 8:i + 12] = struct.pack(">I", 0x7fffff00)
    elif kind == "memreserve-wrap":
        # A reserved range that runs past the end of the 64-bit address space.
        d[off_rsvmap:off_rsvmap + 16] = struct.pack(">QQ", 0xfffffffffffff000, 0x100000)
    else:
        sys.exit("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(d)


if __name__ == "__main__":
    main()

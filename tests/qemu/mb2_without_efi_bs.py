#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Copies an x86_64 image with its multiboot2 header's EFI boot services tag (7) turned
into a second module-alignment tag (6), which every loader knows and which changes
nothing. GRUB EFI then leaves boot services itself and enters the 32-bit entry with the
EFI memory map tag, the path a multiboot2 kernel without tag 7 takes.

  mb2_without_efi_bs.py IN OUT
"""

import struct
import sys

MB2_HEADER_MAGIC = 0xe85250d6
SEARCH = 32768  # the loader scans the first 32 KiB, at 8-byte boundaries
TAG_END, TAG_MODULE_ALIGN, TAG_EFI_BS = 0, 6, 7


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = bytearray(open(src, "rb").read())
    for off in range(0, min(len(data), SEARCH) - 16, 8):
        magic, arch, length, checksum = struct.unpack_from("<IIIi", data, off)
        if magic == MB2_HEADER_MAGIC and (magic + arch + length + checksum) & 0xffffffff == 0:
            break
    else:
        sys.exit("%s: no multiboot2 header in the first 32 KiB" % src)
    tag, end, found = off + 16, off + length, False
    while tag < end:
        kind, flags, size = struct.unpack_from("<HHI", data, tag)
        if kind == TAG_END:
            break
        if kind == TAG_EFI_BS:
            struct.pack_into("<HHI", data, tag, TAG_MODULE_ALIGN, 0, 8)
            found = True
        tag += (size + 7) & ~7
    if not found:
        sys.exit("%s: the multiboot2 header has no EFI boot services tag" % src)
    open(dst, "wb").write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

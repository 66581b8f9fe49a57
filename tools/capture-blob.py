#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns a kernel's KEEL-DUMP serial lines (keel.dump-info) back into the loader's blob.

  tools/capture-blob.py SERIAL_LOG OUT.bin      (SERIAL_LOG may be - for stdin)

The kernel prints "KEEL-DUMP <physical address, hex> <bytes, hex>" lines in address
order. This checks that they are contiguous and writes the bytes to OUT.bin; it prints
the blob's physical address and size, which a fixture's README records. When the
blob is a multiboot2 information structure or a DTB, its own size field is checked
against what was captured.
"""

import struct
import sys


def parse(lines):
    base = None
    data = bytearray()
    for n, line in enumerate(lines, 1):
        line = line.strip()
        # Serial output may carry other text before the tag on the same line.
        at = line.find("KEEL-DUMP ")
        if at < 0:
            continue
        fields = line[at:].split()
        if len(fields) != 3:
            raise ValueError("line %d: expected 'KEEL-DUMP ADDR HEX'" % n)
        addr = int(fields[1], 16)
        chunk = bytes.fromhex(fields[2])
        if base is None:
            base = addr
        elif addr != base + len(data):
            raise ValueError("line %d: address 0x%x, expected 0x%x (a line is missing)"
                             % (n, addr, base + len(data)))
        data += chunk
    if base is None:
        raise ValueError("no KEEL-DUMP lines (was keel.dump-info on the command line?)")
    return base, bytes(data)


def check_size(data):
    """Compares the blob's own size field with its length; returns a description."""
    if len(data) >= 4 and struct.unpack_from(">I", data, 0)[0] == 0xd00dfeed:
        kind, size = "dtb", struct.unpack_from(">I", data, 4)[0]
    elif len(data) >= 8:
        kind, size = "multiboot2 info", struct.unpack_from("<I", data, 0)[0]
    else:
        raise ValueError("blob of %d bytes is too short" % len(data))
    if size != len(data):
        raise ValueError("%s says it is %d bytes, %d were captured" % (kind, size, len(data)))
    return kind


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    src = sys.stdin if argv[0] == "-" else open(argv[0], encoding="utf-8", errors="replace")
    with src:
        try:
            base, data = parse(src)
            kind = check_size(data)
        except ValueError as e:
            print("capture-blob: " + str(e), file=sys.stderr)
            return 1
    with open(argv[1], "wb") as f:
        f.write(data)
    print("%s: %s, %d bytes at physical 0x%x" % (argv[1], kind, len(data), base))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

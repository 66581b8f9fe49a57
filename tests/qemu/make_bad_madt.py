#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a MADT (ACPI 6.5, 5.2.12) for a 2-CPU PC with one bad processor entry, for
GRUB's `acpi` command to put in place of the firmware's (`keel run --acpi-table`):

  make_bad_madt.py KIND OUT

  absent-id       a third Local APIC entry, Enabled, whose APIC ID (0x77) no CPU has
  online-capable  a third Local APIC entry (APIC ID 2) with Online Capable, not Enabled

Both keep CPUs 0 and 1 as QEMU's -smp 2 has them, and the I/O APIC at its place.
"""

import struct
import sys

LAPIC_BASE = 0xfee00000
PCAT_COMPAT = 1
ENABLED, ONLINE_CAPABLE = 1, 2
IOAPIC_BASE = 0xfec00000


def local_apic(uid, apic_id, flags):
    return struct.pack("<BBBBI", 0, 8, uid, apic_id, flags)


def madt(entries):
    body = struct.pack("<II", LAPIC_BASE, PCAT_COMPAT) + b"".join(entries)
    length = 36 + len(body)
    table = bytearray(b"APIC" + struct.pack("<IBB", length, 5, 0) + b"KEEL  " + b"BADMADT "
                      + struct.pack("<I", 1) + b"KEEL" + struct.pack("<I", 1) + body)
    table[9] = -sum(table) & 0xff  # the checksum: all bytes add up to 0
    return bytes(table)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    third = {"absent-id": local_apic(2, 0x77, ENABLED),
             "online-capable": local_apic(2, 2, ONLINE_CAPABLE)}[kind]
    ioapic = struct.pack("<BBBBII", 1, 12, 0, 0, IOAPIC_BASE, 0)
    with open(out, "wb") as f:
        f.write(madt([local_apic(0, 0, ENABLED), local_apic(1, 1, ENABLED), third, ioapic]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

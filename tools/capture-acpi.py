#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Captures the ACPI tables QEMU's firmware builds and packs them into one fuzz seed.

  tools/capture-acpi.py MACHINE SMP OUT.bin [--xsdt]   MACHINE: pc | q35 | virt[,OPTIONS]

QEMU runs its firmware with no boot device: SeaBIOS for pc and q35, AAVMF for the arm64
virt machine (whose tables carry a GICC per CPU, an arm FADT with the PSCI flags and an
SPCR). Once the firmware has put the RSDP in memory (the BIOS area on x86; anywhere in
RAM under AAVMF, found by its signature and checksum), the RSDP, its RSDT or XSDT and
every table they list are read out of guest memory through QMP's pmemsave. They are then laid out again from 0xe0000 on, the
address at which tests/fuzz/fuzz_acpi.c and tests/host/test_acpi.c serve a file as
physical memory, with the RSDP first, the pointers rewritten and every checksum fixed.
The tables' contents are QEMU's own. SeaBIOS writes a revision 0 RSDP; --xsdt
writes a revision 2 RSDP with an XSDT beside the RSDT instead, so that both roots have
a seed. The seed is written in the tree once and committed
(tests/fuzz/corpus/acpi/); nothing runs this at build time.
"""

import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keel.qemu import qmp_connect  # noqa: E402  (tools/keel, the package behind ./keel)

BASE = 0xE0000  # where the fuzz target and the host test place the file
VIRT_RAM = (0x40000000, 128 << 20)  # the arm64 virt machine's RAM at -m 128M


def qemu_command(machine, smp, sock):
    """The firmware with no boot device, its memory readable over QMP."""
    common = ["-m", "128M", "-smp", smp, "-display", "none", "-nodefaults", "-no-reboot",
              "-qmp", "unix:%s,server=on,wait=off" % sock]
    if not machine.startswith("virt"):
        return ["qemu-system-x86_64", "-M", machine] + common
    from keel.packages import AAVMF_CODE, AAVMF_VARS
    vars_copy = os.path.join(os.path.dirname(sock), "vars.fd")
    with open(AAVMF_VARS, "rb") as src, open(vars_copy, "wb") as dst:
        dst.write(src.read())
    # The PL011 stays (on a null backend), so that AAVMF writes its SPCR.
    return ["qemu-system-aarch64", "-M", machine, "-cpu", "cortex-a72", "-serial", "null",
            "-drive", "if=pflash,format=raw,readonly=on,file=%s" % AAVMF_CODE,
            "-drive", "if=pflash,format=raw,file=%s" % vars_copy] + common


def find_rsdp(area):
    """The offset of the first RSDP in `area` (16-byte aligned, good checksum), or None."""
    off = area.find(b"RSD PTR ")
    while off >= 0:
        if off % 16 == 0 and sum(area[off:off + 20]) & 0xFF == 0:
            return off
        off = area.find(b"RSD PTR ", off + 1)
    return None


def checksum_fix(buf, start, length, at):
    buf[at] = 0
    buf[at] = (0x100 - sum(buf[start:start + length])) & 0xFF


def main():
    machine, smp, out = sys.argv[1], sys.argv[2], sys.argv[3]
    want_xsdt = sys.argv[4:] == ["--xsdt"]
    with tempfile.TemporaryDirectory(prefix="keel-acpi-") as tmp:
        sock = os.path.join(tmp, "qmp.sock")
        qemu = subprocess.Popen(qemu_command(machine, smp, sock),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            s, call = qmp_connect(sock, timeout=30)

            def read(pa, n):
                path = os.path.join(tmp, "mem")
                call("pmemsave", val=pa, size=n, filename=path)
                return open(path, "rb").read()

            where = VIRT_RAM if machine.startswith("virt") else (0xE0000, 0x20000)
            rsdp_at = None
            while rsdp_at is None:
                area = read(*where)
                rsdp_at = find_rsdp(area)
                if rsdp_at is None:
                    if time.monotonic() > deadline:
                        sys.exit("capture-acpi: the firmware wrote no RSDP")
                    time.sleep(0.5)
            rsdp = bytearray(area[rsdp_at:rsdp_at + 36])
            revision = rsdp[15]
            rsdp = rsdp[:36] if revision >= 2 else rsdp[:20]
            if want_xsdt and revision < 2:
                revision = rsdp[15] = 2
                rsdp += struct.pack("<IQ4x", 36, 0)  # length, XSDT address, reserved

            def table(pa):
                length = struct.unpack_from("<I", read(pa, 8), 4)[0]
                return bytearray(read(pa, length))

            # AAVMF's RSDP names only an XSDT (its RSDT address is 0): take its pointers.
            rsdt_pa = struct.unpack_from("<I", rsdp, 16)[0]
            if rsdt_pa != 0:
                rsdt = table(rsdt_pa)
                pointers = [struct.unpack_from("<I", rsdt, off)[0]
                            for off in range(36, len(rsdt), 4)]
            else:
                rsdt = table(struct.unpack_from("<Q", rsdp, 24)[0])
                pointers = [struct.unpack_from("<Q", rsdt, off)[0]
                            for off in range(36, len(rsdt), 8)]
                rsdt[0:4] = b"RSDT"
            tables = [table(pa) for pa in pointers]
            s.close()
        finally:
            qemu.kill()
            qemu.wait()

    # Layout: RSDP, RSDT, XSDT (revision 2), then the tables, each 16-byte aligned.
    def align(n):
        return (n + 15) & ~15

    rsdt_off = align(len(rsdp))
    rsdt_len = 36 + 4 * len(tables)
    xsdt_off = align(rsdt_off + rsdt_len)
    xsdt_len = 36 + 8 * len(tables) if revision >= 2 else 0
    offsets, pos = [], align(xsdt_off + xsdt_len)
    for t in tables:
        offsets.append(pos)
        pos = align(pos + len(t))
    blob = bytearray(pos)
    new_rsdt = bytearray(rsdt[:36]) + b"".join(struct.pack("<I", BASE + o) for o in offsets)
    struct.pack_into("<I", new_rsdt, 4, rsdt_len)
    checksum_fix(new_rsdt, 0, rsdt_len, 9)
    blob[rsdt_off:rsdt_off + rsdt_len] = new_rsdt
    struct.pack_into("<I", rsdp, 16, BASE + rsdt_off)
    if revision >= 2:
        new_xsdt = bytearray(b"XSDT") + new_rsdt[4:36] + b"".join(
            struct.pack("<Q", BASE + o) for o in offsets)
        struct.pack_into("<I", new_xsdt, 4, xsdt_len)
        checksum_fix(new_xsdt, 0, xsdt_len, 9)
        blob[xsdt_off:xsdt_off + xsdt_len] = new_xsdt
        struct.pack_into("<Q", rsdp, 24, BASE + xsdt_off)
    checksum_fix(rsdp, 0, 20, 8)
    if revision >= 2:
        checksum_fix(rsdp, 0, 36, 32)
    blob[0:len(rsdp)] = rsdp
    for t, o in zip(tables, offsets):
        blob[o:o + len(t)] = t
    with open(out, "wb") as f:
        f.write(blob)
    names = ", ".join(t[:4].decode("ascii", "replace") for t in tables)
    print("%s: RSDP revision %d, RSDT with %s; %d bytes" % (out, revision, names, len(blob)))


if __name__ == "__main__":
    main()

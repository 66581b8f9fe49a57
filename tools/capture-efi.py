#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Captures what a UEFI firmware handed Keel's EFI entry on an aarch64 target, as fixtures.

  tools/capture-efi.py TARGET MEMORY CPUS OUTDIR   e.g. aarch64-uefi 512M 1 tests/host/fixtures

Boots TARGET (a UEFI row of tools/keel/targets.py) with the example kernel and the command
line `keel.dump-info keel.hold`: keel.dump-info prints the EFI entry's handoff (struct
efi_handoff, include/keel/efi.h) as KEEL-DUMP lines before the memory sequence runs, and
keel.hold stops the kernel after its report. While it holds, QMP's pmemsave reads out of
guest memory the final EFI memory map the handoff names, and the firmware's ACPI tables
(the RSDP, its XSDT and every table it lists, each in full) or the DTB of its
configuration table, which lie in memory Keel does not reuse (ACPI reclaim, runtime
data). The memory map's buffer is boot_info memory, freed at the reclaim step; the map
is therefore checked here against the report's efi-mmap ranges' count of usable bytes,
and the host test compares it with the report's map in full.

Writes OUTDIR/NAME-handoff.bin, NAME-memmap.bin and NAME-acpi.bin (the ACPI tables as one
image of the physical range from the lowest table to the end of the highest, zeros
between them) or NAME-dtb.dtb, and NAME-report.json; NAME is TARGET-MEMORY-smpCPUS in
lower case.
It prints the addresses a fixture README records. Nothing runs this at build time.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keel.build import setup_and_build  # noqa: E402
from keel.qemu import BootOptions, qemu_command, qmp_connect  # noqa: E402
from keel.targets import TARGETS  # noqa: E402

# struct efi_handoff's fields up to dtb (include/keel/efi.h); offsets from its layout.
HANDOFF_FIELDS = {"memmap_pa": 0x58, "memmap_size": 0x60, "descriptor_size": 0x68,
                  "descriptor_version": (0x70, 4), "rsdp": 0x90}


def main():
    target, memory, cpus, outdir = TARGETS[sys.argv[1]], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    name = ("%s-%s-smp%d" % (target.name, memory, cpus)).lower()
    bdir = setup_and_build(target.arch, out=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="keel-capture-") as work:
        sock = os.path.join(work, "qmp.sock")
        cmd = qemu_command(target, bdir, BootOptions(cmdline="keel.dump-info keel.hold",
                                                     memory=memory, smp=cpus), work)
        cmd += ["-qmp", "unix:%s,server=on,wait=off" % sock]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        text = b""
        deadline = time.monotonic() + 120
        while b"\nKEEL-HOLD" not in text:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk or time.monotonic() > deadline:
                proc.kill()
                sys.exit("capture-efi: the kernel did not hold:\n" + text.decode(errors="replace"))
            text += chunk
            if b"\x1b[6n" in chunk:  # U-Boot's EFI console asks the terminal's size
                proc.stdin.write(b"\x1b[24;80R")
                proc.stdin.flush()
        s, call = qmp_connect(sock)

        def read(pa, n):
            path = os.path.join(work, "mem")
            call("pmemsave", val=pa, size=n, filename=path)
            with open(path, "rb") as f:
                return f.read()

        lines = text.decode("utf-8", "replace").replace("\r", "").splitlines()
        handoff = b"".join(bytes.fromhex(line.split()[2]) for line in lines
                           if line.startswith("KEEL-DUMP "))
        report = json.loads(next(line[len("KEEL-REPORT "):] for line in lines
                                 if line.startswith("KEEL-REPORT ")))

        def field(key):
            off, size = HANDOFF_FIELDS[key] if isinstance(HANDOFF_FIELDS[key], tuple) else (
                HANDOFF_FIELDS[key], 8)
            return int.from_bytes(handoff[off:off + size], "little")

        memmap = read(field("memmap_pa"), field("memmap_size"))
        files = {name + "-handoff.bin": handoff, name + "-memmap.bin": memmap}
        print("handoff: %d bytes; memory map at 0x%x, %d bytes, DescriptorSize %d, version %d"
              % (len(handoff), field("memmap_pa"), len(memmap), field("descriptor_size"),
                 field("descriptor_version")))
        rsdp_pa = field("rsdp")
        dtb_pa = int(report["dtb"], 16) if report.get("dtb") else 0
        if rsdp_pa:
            tables = {rsdp_pa: read(rsdp_pa, 36)}
            xsdt_pa = struct.unpack_from("<Q", tables[rsdp_pa], 24)[0]
            head = read(xsdt_pa, 36)
            xsdt = read(xsdt_pa, struct.unpack_from("<I", head, 4)[0])
            tables[xsdt_pa] = xsdt
            for off in range(36, len(xsdt), 8):
                pa = struct.unpack_from("<Q", xsdt, off)[0]
                head = read(pa, 36)
                tables[pa] = read(pa, struct.unpack_from("<I", head, 4)[0])
                print("  %s at 0x%x, %d bytes" % (head[:4].decode(), pa, len(tables[pa])))
            base = min(tables)
            end = max(pa + len(t) for pa, t in tables.items())
            image = bytearray(end - base)
            for pa, t in tables.items():
                image[pa - base:pa - base + len(t)] = t
            files[name + "-acpi.bin"] = bytes(image)
            print("ACPI: RSDP at 0x%x; the tables' range 0x%x..0x%x (%d bytes)"
                  % (rsdp_pa, base, end, end - base))
        if dtb_pa:
            head = read(dtb_pa, 8)
            files[name + "-dtb.dtb"] = read(dtb_pa, struct.unpack_from(">I", head, 4)[0])
            print("DTB at 0x%x, %d bytes" % (dtb_pa, len(files[name + "-dtb.dtb"])))
        s.close()
        proc.stdin.write(b"\n")
        proc.stdin.close()
        proc.wait()
    report_line = json.dumps(report, indent=None, sort_keys=True) + "\n"
    files[name + "-report.json"] = report_line.encode()
    for fname, data in files.items():
        with open(os.path.join(outdir, fname), "wb") as f:
            f.write(data)
        print("wrote %s (%d bytes)" % (fname, len(data)))


if __name__ == "__main__":
    main()

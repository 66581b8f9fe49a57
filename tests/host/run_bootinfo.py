#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs keel-bootinfo and checks its contract.

  run_bootinfo.py TOOL --expect-ok FILE [--initrd F] [--dtb-at ADDR] [--expect-modules N]
                                        [--expect-crc] [--expect-cpus N]
  run_bootinfo.py TOOL --expect-error TEXT FILE [--break-magic]

Success: exit 0, stdout is one JSON object with the boot_info keys, stderr is empty, and
the DTB has a range and an address exactly when --dtb-at gave one. Bad input: exit 2
(as the kernel's), stdout is empty, stderr is exactly one "keel: error: ..." line that
contains TEXT. Usage errors (no file) must exit 64. --break-magic runs on a copy of FILE
whose first byte is flipped.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

KEYS = ["protocol", "loader", "cmdline", "memory", "modules", "framebuffer", "dtb", "rsdp",
        "cpus"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool")
    ap.add_argument("file")
    ap.add_argument("--expect-ok", action="store_true")
    ap.add_argument("--expect-error")
    ap.add_argument("--initrd")
    ap.add_argument("--expect-modules", type=int)
    ap.add_argument("--expect-cpus", type=int)
    ap.add_argument("--expect-crc", action="store_true")
    ap.add_argument("--dtb-at")
    ap.add_argument("--break-magic", action="store_true")
    ap.add_argument("--expect-efi", action="store_true",
                    help="the report has an efi object with a system table")
    args = ap.parse_args()

    usage = subprocess.run([args.tool], capture_output=True, text=True)
    if usage.returncode != 64:
        fail("no arguments: exit %d, want 64" % usage.returncode)

    with tempfile.TemporaryDirectory(prefix="keel-bootinfo-") as tmp:
        if args.break_magic:
            data = bytearray(open(args.file, "rb").read())
            data[0] ^= 0xff
            args.file = os.path.join(tmp, "broken")
            with open(args.file, "wb") as f:
                f.write(data)
        cmd = [args.tool, args.file]
        if args.initrd:
            cmd += ["--initrd", args.initrd]
        if args.dtb_at:
            cmd += ["--dtb-at", args.dtb_at]
        r = subprocess.run(cmd, capture_output=True, text=True)
    print("$ " + " ".join(cmd))
    print(r.stdout + r.stderr)

    if args.expect_error is not None:
        lines = r.stderr.splitlines()
        if r.returncode != 2:
            fail("exit %d, want 2" % r.returncode)
        if len(lines) != 1 or not lines[0].startswith("keel: error: "):
            fail("stderr is not one 'keel: error:' line")
        if args.expect_error not in lines[0]:
            fail("message lacks %r" % args.expect_error)
        if r.stdout:
            fail("output on stdout despite the error")
        return

    if r.returncode != 0 or r.stderr:
        fail("exit %d, stderr %r" % (r.returncode, r.stderr))
    info = json.loads(r.stdout)
    for key in KEYS:
        if key not in info:
            fail("missing key %s" % key)
    mem = info["memory"]
    if not mem:
        fail("empty memory map")
    prev_end = 0
    for r_ in mem:
        base, size = int(r_["base"], 16), int(r_["size"], 16)
        if base < prev_end or size == 0:
            fail("memory map not sorted and disjoint at %s" % r_["base"])
        prev_end = base + size
    if not any(r_["type"] == "usable" for r_ in mem):
        fail("no usable memory")
    if args.expect_modules is not None and len(info["modules"]) != args.expect_modules:
        fail("%d modules, want %d" % (len(info["modules"]), args.expect_modules))
    if args.expect_crc and any(m["crc32"] is None for m in info["modules"]):
        fail("a module has no crc32")
    dtb_ranges = [int(r_["base"], 16) for r_ in mem if r_["source"] == "dtb"]
    if info["protocol"] == "fdt":
        want = [int(args.dtb_at, 0)] if args.dtb_at else []
        if dtb_ranges != want or (info["dtb"] is None) != (not args.dtb_at):
            fail("DTB range %s and address %s, want %s" % (dtb_ranges, info["dtb"], want))
    efi = info.get("efi")
    if args.expect_efi != (efi is not None and int(efi["system_table"], 16) != 0):
        fail("efi is %r, want %s" % (efi, "a system table" if args.expect_efi else "none"))
    if args.expect_cpus is not None and info["cpus"] != args.expect_cpus:
        fail("%d cpus, want %d" % (info["cpus"], args.expect_cpus))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots one target through `keel run` and checks its KEEL-REPORT against what was given.

  boot_test.py KEEL BUILD_DIR TARGET --memory 512M      a good boot
  boot_test.py KEEL BUILD_DIR TARGET --expect-line TEXT --expect-code N
               [--cmdline STR] [-- QEMU-ARGS]    a boot that must fail cleanly
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import zlib

# The targets table, from the package in the source tree's tools/.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from keel.build import image_path  # noqa: E402
from keel.targets import TARGETS  # noqa: E402

# Memory that a loader or firmware legitimately keeps from a kernel (the x86 legacy
# hole below 1 MiB, ACPI tables, a U-Boot /memreserve/) is bounded by this.
RAM_SLACK = 4 << 20
RAM_TYPES = ("usable", "bootloader_reclaimable", "acpi_reclaimable", "kernel", "module",
             "boot_info", "efi_runtime")


def size_bytes(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(s[:-1]) * units[s[-1].upper()] if s[-1].upper() in units else int(s)


def run_keel(a, modules, cmdline, extra):
    cmd = [a.keel, "run", a.target, "--build-dir", a.build_dir] + (
        ["--memory", a.memory] if a.memory else []) + ["--cmdline", cmdline, "--timeout", str(a.timeout)] + (["--no-fb"] if a.no_fb else [])
    cmd += ["--kernel", a.kernel] if a.kernel else []
    cmd += ["--esp", a.esp] if a.esp else []
    for path in a.acpi_table:
        cmd += ["--acpi-table", path]
    cmd += ["--smp", str(a.smp)] if a.smp else []
    cmd += ["--serial-port", str(a.serial_port)] if a.serial_port else []
    for path in modules:
        cmd += ["--module", path]
    if extra:
        cmd += ["--"] + extra
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
    out = proc.stdout.decode("utf-8", "replace")
    print(out)
    return proc.returncode, out


def report_of(out):
    lines = [l for l in out.splitlines() if l.startswith("KEEL-REPORT ")]
    if len(lines) != 1:
        sys.exit("FAIL: expected one KEEL-REPORT line, found %d" % len(lines))
    return json.loads(lines[0][len("KEEL-REPORT "):])


def check(cond, what, failures):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def good_boot(a):
    rng = random.Random("%s-%s" % (a.target, a.memory))
    failures = []
    with tempfile.TemporaryDirectory(prefix="keel-test-") as tmp:
        modules = {}
        for name, size in (("alpha.bin", 1000), ("beta.txt", 65536 + 3), ("gamma.dat", 300000)):
            data = bytes(rng.getrandbits(8) for _ in range(size))
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            modules[name] = (path, zlib.crc32(data), size)
        cmdline = "keel-test marker=%08x answer=42" % rng.getrandbits(32)
        cmdline += "".join(" w%04d" % i for i in range(a.cmdline_words))
        cmdline += (" " + a.append) if a.append else ""
        if a.via_load_options:
            # OVMF starts the image given to QEMU's -kernel itself, with -append as its
            # LoadOptions, from a volume of its own that has no keel.cfg: no modules, and
            # the command line keel.cfg would give (on the ESP, not used) is overridden.
            image = a.kernel or image_path(a.build_dir, TARGETS[a.target].arch)
            extra = a.qemu_args + ["-kernel", image, "-append", cmdline]
            modules = {}
            rc, out = run_keel(a, [], "from-keel-cfg", extra)
        else:
            rc, out = run_keel(a, [m[0] for m in modules.values()], cmdline, a.qemu_args)
    check(rc == 0, "exit code is 0 (got %d)" % rc, failures)
    r = report_of(out)
    target = TARGETS[a.target]
    arch, protocol, loader = target.arch, target.protocol, target.loader_prefix
    check(r["arch"] == arch, "arch is %s" % arch, failures)
    check(r["protocol"] == protocol, "protocol is %s" % protocol, failures)
    check(r["loader"].startswith(loader), "loader %r starts with %r" % (r["loader"], loader),
          failures)
    if target.entry_mode and not a.kernel:
        check(r["entry_mode"] == target.entry_mode, "entry mode is %s" % target.entry_mode,
              failures)
    check(r["cmdline"] == cmdline, "cmdline came through (%r)" % r["cmdline"], failures)
    got = {m["name"]: m for m in r["modules"]}
    check(sorted(got) == sorted(modules), "module names %s" % sorted(got), failures)
    for name, (_path, crc, size) in modules.items():
        m = got.get(name)
        check(m is not None and m["crc32"] == crc and int(m["size"], 16) == size,
              "module %s: crc32 0x%08x and size %d" % (name, crc, size), failures)
    module_ranges = [(int(m["base"], 16), int(m["base"], 16) + int(m["size"], 16))
                     for m in r["memory"] if m["type"] == "module"]
    for m in r["modules"]:
        lo, hi = int(m["base"], 16), int(m["base"], 16) + int(m["size"], 16)
        check(any(b <= lo and hi <= e for b, e in module_ranges),
              "module %s lies in a range of type module" % m["name"], failures)
    # A board's firmware may keep part of its RAM (the row's ram_kept: a GPU's share).
    given = size_bytes(a.memory or target.memory or "512M") - target.ram_kept
    # ramfb's framebuffer is carved out of RAM; a loader's (x86 VBE) lies in an MMIO hole.
    ram_lo = min(int(m["base"], 16) for m in r["memory"] if m["type"] == "usable")
    ram = sum(int(m["size"], 16) for m in r["memory"] if m["type"] in RAM_TYPES
              or (m["type"] == "framebuffer" and r["protocol"] == "fdt"
                  and int(m["base"], 16) >= ram_lo))
    check(given - RAM_SLACK <= ram <= given,
          "RAM in the map is %d MiB of %d MiB given" % (ram >> 20, given >> 20), failures)
    ranges = [(int(m["base"], 16), int(m["size"], 16)) for m in r["memory"]]
    check(all(b1 + s1 <= b2 for (b1, s1), (b2, _) in zip(ranges, ranges[1:])),
          "memory map is sorted and disjoint", failures)
    check(r["cpus"] >= 1, "at least one CPU found (%d)" % r["cpus"], failures)
    # A PSCI conduit (aarch64: /psci or the FADT) means the firmware was asked its version:
    # 0.2 or later on every machine here, the first with CPU_ON_64.
    if r.get("psci_conduit") in ("hvc", "smc"):
        v = tuple(int(x) for x in (r.get("psci_version") or "0.0").split("."))
        check(v >= (0, 2), "PSCI_VERSION answered %s through %s" % (r.get("psci_version"),
                                                                    r["psci_conduit"]), failures)
    else:
        check(r.get("psci_version") is None, "no PSCI conduit, no PSCI version", failures)
    if a.smp:
        check_smp(r, out, a.smp, failures)
    for fact in a.expect_report:
        key, _, want = fact.partition("=")
        got = r
        for part in key.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        check(str(got) == want, "report %s is %s (got %r)" % (key, want, got), failures)
    stages = [t["stage"] for t in r["timeline"]]
    check(stages[0] == "entry" and stages[-1] == "report", "timeline %s" % stages, failures)
    check("smp" in stages and stages[stages.index("smp") + 1:][:1] == ["drop"]
          and r["tlb_generation"] == 1,
          "the drop stage follows the smp stage, and its TLB sync ran once", failures)
    check_mm(r, failures)
    fb = r["framebuffer"]
    if a.expect_warning:
        warnings = [l for l in out.splitlines() if l.startswith("keel: warning: ")]
        check(len(warnings) == 1 and a.expect_warning in warnings[0],
              "one warning line containing %r (got %r)" % (a.expect_warning, warnings), failures)
    want_fb = a.fb_source or (None if a.no_fb else target.fb_source)
    if want_fb is None:
        check(fb is None, "no framebuffer: the report says null", failures)
    else:
        check(fb is not None and fb["source"] == want_fb
              and fb["memory_type"] == "write-combining" and fb["width"] > 0,
              "framebuffer from %s, mapped write-combining (%s)" % (want_fb, fb), failures)
    return failures


# What the memory sequence must leave behind, read from the live table by the kernel.
SECTION_RIGHTS = {"text": "r-x", "rodata": "r--", "data": "rw-", "boot_stack": "rw-"}
FRAME_TYPES = ("usable", "kernel", "module", "boot_info", "bootloader_reclaimable")


def check_mm(r, failures):
    mm = r["mm"]
    owned = sum(mm["frames_by_owner"].values())
    check(mm["frames_total"] == mm["frames_free"] + owned,
          "accounting: total %d == free %d + owned %d" % (mm["frames_total"], mm["frames_free"],
                                                         owned), failures)
    ram = sum(int(m["size"], 16) for m in r["memory"] if m["type"] in FRAME_TYPES)
    check(mm["frames_total"] * 4096 == ram,
          "frames_total covers the usable, kernel, module, boot-info and loader RAM", failures)
    check(mm["frames_by_owner"]["boot_info"] == 0, "boot-info frames were reclaimed", failures)
    for sec in mm["sections"]:
        want = SECTION_RIGHTS.get(sec["name"])
        check(want is None or sec["rights"] == want,
              "section %s is %s (read back: %s)" % (sec["name"], want, sec["rights"]), failures)
    check(sorted(SECTION_RIGHTS) == sorted(s["name"] for s in mm["sections"]),
          "sections listed: %s" % [s["name"] for s in mm["sections"]], failures)
    check(mm["page_table_pages"] == mm["frames_by_owner"]["page_tables"] > 0,
          "page_table_pages (%d) matches the page_tables owner" % mm["page_table_pages"], failures)
    check(int(mm["heap_size"], 16) >= 64 << 10 and mm["frames_by_owner"]["heap"] > 0,
          "heap mapped (%s)" % mm["heap_size"], failures)
    check(mm["identity_mappings"] == 0 and mm["identity_dropped"] >= 1
          and mm["identity_tables_freed"] >= 1,
          "identity mappings dropped after the CPUs' start: %d left, %d dropped, %d table "
          "pages freed" % (mm["identity_mappings"], mm["identity_dropped"],
                           mm["identity_tables_freed"]), failures)
    check(mm["stacks"] >= 1, "a stack from the stack allocator", failures)
    check("2M" in mm["direct_map"]["page_sizes"] or "1G" in mm["direct_map"]["page_sizes"],
          "direct map uses large pages %s" % mm["direct_map"]["page_sizes"], failures)
    return failures


FAILURE_PREFIXES = ("keel: error: ", "keel: exception: ", "keel: panic: ", "keel: fault: ")


def check_smp(r, out, n, failures):
    """-smp N: every CPU found, started, on a stack of its own inside its guarded slot."""
    check(r["cpus"] == n, "%d CPUs found (got %d)" % (n, r["cpus"]), failures)
    check(r["cpus_online"] == n, "%d CPUs online (got %d)" % (n, r["cpus_online"]), failures)
    smp = r["smp"]
    check(sorted(c["cpu"] for c in smp) == list(range(n)),
          "kernel_ap_main ran on cpus 1..%d (%s)" % (n - 1, [c["cpu"] for c in smp]), failures)
    check(len({c["id"] for c in smp}) == len(smp), "distinct hardware ids", failures)
    for c in smp:
        sp, lo, hi = int(c["stack"], 16), int(c["stack_bottom"], 16), int(c["stack_top"], 16)
        check(lo < sp <= hi, "cpu %d runs inside its own stack" % c["cpu"], failures)
        check(c["cpu"] == 0 or c["started_ticks"] > 0, "cpu %d has a check-in time" % c["cpu"],
              failures)
    slots = sorted((int(c["stack_bottom"], 16), int(c["stack_top"], 16)) for c in smp)
    check(all(t1 <= b2 for (_, t1), (b2, _) in zip(slots, slots[1:])), "the stacks are disjoint",
          failures)
    check("did not start" not in out, "no CPU was left out", failures)
    gen = r["tlb_generation"]
    check(gen >= 1 and all(c["tlb_flushed"] == gen for c in smp),
          "every CPU flushed its TLB for the drop's generation %d (%s)"
          % (gen, [c["tlb_flushed"] for c in smp]), failures)
    check("did not confirm the TLB flush" not in out, "every CPU confirmed the TLB flush",
          failures)


def fail_alloc_sweep(a):
    """keel.fail_alloc=N for every allocation the sequence makes: each must end cleanly.

    With --fail-alloc-sample K only K of them, spread evenly from the first to the last
    (for targets whose boots are slow)."""
    failures = []
    rc, out = run_keel(a, [], "keel-test", a.qemu_args)
    count = report_of(out)["mm"]["allocations"] if rc == 0 else 0
    check(count >= 5, "the sequence makes %d allocations" % count, failures)
    points = range(1, count + 1)
    if a.fail_alloc_sample and count > a.fail_alloc_sample > 1:
        k = a.fail_alloc_sample
        points = sorted({1 + (count - 1) * i // (k - 1) for i in range(k)})
    for n in points:
        rc, out = run_keel(a, [], "keel-test keel.fail_alloc=%d" % n, a.qemu_args)
        lines = [l for l in out.splitlines() if l.startswith(FAILURE_PREFIXES)]
        check(rc == 2 and len(lines) == 1 and lines[0].startswith("keel: error: ")
              and "KEEL-REPORT" not in out,
              "fail_alloc=%d: one error line and exit 2 (got %d, %r)" % (n, rc, lines), failures)
    return failures


def bad_boot(a):
    """A boot that must end in one "keel: ..." line and a specific non-zero exit code."""
    failures = []
    cmdline = a.cmdline + "".join(" w%04d" % i for i in range(a.cmdline_words))
    rc, out = run_keel(a, [], cmdline, a.qemu_args)
    keel_lines = [l for l in out.splitlines() if l.startswith(FAILURE_PREFIXES)]
    check(rc == a.expect_code, "exit code is %d (got %d)" % (a.expect_code, rc), failures)
    check(len(keel_lines) == 1 and all(want in keel_lines[0] for want in a.expect_line),
          "one line containing %r (got %r)" % (a.expect_line, keel_lines), failures)
    check("KEEL-REPORT" not in out, "no report was printed", failures)
    return failures


def main():
    argv = sys.argv[1:]
    qemu_args = []
    if "--" in argv:
        i = argv.index("--")
        argv, qemu_args = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("keel")
    p.add_argument("build_dir")
    p.add_argument("target")
    p.add_argument("--memory", help="`keel run --memory` (default: the row's, or 512M)")
    p.add_argument("--timeout", type=int, default=120)
    p.add_argument("--expect-line", action="append",
                   help="a boot that must fail in one line containing this (every one given)")
    p.add_argument("--expect-code", type=int)
    p.add_argument("--cmdline", default="keel-test")
    p.add_argument("--fail-alloc-sweep", action="store_true")
    p.add_argument("--fail-alloc-sample", type=int, default=0, metavar="K",
                   help="with --fail-alloc-sweep: only K allocations, the first to the last")
    p.add_argument("--kernel", help="boot this image (`keel run --kernel`)")
    p.add_argument("--esp", help="`keel run --esp`: files for the UEFI targets' ESP")
    p.add_argument("--acpi-table", action="append", default=[],
                   help="`keel run --acpi-table`: x86_64-grub's GRUB loads it over the firmware's")
    p.add_argument("--append", help="words added to a good boot's command line")
    p.add_argument("--via-load-options", action="store_true",
                   help="x86_64-uefi: the command line as LoadOptions (QEMU -kernel/-append)")
    p.add_argument("--expect-report", action="append", default=[], metavar="KEY=VALUE",
                   help="a good boot whose report has this value at KEY (a.b for nesting)")
    p.add_argument("--cmdline-words", type=int, default=0,
                   help="a good boot whose command line has this many more words")
    p.add_argument("--no-fb", action="store_true", help="boot with `keel run --no-fb`")
    p.add_argument("--fb-source", help="the framebuffer source the report must name, in place "
                   "of the row's (a display the test adds through QEMU-ARGS)")
    p.add_argument("--smp", type=int, default=0, help="`keel run --smp N`, and check all N run")
    p.add_argument("--expect-warning", help="a good boot that prints this warning")
    p.add_argument("--serial-port", type=int, default=0,
                   help="`keel run --serial-port N`: the console on QEMU's -serial #N")
    a = p.parse_args(argv)
    a.qemu_args = qemu_args
    if a.esp:  # named from this directory
        a.esp = os.path.join(os.path.dirname(os.path.abspath(__file__)), a.esp)
    if a.fail_alloc_sweep:
        failures = fail_alloc_sweep(a)
    elif a.expect_line:
        failures = bad_boot(a)
    else:
        failures = good_boot(a)
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

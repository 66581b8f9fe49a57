#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz seeds that are made from real inputs rather than captured whole.

  tests/fuzz/make_seeds.py     (needs dtc and cpio)

All come out the same on every run except virt-initrd.dtb, whose archive `cpio -o`
writes with the files' times.

- corpus/fdt/virt-initrd.dtb: QEMU virt's 128M DTB (corpus/fdt) with a /chosen
  linux,initrd-start/end naming a newc archive (tests/host/mkcpio.py, `cpio -o`) placed
  right after the tree, where fuzz_fdt maps its input (0x40000000). Without it no input
  reaches the FDT shim's initrd walk, which needs an initrd inside the input.
- corpus/fdt/ram0-*.dtb: dts/test/ram0.dts (a Raspberry Pi 3B's layout) changed where the
  campaigns did not get: "edges" has 65 CPUs, 33 RAM ranges (more than the early plan's
  32), a node 32 levels deep (the most the reader takes) and an alias 33 levels deep,
  and "okay" and "ok" statuses; "deep-33" nests one level too many; "console-be" and
  "console-shift" name the 16550 through linux,stdout-path with big-endian set, or with
  a reg-shift of two cells.
- corpus/fdt/ram0-cpus-*.dtb: the same tree with /psci and /cpus for the CPU reader's
  cases: "mixed" has /psci's method "svc" and cpus with psci, a misaligned, a missing and
  a zero cpu-release-addr, status "fail", an unknown enable-method, a riscv hart and
  none at all; "psci-smc" the smc conduit, "psci-no-method" a /psci without a method,
  "two-reg" a cpu node whose reg names two CPUs.
- corpus/fdt/qemu-riscv64-virt-smp4.dtb: QEMU's riscv64 virt tree at -smp 4
  (`qemu-system-riscv64 -M virt,dumpdtb=FILE -smp 4`), whose harts have no enable-method.
- corpus/acpi/qemu-q35-x2apic-65.bin: QEMU q35's tables (corpus/acpi/qemu-q35-smp4.bin)
  with the MADT moved to the end and grown by 65 local x2APIC entries, as QEMU writes
  them for more than 255 CPUs: one CPU more than struct boot_info held at 0e9347d
  (BI_CPU_MAX was 64; it is 512 now, so these 65 fit).
- corpus/acpi/qemu-q35-x2apic-513.bin: the same with 513 x2APIC entries, one more than
  struct boot_info holds now (BI_CPU_MAX): 512 recorded, the total says 513 (and a
  warning names the one left out).
- corpus/efi_memmap/aavmf-512m.bin, aavmf-4g.bin, uboot-efi-512m.bin: the final EFI
  memory maps AAVMF and U-Boot's EFI handed Keel (tests/host/fixtures, captured by
  tools/capture-efi.py), with the handoff's descriptor size and version in front, as
  fuzz_efi_memmap reads its input.
- corpus/acpi/qemu-q35-madt-short.bin: the same tables with a MADT of 40 bytes, shorter
  than its fixed fields, but with a good checksum.
- corpus/cpio/name-dot-slash.cpio: a newc archive whose one regular file is named "./",
  a name that is nothing once its "./" prefix is gone (refused as an empty name).
- corpus/keel_cfg/usb-stick-long-{args,cmdline}.cfg: corpus/keel_cfg/usb-stick.cfg with
  the initrd's arguments grown to 1024 bytes, or the command line to 4096: one byte
  more than boot_info holds with its NUL (BI_MOD_CMDLINE_MAX, BI_CMDLINE_MAX).
- corpus/mb2/grub-512m-*.bin: GRUB's information structure from the 512M fixture
  (tests/host/fixtures) with more module tags before the end tag: "257-modules" has one
  module more than struct boot_info holds (BI_MODULE_MAX); "module-strings" has module
  strings with blanks around the name and the arguments, blanks only and none (named
  "module<N>" from N = 10 on), an empty module, and its BIOS ROM range as bad RAM;
  "long-*" have a module name, a module's arguments or the loader's name one byte
  longer than boot_info holds.
"""

import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DTB_PA = 0x40000000  # tests/fuzz/fuzz_fdt.c
ACPI_PA = 0xe0000  # tests/fuzz/fuzz_acpi.c
BI_CPU_MAX = 64  # api/keel/boot_info.h at 0e9347d (512 since); the seeds keep 65 CPUs
BI_CPU_MAX_NOW = 512  # api/keel/boot_info.h
# struct efi_handoff (include/keel/efi.h): descriptor_size and descriptor_version
HANDOFF_DESC_SIZE = 0x68
HANDOFF_DESC_VERSION = 0x70
BI_MODULE_MAX = 256  # api/keel/boot_info.h
BI_CMDLINE_MAX = 4096  # api/keel/boot_info.h
BI_MOD_CMDLINE_MAX = 1024  # api/keel/boot_info.h


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, **kw).stdout


def fdt_initrd(out):
    base = os.path.join(HERE, "corpus", "fdt", "virt-128M-smp1-gic-version-2.dtb")
    dts = run(["dtc", "-q", "-I", "dtb", "-O", "dts", base]).decode()
    with tempfile.TemporaryDirectory() as tmp:
        cpio = os.path.join(tmp, "initrd.cpio")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "host", "mkcpio.py"),
                        "--format", "newc", cpio], check=True)
        with open(cpio, "rb") as f:
            archive = f.read()

        def tree(start, end):
            chosen = ("chosen {\n\t\tlinux,initrd-start = <0x%x 0x%x>;\n"
                      "\t\tlinux,initrd-end = <0x%x 0x%x>;\n" % (
                          start >> 32, start & 0xffffffff, end >> 32, end & 0xffffffff))
            return run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-"],
                       input=dts.replace("chosen {\n", chosen, 1).encode())

        # The tree's size does not depend on the values, so a first pass sizes it.
        size = (len(tree(0, 0)) + 7) & ~7
        blob = tree(DTB_PA + size, DTB_PA + size + len(archive))
        assert len(blob) <= size
    with open(out, "wb") as f:
        f.write(blob + bytes(size - len(blob)) + archive)


def ram0_variants():
    with open(os.path.join(ROOT, "dts", "test", "ram0.dts")) as f:
        dts = f.read()
    uart16550 = """serial@7e300000 {
			compatible = "snps,dw-apb-uart", "ns16550a";
			reg = <0x7e300000 0x100>;
			reg-shift = <2>;
			reg-io-width = <4>;
			status = "disabled";
		};"""
    assert uart16550 in dts and 'stdout-path = "serial0:115200n8";' in dts
    nest = lambda n: "".join("n%d { " % i for i in range(n)) + "leaf = <1>; " + "}; " * n
    cpus = "".join("cpu@%d { device_type = \"cpu\"; reg = <%d>; status = \"%s\"; };\n" % (
        i, i, "okay" if i % 2 else "ok") for i in range(BI_CPU_MAX + 1))
    ram = " ".join("0x%x 0x100000" % (0x40000000 + 0x200000 * i) for i in range(33))
    edges = dts.replace("\tsoc {", """\tcpus { #address-cells = <1>; #size-cells = <0>;
%s};
	ram@40000000 { device_type = "memory"; reg = <%s>; };
	%s
	soc {""" % (cpus, ram, nest(31))).replace(
        'serial1 = "/soc/serial@7e215040";',
        'serial1 = "/soc/serial@7e215040";\n\t\tdeep = "/%s";' % "/".join(
            "n%d" % i for i in range(33)))
    shim = uart16550.replace('status = "disabled";', "%s")
    console = dts.replace('stdout-path = "serial0:115200n8";',
                          'linux,stdout-path = "/soc/serial@7e300000";')
    # The /cpus and /psci reader's cases, one tree each where one stops the scan.
    def cpus_tree(psci, cpu_nodes):
        return dts.replace("\tsoc {", """\t%s
	cpus { #address-cells = <1>; #size-cells = <0>;
%s	};
	soc {""" % (psci, cpu_nodes))
    cpu = lambda i, props: "\t\tcpu@%d { device_type = \"cpu\"; reg = <%d>; %s };\n" % (i, i, props)
    mixed = "".join([
        cpu(0, 'enable-method = "psci";'),
        cpu(1, 'enable-method = "spin-table"; cpu-release-addr = <0x0 0xe4>;'),
        cpu(2, 'enable-method = "spin-table";'),
        cpu(3, 'enable-method = "spin-table"; cpu-release-addr = <0x0 0x0>;'),
        cpu(4, 'enable-method = "spin-table"; cpu-release-addr = <0x0 0xf0>; status = "fail";'),
        cpu(5, 'enable-method = "acpi-parking";'),
        cpu(6, 'compatible = "riscv";'),
        cpu(7, 'compatible = "arm,cortex-a53";'),
    ])
    return {
        "ram0-cpus-mixed": cpus_tree('psci { compatible = "arm,psci-1.0"; method = "svc"; };', mixed),
        "ram0-cpus-psci-smc": cpus_tree('psci { method = "smc"; };', cpu(0, 'enable-method = "psci";')),
        "ram0-cpus-psci-no-method": cpus_tree("psci { };", cpu(0, 'enable-method = "psci";')),
        "ram0-cpus-two-reg": cpus_tree("", "\t\tcpu@0 { device_type = \"cpu\"; reg = <0 1>; };\n"),
        "ram0-edges": edges,
        "ram0-deep-33": dts.replace("\tsoc {", "\t%s\n\tsoc {" % nest(32)),
        "ram0-console-be": console.replace(uart16550, shim % "big-endian;"),
        "ram0-console-shift": console.replace(uart16550, shim % "").replace(
            "reg-shift = <2>;", "reg-shift = <0 2>;"),
    }


def fix_sum(blob, off, length, at):
    blob[off + at] = 0
    blob[off + at] = -sum(blob[off:off + length]) & 0xff


def acpi_madt(out, grow):
    """QEMU's q35 tables with the MADT moved to the end and changed by `grow`."""
    with open(os.path.join(HERE, "corpus", "acpi", "qemu-q35-smp4.bin"), "rb") as f:
        blob = bytearray(f.read())
    rsdt = struct.unpack_from("<I", blob, 16)[0] - ACPI_PA
    for entry in range(rsdt + 36, rsdt + struct.unpack_from("<I", blob, rsdt + 4)[0], 4):
        madt = struct.unpack_from("<I", blob, entry)[0] - ACPI_PA
        if blob[madt:madt + 4] == b"APIC":
            break
    table = grow(bytearray(blob[madt:madt + struct.unpack_from("<I", blob, madt + 4)[0]]))
    struct.pack_into("<I", table, 4, len(table))
    fix_sum(table, 0, len(table), 9)
    struct.pack_into("<I", blob, entry, ACPI_PA + len(blob))
    fix_sum(blob, rsdt, struct.unpack_from("<I", blob, rsdt + 4)[0], 9)
    with open(out, "wb") as f:
        f.write(blob + table)


def x2apic_entries(count):
    """A `grow` for acpi_madt: `count` local x2APIC entries after the MADT's own."""
    # type 9, length 16, reserved, x2APIC ID, flags (enabled), ACPI processor UID
    return lambda table: table + b"".join(
        struct.pack("<BBHIII", 9, 16, 0, 0x100 + i, 1, 0x100 + i) for i in range(count))


def efi_memmap_seed(out, fixture):
    """A capture-efi.py fixture's memory map with its handoff's descriptor size and
    version in front, the input fuzz_efi_memmap takes."""
    fixtures = os.path.join(ROOT, "tests", "host", "fixtures")
    with open(os.path.join(fixtures, fixture + "-handoff.bin"), "rb") as f:
        handoff = f.read()
    with open(os.path.join(fixtures, fixture + "-memmap.bin"), "rb") as f:
        memmap = f.read()
    desc_size = struct.unpack_from("<Q", handoff, HANDOFF_DESC_SIZE)[0]
    version = struct.unpack_from("<I", handoff, HANDOFF_DESC_VERSION)[0]
    with open(out, "wb") as f:
        f.write(struct.pack("<II", desc_size, version) + memmap)


def newc(name, mode, data=b""):
    """One newc entry as `cpio -o -H newc` writes it (mode, nlink 1, mtime 0)."""
    fields = [0x1234, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"
    head += bytes(-len(head) % 4)
    return head + data + bytes(-len(data) % 4)


def mb2_module(start, end, string):
    tag = struct.pack("<IIII", 3, 16 + len(string) + 1, start, end) + string + b"\0"
    return tag + bytes(-len(tag) % 8)


def mb2_grub(out, tags, badram=False, loader=None):
    """GRUB's 512M structure (tests/host/fixtures) with `tags` before its end tag."""
    with open(os.path.join(ROOT, "tests", "host", "fixtures", "mb2-grub-512m.bin"), "rb") as f:
        blob = bytearray(f.read())
    off = 8
    while struct.unpack_from("<I", blob, off)[0] != 0:  # to the end tag
        kind, size = struct.unpack_from("<II", blob, off)
        if kind == 6 and badram:  # the memory map: its BIOS ROM range becomes bad RAM
            for e in range(off + 16, off + size, struct.unpack_from("<I", blob, off + 8)[0]):
                if struct.unpack_from("<Q", blob, e)[0] == 0xfffc0000:
                    struct.pack_into("<I", blob, e + 16, 5)
        if kind == 2 and loader is not None:  # the loader's name
            name = struct.pack("<II", 2, 8 + len(loader) + 1) + loader + b"\0"
            name += bytes(-len(name) % 8)
            blob[off:off + ((size + 7) & ~7)] = name
            size = len(name)
        off += (size + 7) & ~7
    body = bytes(blob[8:off]) + tags + bytes(blob[off:])
    with open(out, "wb") as f:
        f.write(struct.pack("<II", 8 + len(body), 0) + body)


def mb2_seeds(where):
    # Unnamed modules of 256 bytes in RAM, one more than boot_info holds; GRUB gave three.
    mb2_grub(os.path.join(where, "grub-512m-257-modules.bin"), b"".join(
        mb2_module(0x1000000 + 0x1000 * i, 0x1000100 + 0x1000 * i, b"")
        for i in range(BI_MODULE_MAX + 1 - 3)))
    # Strings with blanks around the name and its arguments, blanks only, none (from the
    # tenth module on: "module10"), and an empty module; the ROM range as bad RAM.
    strings = [b" \t/boot/a.bin  x y \t", b"\t", b"z.bin"] + [b""] * 9
    mb2_grub(os.path.join(where, "grub-512m-module-strings.bin"), b"".join(
        mb2_module(0x1000000 + 0x1000 * i, 0x1000000 + 0x1000 * i + (i != 2) * 0x100, st)
        for i, st in enumerate(strings)), badram=True)
    # One byte more than boot_info holds of a module's name, its arguments, the loader's.
    mb2_grub(os.path.join(where, "grub-512m-long-module-name.bin"),
             mb2_module(0x1000000, 0x1000100, b"/boot/" + b"n" * 256 + b" x"))
    mb2_grub(os.path.join(where, "grub-512m-long-module-args.bin"),
             mb2_module(0x1000000, 0x1000100, b"a.bin " + b"x" * 1024))
    mb2_grub(os.path.join(where, "grub-512m-long-loader.bin"), b"", loader=b"GRUB " + b"g" * 59)


def keel_cfg_long():
    with open(os.path.join(HERE, "corpus", "keel_cfg", "usb-stick.cfg")) as f:
        cfg = f.read()
    args, cmdline = "root=/dev/ram0", "console=ttyS0 keel.verbose quiet"
    assert args in cfg and cmdline in cfg
    grow = lambda s, n: s + " " + "x" * (n - len(s) - 1)
    return {"usb-stick-long-args": cfg.replace(args, grow(args, BI_MOD_CMDLINE_MAX)),
            "usb-stick-long-cmdline": cfg.replace(cmdline, grow(cmdline, BI_CMDLINE_MAX))}


def main():
    fdt_initrd(os.path.join(HERE, "corpus", "fdt", "virt-initrd.dtb"))
    for name, dts in ram0_variants().items():
        with open(os.path.join(HERE, "corpus", "fdt", name + ".dtb"), "wb") as f:
            f.write(run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-"], input=dts.encode()))
    acpi_madt(os.path.join(HERE, "corpus", "acpi", "qemu-q35-x2apic-65.bin"),
              x2apic_entries(65))
    acpi_madt(os.path.join(HERE, "corpus", "acpi", "qemu-q35-x2apic-513.bin"),
              x2apic_entries(BI_CPU_MAX_NOW + 1))
    for seed, fixture in (("aavmf-512m", "aarch64-uefi-512m-smp1"),
                          ("aavmf-4g", "aarch64-uefi-4g-smp4"),
                          ("uboot-efi-512m", "aarch64-uboot-efi-512m-smp1")):
        efi_memmap_seed(os.path.join(HERE, "corpus", "efi_memmap", seed + ".bin"), fixture)
    acpi_madt(os.path.join(HERE, "corpus", "acpi", "qemu-q35-madt-short.bin"),
              lambda table: table[:40])
    for name, cfg in keel_cfg_long().items():
        with open(os.path.join(HERE, "corpus", "keel_cfg", name + ".cfg"), "w") as f:
            f.write(cfg)
    os.makedirs(os.path.join(HERE, "corpus", "mb2"), exist_ok=True)
    mb2_seeds(os.path.join(HERE, "corpus", "mb2"))
    with open(os.path.join(HERE, "corpus", "cpio", "name-dot-slash.cpio"), "wb") as f:
        f.write(newc(b"./", 0o100644, b"data") + newc(b"TRAILER!!!", 0))


if __name__ == "__main__":
    main()

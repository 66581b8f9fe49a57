#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes a corrupt DTB that QEMU still accepts for -dtb: QEMU's own DTB for the virt
board (of qemu-system-aarch64 or qemu-system-riscv64, whichever QEMU is given), dumped
with dumpdtb, then damaged in a way QEMU's libfdt load does not check.

  make_bad_dtb.py QEMU KIND OUT     KIND: nameoff | memreserve-wrap | fb-overflow | qemu-segv
                                         | uart-on-gic | uart-in-hole | ns16550-on-gic
                                         | no-cpus | cpu-bad-mpidr | no-console
                                         | pl011-in-riscv-hole | sv39
                                         | pci-window-on-ram | sv39-128g

pci-window-on-ram moves the PCIe host bridge's 32-bit memory window (bus = CPU address)
onto RAM at 0x80000000, where a BAR must never be placed.

sv39 is not corrupt but odd: dumped at -smp 4, with every cpu's mmu-type "riscv,sv39"
in place of QEMU's "riscv,sv48", the tree of a board whose harts have no Sv48.
sv39-128g is the same tree of one hart dumped with 128 GiB of RAM (backed by a sparse
file, as `keel run --memory 128G` does), more than Sv39's direct map can hold.

cpu-bad-mpidr is dumped at -smp 2, and the second cpu node's reg made an MPIDR (on
riscv64 a hart id) no CPU has (0x77).

fb-overflow adds a simple-framebuffer node whose stride is shorter than a row of pixels:
the tree stays valid, the record is bad (dtc decompiles, edits and recompiles it). The
uart-* and ns16550-* kinds add a UART node that /chosen/stdout-path names, whose reg is
another device (the GIC distributor at 0x8000000) or nothing at all (0x20000000, in the
PCIe window with no device behind it).
"""

import os
import shutil
import struct
import subprocess
import sys
import tempfile

FDT_PROP = 3


def uart(name, compatible, base):
    return ('\t%s@%x {\n\t\tcompatible = %s;\n\t\treg = <0x00 0x%x 0x00 0x1000>;\n'
            '\t\tclock-names = "uartclk", "apb_pclk";\n\t};\n' % (name, base, compatible, base))


# Tree edits made through dtc: (a node added under the root, the stdout-path or None).
EDITS = {
    "fb-overflow": ('\tframebuffer@10000000 {\n\t\tcompatible = "simple-framebuffer";\n'
                    '\t\treg = <0x00 0x10000000 0x00 0x300000>;\n\t\twidth = <0x400>;\n'
                    '\t\theight = <0x300>;\n\t\tstride = <0x10>;\n'
                    '\t\tformat = "x8r8g8b8";\n\t};\n', None),
    "uart-on-gic": (uart("pl011", '"arm,pl011", "arm,primecell"', 0x8000000), "/pl011@8000000"),
    "uart-in-hole": (uart("pl011", '"arm,pl011", "arm,primecell"', 0x20000000),
                     "/pl011@20000000"),
    "ns16550-on-gic": (uart("serial", '"ns16550a"', 0x8000000), "/serial@8000000"),
    # riscv64: nothing at 0x9000000 on QEMU's riscv virt board (an access faults there).
    # A PL011, which OpenSBI has no driver for: it keeps its own console, and only Keel
    # takes the DTB's word.
    "pl011-in-riscv-hole": (uart("pl011", '"arm,pl011", "arm,primecell"', 0x9000000),
                            "/pl011@9000000"),
}


# The CPU each QEMU's virt board is dumped with: the targets' own.
CPUS = {"qemu-system-aarch64": "cortex-a72", "qemu-system-riscv64": "rv64"}


def main():
    qemu, kind, out = sys.argv[1:4]
    tmp = tempfile.mkdtemp()
    dumped = os.path.join(tmp, "virt.dtb")
    smp = {"cpu-bad-mpidr": ["-smp", "2"], "sv39": ["-smp", "4"]}.get(kind, [])
    memory = ["-m", "512M"]
    if kind == "sv39-128g":
        ram = os.path.join(tmp, "ram")
        with open(ram, "wb") as f:
            f.truncate(128 << 30)
        memory = ["-m", "128G", "-object", "memory-backend-file,id=ram,size=128G,mem-path=%s,"
                  "share=on" % ram, "-machine", "memory-backend=ram"]
    subprocess.run([qemu, "-M", "virt,dumpdtb=" + dumped, "-cpu", CPUS[os.path.basename(qemu)],
                    "-display", "none"] + memory + smp, check=True,
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
    elif kind == "qemu-segv":
        # An off_mem_rsvmap far past the blob: QEMU 7.2's -dtb load itself crashes on it,
        # which is what `keel run` must report as QEMU's death, not as a kernel exit code.
        d[16:20] = struct.pack(">I", 0xfffff000)
    elif kind == "no-cpus":
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        start = dts.index("\tcpus {")
        end = dts.index("\n\t};\n", start) + len("\n\t};\n")
        d = bytearray(subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], check=True,
                                     input=(dts[:start] + dts[end:]).encode(),
                                     stdout=subprocess.PIPE).stdout)
    elif kind == "cpu-bad-mpidr":
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        reg = dts.index("reg = <0x01>;", dts.index("cpu@1 {"))
        dts = dts[:reg] + "reg = <0x77>;" + dts[reg + len("reg = <0x01>;"):]
        d = bytearray(subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], check=True,
                                     input=dts.encode(), stdout=subprocess.PIPE).stdout)
    elif kind in ("sv39", "sv39-128g"):
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        if dts.count('mmu-type = "riscv,sv48";') != (4 if kind == "sv39" else 1):
            sys.exit("%s: QEMU's tree does not have the Sv48 harts it was dumped with" % kind)
        dts = dts.replace('mmu-type = "riscv,sv48";', 'mmu-type = "riscv,sv39";')
        d = bytearray(subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], check=True,
                                     input=dts.encode(), stdout=subprocess.PIPE).stdout)
    elif kind == "pci-window-on-ram":
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        window = "0x2000000 0x00 0x40000000 0x00 0x40000000 0x00 0x40000000"
        if dts.count(window) != 1:
            sys.exit("pci-window-on-ram: QEMU's tree does not have the expected window")
        dts = dts.replace(window, "0x2000000 0x00 0x80000000 0x00 0x80000000 0x00 0x40000000")
        d = bytearray(subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], check=True,
                                     input=dts.encode(), stdout=subprocess.PIPE).stdout)
    elif kind == "no-console":
        # No stdout-path, no serial0 alias and a root compatible no board row knows: no
        # UART to start, so the console falls back to the firmware's (riscv64: the SBI's).
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        dts = "".join(l + "\n" for l in dts.splitlines()
                      if "stdout-path" not in l and "serial0 = " not in l)
        dts = dts.replace('compatible = "riscv-virtio";', 'compatible = "keel,no-such-board";', 1)
        d = bytearray(subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], check=True,
                                     input=dts.encode(), stdout=subprocess.PIPE).stdout)
    elif kind in EDITS:
        dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", dumped], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        node, stdout = EDITS[kind]
        if stdout:
            start = dts.index("\tchosen {")
            end = dts.index("\t};", start)
            chosen = "".join(l + "\n" for l in dts[start:end].splitlines()
                             if "stdout-path" not in l)
            dts = dts[:start] + chosen + '\t\tstdout-path = "%s";\n' % stdout + dts[end:]
        dts = dts[:dts.rindex("};")] + node + "};\n"
        d = bytearray(subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb"], check=True,
                                     input=dts.encode(), stdout=subprocess.PIPE).stdout)
    else:
        sys.exit("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(d)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What TCG does for each stage of the boot timeline, up to kernel_main (docs/performance.md).

    python3 bench/tcg_stages.py [TARGET] [--no-fb]

Boots Keel's example (the gcc build, built first) twice with QEMU's logs on: `-d in_asm`,
every translation block as it is translated, and `-d exec,nochain`, every block as it runs.
Then prints, per stage of the report's timeline (the stage a block belongs to is the one
whose timeline_mark() call comes next): the blocks translated, the guest instructions in
them and the block executions. Under TCG a boot pays for the first two once per block (the
translation, about 3 us per block plus about 1 us per instruction on the shared 2-core VM
of docs/performance.md) and for the third every time a block runs. Counts, not times: they
do not depend on the machine's load.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))

from keel.build import image_path, setup_and_build  # noqa: E402
from keel.qemu import BootOptions, qemu_command  # noqa: E402
from keel.bench import report_of  # noqa: E402
from keel.targets import TARGETS  # noqa: E402

NM = {"aarch64": "aarch64-linux-gnu-nm", "x86_64": "nm"}


def symbols(elf, arch):
    """(address, name) of every text symbol, sorted."""
    out = subprocess.run([NM[arch], "-n", elf], capture_output=True, text=True, check=True)
    syms = []
    for line in out.stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    return syms


def block_sizes(in_asm):
    """Guest instructions per translated block, by the block's first address."""
    sizes, start = {}, None
    with open(in_asm, errors="replace") as f:
        for line in f:
            m = re.match(r"0x([0-9a-f]+):", line)
            if m:
                if start is None:
                    start = int(m.group(1), 16)
                    sizes[start] = 0
                sizes[start] += 1
            else:
                start = None
    return sizes


def main(argv):
    no_fb = "--no-fb" in argv
    names = [a for a in argv if not a.startswith("--")]
    target = TARGETS[names[0] if names else "aarch64-virt"]
    if target.arch != "aarch64":
        print("keel: error: only the aarch64 targets (the ELF beside the Image)", file=sys.stderr)
        return 64
    bdir = setup_and_build(target.arch, out=open(os.devnull, "w"))
    elf = os.path.splitext(image_path(bdir, target.arch))[0] + ".elf"
    syms = symbols(elf, target.arch)
    starts = [a for a, _ in syms]
    by_name = {n: a for a, n in syms}
    text_lo = starts[0]

    # A plain boot first: the stage names, in timeline order, and where the image was loaded.
    with tempfile.TemporaryDirectory(prefix="keel-tcg-") as work:
        out = subprocess.run(qemu_command(target, bdir, BootOptions(no_fb=no_fb), work),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=300).stdout
    report = report_of(out)
    if report is None:
        print("keel: error: %s gave no report" % target.name, file=sys.stderr)
        return 1
    marks = [t["stage"] for t in report["timeline"]][1:]  # "entry" is no timeline_mark call
    kernel = [r for r in report["memory"] if r["type"] == "kernel"][0]
    load, load_end = int(kernel["base"], 16), int(kernel["base"], 16) + int(kernel["size"], 16)

    with tempfile.TemporaryDirectory(prefix="keel-tcg-") as work:
        logs = {}
        for what in ("in_asm", "exec,nochain"):
            log = os.path.join(work, what.split(",")[0] + ".log")
            opts = BootOptions(no_fb=no_fb, extra=["-d", what, "-D", log])
            subprocess.run(qemu_command(target, bdir, opts, work), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            logs[what] = log
        sizes = block_sizes(logs["in_asm"])

        # Blocks that ran at the load address before the MMU was on count at the link address.
        stages = [[0, 0, 0]]
        seen = set()
        with open(logs["exec,nochain"], errors="replace") as f:
            for line in f:
                if not line.startswith("Trace"):
                    continue
                fields = line.split("[")[1].split("/")
                pc = int(fields[1], 16)
                va = pc - load + text_lo if load <= pc < load_end else pc
                if va == by_name["kernel_main"]:
                    break
                if va == by_name["timeline_mark"]:
                    stages.append([0, 0, 0])
                row = stages[-1]
                row[2] += 1
                if (pc, fields[2]) not in seen:
                    seen.add((pc, fields[2]))
                    row[0] += 1
                    row[1] += sizes.get(pc, 0)

    print("%s%s, up to kernel_main:" % (target.name, " --no-fb" if no_fb else ""))
    print("%-14s %8s %8s %10s" % ("stage", "blocks", "insns", "executed"))
    total = [0, 0, 0]
    for i, row in enumerate(stages):
        # Each row ends at its stage's mark; the last one at kernel_main's first block.
        name = marks[i] if i < len(stages) - 1 and i < len(marks) else "-> kernel_main"
        print("%-14s %8d %8d %10d" % (name, row[0], row[1], row[2]))
        total = [t + r for t, r in zip(total, row)]
    print("%-14s %8d %8d %10d" % ("total", total[0], total[1], total[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The CPU time QEMU's vCPU thread spends up to kernel_main (docs/performance.md).

    python3 bench/vcpu_time.py [TARGET] [--no-fb] [--runs N] [--kernel IMAGE]...

Boots the example (the gcc build) with keel.fault=trap, which ends the boot with an
exception right after the kernel_main line, and the null kernel, N times each (default
15), alternating, each under `perf record -e task-clock -F 20000`; the vCPU thread's
samples are 50 us of CPU each. Prints their minimum and median in milliseconds. Each
--kernel IMAGE (an arm64 Image built on Keel, e.g. another tree's) joins the rotation.
CPU time, unlike the wall-clock figures of `keel bench`, does not count the time the
thread waited for a CPU, so it moves far less with the machine's load. Needs perf(1).
"""

import collections
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))

from keel.build import image_path, setup_and_build  # noqa: E402
from keel.qemu import BootOptions, qemu_command  # noqa: E402
from keel.targets import TARGETS  # noqa: E402

SAMPLE_HZ = 20000


def vcpu_ms(cmd, work):
    """The vCPU thread's CPU time in one boot: the busiest thread other than the main one."""
    data = os.path.join(work, "perf.data")
    subprocess.run(["perf", "record", "-q", "-F", str(SAMPLE_HZ), "-e", "task-clock",
                    "-o", data, "--"] + cmd, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    out = subprocess.run(["perf", "script", "-i", data, "-F", "tid"], capture_output=True,
                         text=True).stdout
    per_tid = collections.Counter(int(line) for line in out.split() if line.isdigit())
    main_tid = min(per_tid)
    return max(n for tid, n in per_tid.items() if tid != main_tid) * 1000.0 / SAMPLE_HZ


def main(argv):
    no_fb, runs, kernels, names = False, 15, [], []
    args = iter(argv)
    for a in args:
        if a == "--no-fb":
            no_fb = True
        elif a == "--runs":
            runs = int(next(args))
        elif a == "--kernel":
            kernels.append(next(args))
        else:
            names.append(a)
    target = TARGETS[names[0] if names else "aarch64-virt"]
    bdir = setup_and_build(target.arch, out=open(os.devnull, "w"))
    images = [("example", image_path(bdir, target.arch)), ("null", None)]
    images += [(k, os.path.abspath(k)) for k in kernels]
    times = {name: [] for name, _ in images}
    with tempfile.TemporaryDirectory(prefix="keel-vcpu-") as work:
        for _ in range(runs):
            for name, image in images:
                opts = BootOptions(no_fb=no_fb, null=image is None, kernel=image,
                                   cmdline="" if image is None else "keel.fault=trap")
                times[name].append(vcpu_ms(qemu_command(target, bdir, opts, work), work))
    print("%s%s, vCPU thread's CPU time to the kernel's first line, %d runs:"
          % (target.name, " --no-fb" if no_fb else "", runs))
    for name, _ in images:
        print("  %-40s min %6.2f ms  median %6.2f ms"
              % (name, min(times[name]), statistics.median(times[name])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

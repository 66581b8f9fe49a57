# SPDX-License-Identifier: MIT
"""Boot-time figures (docs/performance.md): `keel run` beside the null kernel, the boot
report's timeline, and the memory sequence's stages at two sizes of RAM."""

import json
import os
import statistics
import subprocess
import sys
import time

from . import KEEL_SCRIPT, fail
from .build import setup_and_build
from .qemu import BootOptions, boot
from .targets import ARCHES, TARGETS, targets_of


def report_of(text):
    for line in text.splitlines():
        if line.startswith("KEEL-REPORT "):
            return json.loads(line[len("KEEL-REPORT "):])
    return None


def report_timeline(text):
    """The report's timeline as {stage: milliseconds since entry}, or {} without a report."""
    r = report_of(text)
    if r is None:
        return {}
    hz = r["ticks_per_second"] or 1
    return {t["stage"]: t["ticks"] * 1000.0 / hz for t in r["timeline"]}


def bench_mm(runs):
    """Ticks of each memory-sequence stage at -m 128M and -m 16G, and their ratio.

    Boots the main target of each arch (the first of its arch in the table), by name.
    """
    print("%-14s %-13s %12s %12s %7s" % ("target", "stage", "128M ticks", "16G ticks", "ratio"))
    for target in sorted((targets_of(arch)[0] for arch in ARCHES), key=lambda t: t.name):
        name = target.name
        bdir = setup_and_build(target.arch)
        per_mem = {}
        for memory in ("128M", "16G"):
            stages = {}
            for _ in range(runs):
                code, text, status = boot(target, bdir, BootOptions(memory=memory),
                                          out=open(os.devnull, "w"))
                r = report_of(text)
                if code != 0 or r is None:
                    fail("%s at %s did not boot (%s)" % (name, memory, status))
                marks = [(t["stage"], t["ticks"]) for t in r["timeline"]]
                for (_, prev), (stage, ticks) in zip(marks, marks[1:]):
                    if stage.startswith("mm."):
                        stages.setdefault(stage, []).append(ticks - prev)
            per_mem[memory] = {k: statistics.median(v) for k, v in stages.items()}
        small, large = per_mem["128M"], per_mem["16G"]
        for stage in list(small) + ["mm (all)"]:
            a = sum(small.values()) if stage == "mm (all)" else small[stage]
            b = sum(large.values()) if stage == "mm (all)" else large[stage]
            print("%-14s %-13s %12d %12d %7.2f" % (name, stage, a, b, b / max(a, 1)), flush=True)


def bench_boot(names, runs, no_fb):
    """The wall time of `keel run TARGET` beside the null kernel's, and the timeline."""
    rows = []
    for name in names:
        target = TARGETS[name]
        bdir = setup_and_build(target.arch)
        times = {False: [], True: []}
        stages = {}
        # Keel and null runs alternate, so that drift in the machine's load hits both.
        for _ in range(runs):
            for null in (False, True):
                cmd = [sys.executable, KEEL_SCRIPT, "run", name, "--build-dir", bdir]
                cmd += ["--no-fb"] if no_fb else []
                t0 = time.monotonic()
                proc = subprocess.run(cmd + (["--null"] if null else []), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                times[null].append(time.monotonic() - t0)
                if proc.returncode != 0:
                    fail("%s%s exited with %d" % (name, " --null" if null else "",
                                                  proc.returncode))
                for stage, ms in report_timeline(proc.stdout.decode()).items():
                    stages.setdefault(stage, []).append(ms)
        k, n = statistics.median(times[False]), statistics.median(times[True])
        rows.append((name, k, n, {s: statistics.median(v) for s, v in stages.items()}))
    print("%-16s %9s %9s %7s  %s" % ("target", "keel s", "null s", "ratio",
                                     "timeline (median ms since entry)"))
    for name, k, n, st in rows:
        print("%-16s %9.3f %9.3f %7.2f  %s" % (name, k, n, k / n, ", ".join(
            "%s %.2f" % (s, ms) for s, ms in st.items())))

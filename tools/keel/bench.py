# SPDX-License-Identifier: MIT
"""Boot-time figures (docs/performance.md): `keel run` beside the null kernel, the boot
report's timeline, and the memory sequence's stages at two sizes of RAM."""

import json
import os
import statistics
import subprocess
import tempfile
import time

from . import fail
from .build import setup_and_build
from .qemu import BootOptions, TerminalAnswers, boot, qemu_command
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


# The serial lines the bench times: the example kernel's first, printed on entry to
# kernel_main (example/kernel.c), and the null kernel's only one (bench/ARCH/null.S).
KERNEL_MAIN_LINE = "keel-example: kernel_main"
NULL_LINE = "keel-null: hello"


def timed_boot(cmd, line, answers=()):
    """Runs one QEMU command; returns (seconds to `line` on serial, seconds to the end of
    the process, the output), the clock started just before QEMU is. `answers` are the
    target's terminal_answers, written to QEMU's serial stdin as `keel run` does."""
    responder = TerminalAnswers(answers)
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if answers else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    t_line, out, partial = None, [], b""
    while True:
        # Whatever has arrived, not whole lines: a terminal query ends in no newline.
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        responder.send(proc, chunk)
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        for raw in lines:
            text = raw.decode("utf-8", "replace").rstrip("\r")
            # A firmware's console may leave escape sequences before the line on the same row.
            if t_line is None and text.endswith(line):
                t_line = time.monotonic() - t0
            out.append(text)
    if partial:
        out.append(partial.decode("utf-8", "replace").rstrip("\r"))
    status = proc.wait()
    t_end = time.monotonic() - t0
    if proc.stdin is not None:
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
    if t_line is None or status not in (0, 1):  # x86_64's isa-debug-exit makes 0 into 1
        fail("%s: no %r line, or QEMU's status %d" % (cmd[0], line, status))
    return t_line, t_end, "\n".join(out)


def bench_boot(names, runs, no_fb, no_answers=False, smp=1):
    """QEMU alone, Keel's example beside the null kernel: the time to each one's first
    kernel line and to the end of the process, and the report's timeline.

    Each boot's files (an ISO, a cpio, a U-Boot environment) are made before the clock
    starts; the two kernels' runs alternate, so that drift in the machine's load hits
    both. Figures only: nothing is asserted on time.
    """
    rows = []
    for name in names:
        target = TARGETS[name]
        bdir = setup_and_build(target.arch)
        samples = {False: [], True: []}  # null?: [(line s, end s)]
        stages = {}
        with tempfile.TemporaryDirectory(prefix="keel-bench-") as work:
            cmds = {}
            for null in (False, True):
                os.makedirs(os.path.join(work, str(null)))
                cmds[null] = qemu_command(target, bdir, BootOptions(null=null, no_fb=no_fb, smp=smp),
                                          os.path.join(work, str(null)))
            for _ in range(runs):
                for null in (False, True):
                    t_line, t_end, out = timed_boot(
                        cmds[null], NULL_LINE if null else KERNEL_MAIN_LINE,
                        () if no_answers else target.terminal_answers)
                    samples[null].append((t_line, t_end))
                    for stage, ms in ({} if null else report_timeline(out)).items():
                        stages.setdefault(stage, []).append(ms)
        med = {null: [statistics.median(s[i] for s in samples[null]) for i in (0, 1)]
               for null in samples}
        rows.append((name, med[False], med[True],
                     {s: statistics.median(v) for s, v in stages.items()}))
    print("%-14s %8s %8s %6s %9s %9s %6s %8s  %s" % (
        "target", "keel s", "null s", "ratio", "keel line", "null line", "ratio", "gap ms",
        "timeline (median ms since entry)"))
    for name, (kl, ke), (nl, ne), st in rows:
        print("%-14s %8.3f %8.3f %6.2f %9.3f %9.3f %6.2f %8.1f  %s" % (
            name, ke, ne, ke / ne, kl, nl, kl / nl, (kl - nl) * 1000, ", ".join(
                "%s %.2f" % (s, ms) for s, ms in st.items())))

# SPDX-License-Identifier: MIT
"""The QEMU tests of one arch, made from the targets table; tests/qemu/meson.build reads
them at configure time:

  python3 -m keel.qemu_tests ARCH      (with tools/ on PYTHONPATH)

prints one line per test, its fields separated by tabs:

  test  NAME  TIMEOUT  SUITE  SCRIPT  TARGET  ARGS...

SCRIPT is boot (tests/qemu/boot_test.py), screen (screen_test.py) or hello
(hello_test.py: examples/hello/README.md's steps, out of the tree), run as
`SCRIPT KEEL BUILD_DIR TARGET ARGS...`. An argument @NAME@ is a file the build makes
(tests/qemu/meson.build declares them by that name); the test depends on it and on the
kernel image. Lines `source  PATH` name the files the list is made from, so that Meson
configures again when one of them changes.
"""

import os
import sys

from .targets import EXIT_BAD_INPUT, SMP_ARCH_VARIANTS, TARGETS, generated, targets_of

TIMEOUT = 300

# The exit code of an mm.audit refusal, a page table that Keel built and refuses to use:
# an invariant of Keel's own, so KEEL_EXIT_PANIC, not the bad-input code.
AUDIT_EXIT = 3

# The memory sequence's faults: each is caught, named in one line, with its own code.
MM_FAULTS = [
    ("write-rodata", "keel: fault: write to read-only page", 10),
    ("exec-data", "keel: fault: execute from non-executable page", 11),
    ("stack-overflow", "guard page (stack overflow)", 12),
    ("use-after-reclaim", "keel: fault: read of reclaimed boot-info page", 13),
    ("use-identity", "keel: fault: read of dropped identity mapping", 15),
    ("audit-wx", "keel: error: mm.audit: page table audit: a page is writable and executable",
     AUDIT_EXIT),
    ("audit-guard", "keel: error: mm.audit: page table audit: a stack guard page is mapped",
     AUDIT_EXIT),
    ("audit-identity",
     "keel: error: mm.audit: page table audit: an identity mapping is not on", AUDIT_EXIT),
    ("audit-drop",
     "keel: error: drop: page table audit: an identity mapping is not on", AUDIT_EXIT),
]

EXIT_EXCEPTION = 4  # KEEL_EXIT_EXCEPTION

# The faults of a secondary CPU, -smp 2: each line names the CPU as well as the page.
SMP_FAULTS = [
    ("ap-stack-overflow", ["guard page (stack overflow)", ") on cpu 1"], 12, 2),
    # Every CPU overflows at once: the faults meet in the handler (fault_enter), one is
    # reported and its code is the exit's; the others wait for that exit.
    ("all-stack-overflow", ["guard page (stack overflow)"], 12, 4),
]


class Test:
    def __init__(self, name, target, args, script="boot", timeout=TIMEOUT, suite="qemu"):
        self.name, self.target, self.args = name, target, list(args)
        self.script, self.timeout, self.suite = script, timeout, suite

    def line(self):
        fields = ["test", self.name, str(self.timeout), self.suite, self.script,
                  self.target.name] + self.args
        assert not any(c in f for f in fields for c in "\t\n"), fields
        return "\t".join(fields)


def expect_failure(line, code):
    """boot_test.py arguments of a boot that must end in one line and an exit code; `line`
    is a text the line contains, or a list of texts it contains all of."""
    lines = [line] if isinstance(line, str) else line
    return sum((["--expect-line", l] for l in lines), []) + ["--expect-code", str(code)]


def tests_of(arch):
    targets = targets_of(arch)
    main = targets[0]
    tests = []
    # Every target boots at three sizes of RAM and its report is checked (64G is more than
    # the machines here have: `keel run` backs it with a sparse file), and with a command
    # line of about 3.6 KB (Linux takes 2 KiB; loaders pass more), which must arrive whole.
    for t in targets:
        for memory in ("512M", "4G", "64G"):
            if "boot-" + memory in t.per_target:
                tests.append(Test("boot-%s-%s" % (t.name, memory), t, ["--memory", memory]))
        if "long-cmdline" in t.per_target:
            tests.append(Test("boot-%s-long-cmdline" % t.name, t, ["--cmdline-words", "600"]))
    # Secondary CPUs: each row's -smp sizes (its `smp` field), then -smp 8 and the arch's
    # machine variants on the first row, as long as that row starts CPUs at all.
    for t in targets:
        for n in t.smp:
            tests.append(Test("boot-%s-smp%d" % (t.name, n), t, ["--smp", str(n), "--no-fb"]))
    if main.smp:
        tests.append(Test("boot-%s-smp8" % main.name, main, ["--smp", "8", "--no-fb"]))
        for suffix, qemu_args in SMP_ARCH_VARIANTS.get(arch, ()):
            tests.append(Test("boot-%s-smp4-%s" % (main.name, suffix), main,
                              ["--smp", "4", "--no-fb", "--"] + qemu_args))
    # One too long for the boot_info is refused in one line that says how long it was.
    tests.append(Test("bad-cmdline-%s" % main.name, main, ["--cmdline-words", "700"] + expect_failure(
        "cmdline: the kernel command line is too long: 'keel-test w0000 w0001 w0...' is 4209 "
        "bytes, the limit is 4095", EXIT_BAD_INPUT)))
    # The framebuffer console: QEMU's screen after the report equals the host rendering of
    # the same text by the same console code; and without a framebuffer, serial only.
    for t in targets:
        if "screen" in t.per_target:
            tests.append(Test("screen-%s" % t.name, t, [generated("fbcon-render")], "screen"))
        if "no-fb" in t.per_target:
            tests.append(Test("boot-%s-no-fb" % t.name, t, ["--no-fb"]))
    # An unexpected exception (an undefined instruction) is reported in one line.
    tests.append(Test("exception-%s" % main.name, main, ["--cmdline", "keel.fault=trap"]
                      + expect_failure("keel: exception: ", EXIT_EXCEPTION)))
    for t in targets:
        for kind, line, code in MM_FAULTS:
            if t is main or kind in t.faults:
                tests.append(Test("fault-%s-%s" % (t.name, kind), t,
                                  ["--cmdline", "keel.fault=" + kind] + expect_failure(line, code)))
    # A secondary CPU's fault, on the first row of an arch that starts CPUs: the line
    # names the CPU (it ends "on cpu 1").
    if main.smp:
        for kind, line, code, cpus in SMP_FAULTS:
            tests.append(Test("fault-%s-%s" % (main.name, kind), main,
                              ["--smp", str(cpus), "--no-fb", "--cmdline", "keel.fault=" + kind]
                              + expect_failure(line, code)))
    # Every allocation of the memory sequence, made to fail in turn (keel.fail_alloc=N),
    # at -smp 2 where the target starts CPUs, so that the start stage's allocations (the
    # per-CPU area, its stacks, the arch's) are among them.
    def sweep_smp(t):
        return ["--smp", "2"] if 2 in t.smp else []
    tests.append(Test("fail-alloc-%s" % main.name, main, ["--fail-alloc-sweep"] + sweep_smp(main),
                      timeout=900))
    # Every other target: the first, a middle and the last allocation (its loader hands
    # the sequence a different map; a whole sweep per target would cost too many boots).
    for t in targets[1:]:
        tests.append(Test("fail-alloc-%s" % t.name, t, ["--fail-alloc-sweep", "--fail-alloc-sample",
                                                        "3"] + sweep_smp(t), timeout=900))
    # A kernel outside the tree on Keel as a subproject: examples/hello's README, run.
    tests.append(Test("hello-%s" % main.name, main, [], "hello", timeout=600))
    # Every door of the arch, given the same modules and command line, hands the kernel
    # the same ones (names, sizes, CRC-32s, and arguments where every door passes them:
    # a cpio initrd has none, so on aarch64 the modules are given none).
    doors = targets
    if len(doors) > 1:
        no_args = [] if all(t.module_args for t in doors) else ["--no-module-args"]
        tests.append(Test("same-handover-%s" % arch, doors[0],
                          no_args + [t.name for t in doors[1:]], "doors", timeout=600))
    for t in targets:
        for name, args in t.tests:
            tests.append(Test(name.format(target=t.name), t, args))
    return tests


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: python3 -m keel.qemu_tests ARCH")
    for test in tests_of(argv[0]):
        print(test.line())
    package = os.path.dirname(os.path.abspath(__file__))
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and os.path.dirname(os.path.abspath(path)) == package:
            print("source\t" + os.path.abspath(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

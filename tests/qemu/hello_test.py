#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs examples/hello/README.md's steps for one target, as a user would, in a temporary
directory outside the tree, and checks what the kernel printed.

  hello_test.py KEEL BUILD_DIR TARGET COMPILER

The README's shell lines are run as written from the root of the checkout, with two
changes: `../hello` is the temporary directory's copy, and COMPILER clang takes
cross/ARCH-clang.ini where the README says -gcc.ini.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from keel.targets import TARGETS  # noqa: E402
from boot_test import check  # noqa: E402  (this directory's boot test: one check line)

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
README = os.path.join(ROOT, "examples", "hello", "README.md")


def readme_blocks():
    """The README's ```sh blocks, each a list of command lines."""
    with open(README) as f:
        text = f.read()
    return [b.strip().splitlines() for b in re.findall(r"```sh\n(.*?)```", text, re.S)]


def steps_for(arch):
    """The copy step, then the block that builds with cross/ARCH-gcc.ini."""
    blocks = readme_blocks()
    copy = [b for b in blocks if any(l.startswith("cp -r examples/hello") for l in b)]
    build = [b for b in blocks if any("cross/%s-gcc.ini" % arch in l for l in b)]
    if len(copy) != 1 or len(build) != 1:
        sys.exit("FAIL: README.md has no single copy step and %s block" % arch)
    return copy[0] + build[0]


def main():
    keel, _build_dir, target_name, compiler = sys.argv[1:5]
    target = TARGETS[target_name]
    failures = []
    with tempfile.TemporaryDirectory(prefix="keel-hello-") as tmp:
        out = ""
        for line in steps_for(target.arch):
            line = line.replace("../hello", os.path.join(tmp, "hello"))
            line = line.replace("-gcc.ini", "-%s.ini" % compiler)
            if line.startswith("./keel "):
                line = line.replace("./keel ", keel + " ", 1)
            print("$ " + line, flush=True)
            proc = subprocess.run(["bash", "-e", "-c", line], cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out = proc.stdout.decode("utf-8", "replace")
            print(out)
            check(proc.returncode == 0, "exit status 0 (got %d)" % proc.returncode, failures)
            if proc.returncode != 0:
                break
        run = steps_for(target.arch)[-1]
        check(target_name in run.split(), "the README boots %s" % target_name, failures)
        cmdline = re.search(r'--cmdline "([^"]*)"', run)
        module = re.search(r"--module (\S+)", run)
        lines = out.splitlines()
        check("hello from an external kernel" in lines, "the hello line", failures)
        check(cmdline is not None and "hello: command line '%s'" % cmdline.group(1) in lines,
              "the command line came through", failures)
        if module:
            path = os.path.join(ROOT, module.group(1))
            want = "hello: module %s, %d bytes" % (os.path.basename(path), os.path.getsize(path))
            check(want in lines, "the module's name and size (%s)" % want, failures)
        else:
            check(False, "the README passes a module", failures)
        check(any(re.fullmatch(r"hello: [1-9][0-9]* KiB of memory free", l) for l in lines),
              "the free memory", failures)
        check(not any(l.startswith("keel:   ") for l in lines),
              "a quiet boot: the framework printed no memory map", failures)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

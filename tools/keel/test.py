# SPDX-License-Identifier: MIT
"""`keel test`: the clang-format check, then every build and its tests, and one closing
'N passed, N failed' line."""

import json
import os
import subprocess
import time

from . import ROOT, say
from .build import COMPILERS, build_dir, setup_and_build
from .targets import ARCHES


def check_format():
    """clang-format over every C source and header git knows; True when none would change."""
    files = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=ROOT, check=True,
                           stdout=subprocess.PIPE).stdout.decode().split()
    proc = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files, cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        bad = sorted({l.split(":")[0] for l in proc.stdout.decode().splitlines()
                      if ": error: " in l})
        say("keel: clang-format would change: " + " ".join(bad))
        say("keel: fix with: clang-format -i " + " ".join(bad))
        return False
    return True


def meson_outcomes(bdir):
    """{result: count} of the last `meson test` run in bdir, from its JSON log."""
    counts = {}
    try:
        with open(os.path.join(bdir, "meson-logs", "testlog.json")) as f:
            for line in f:
                result = json.loads(line).get("result", "ERROR")
                counts[result] = counts.get(result, 0) + 1
    except OSError:
        counts["ERROR"] = 1
    return counts


def run_tests(meson_args):
    """Builds every arch with every compiler and runs the tests; returns the exit code."""
    started = time.monotonic()
    results = [("format", 0 if check_format() else 1)]
    counts = {"OK" if results[0][1] == 0 else "FAIL": 1}
    for arch in ARCHES:
        for compiler in COMPILERS:
            say("keel: building %s with %s" % (arch, compiler))
            setup_and_build(arch, compiler)
    # Every suite runs in the gcc build of each arch. The clang builds boot too (the
    # qemu suite); their host-side code is the same native build, tested once.
    for arch in ARCHES:
        for compiler in COMPILERS:
            suites = [] if compiler == "gcc" else ["--suite", "qemu"]
            if meson_args and compiler != "gcc":
                continue
            say("keel: testing %s built with %s" % (arch, compiler))
            rc = subprocess.run(["meson", "test", "-C", build_dir(arch, compiler),
                                 "--print-errorlogs", "--num-processes", "2"]
                                + suites + meson_args).returncode
            results.append(("%s-%s" % (arch, compiler), rc))
            for outcome, n in meson_outcomes(build_dir(arch, compiler)).items():
                counts[outcome] = counts.get(outcome, 0) + n
    say("keel: tests took %.0f s" % (time.monotonic() - started))
    passed = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
    failed = sum(n for k, n in counts.items() if k not in ("OK", "EXPECTEDFAIL", "SKIP"))
    print("keel: %d passed, %d failed, %d skipped" % (passed, failed, counts.get("SKIP", 0)),
          flush=True)
    bad = [arch for arch, rc in results if rc != 0]
    if bad:
        say("keel: failures in " + ", ".join(bad))
        return 1
    return 0

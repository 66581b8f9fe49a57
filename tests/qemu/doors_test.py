#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots several targets of one arch with the same modules and command line, and checks
that every one hands the kernel the same thing: the command line, and each module's
name, size, CRC-32 and arguments, in order.

  doors_test.py KEEL BUILD_DIR TARGET [--no-module-args] TARGET...

--no-module-args gives the modules no arguments, for an arch where a door passes none.
"""

import json
import os
import random
import subprocess
import sys
import tempfile

MODULES = (("first.bin", 4096 + 5, "one two"), ("second.txt", 70000, ""),
           ("third.dat", 123457, "x=1 y=2"))


def boot(keel, build_dir, target, modules, cmdline):
    cmd = [keel, "run", target, "--build-dir", build_dir, "--cmdline", cmdline,
           "--no-fb", "--timeout", "120"]
    for path, args in modules:
        cmd += ["--module", path + (":" + args if args else "")]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
    out = proc.stdout.decode("utf-8", "replace")
    print(out)
    reports = [l for l in out.splitlines() if l.startswith("KEEL-REPORT ")]
    if proc.returncode != 0 or len(reports) != 1:
        sys.exit("FAIL: %s did not boot (exit %d)" % (target, proc.returncode))
    return json.loads(reports[0][len("KEEL-REPORT "):])


def handed_over(report):
    """What the kernel was given, without where the loader put it."""
    mods = [(m["name"], int(m["size"], 16), m["crc32"], m["cmdline"]) for m in report["modules"]]
    return report["cmdline"], mods


def main():
    keel, build_dir, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
    module_args = "--no-module-args" not in targets
    targets = [t for t in targets if t != "--no-module-args"]
    rng = random.Random("doors")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="keel-doors-") as tmp:
        modules = []
        for name, size, args in MODULES:
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(bytes(rng.getrandbits(8) for _ in range(size)))
            modules.append((path, args if module_args else ""))
        cmdline = "keel-test doors=%08x last" % rng.getrandbits(32)
        seen = {t: handed_over(boot(keel, build_dir, t, modules, cmdline)) for t in targets}
    first = targets[0]
    want_mods = [(name, size, args if module_args else "") for name, size, args in MODULES]
    got_cmdline, got_mods = seen[first]
    ok = got_cmdline == cmdline and [(n, s, a) for n, s, _c, a in got_mods] == want_mods
    print(("ok   " if ok else "FAIL ") + "%s: the command line and modules as given" % first)
    failures += not ok
    for t in targets[1:]:
        ok = seen[t] == seen[first]
        print(("ok   " if ok else "FAIL ") + "%s hands over what %s does" % (t, first))
        if not ok:
            print("  %s: %r\n  %s: %r" % (first, seen[first], t, seen[t]))
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

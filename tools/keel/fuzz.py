# SPDX-License-Identifier: MIT
"""`keel fuzz`: long libFuzzer campaigns outside CI, on a corpus that grows between runs.

The fuzz targets, their seeds and their dictionaries are the ones the build's `fuzz`
suite runs for a few seconds (tests/fuzz/meson.build); this reads them from
`meson introspect --tests`, so there is one list. The grown corpus is kept in
build/fuzz/NAME/corpus, crashes in build/fuzz/NAME/crashes, and each crash is printed
with the command that reproduces it.
"""

import json
import os
import re
import shutil
import subprocess

from . import ROOT, fail, say
from .build import setup_and_build

SEED_ENDINGS = (".bin", ".dtb", ".cpio", ".ranges")


def fuzz_targets(bdir):
    """{name: (fuzzer, dictionary or None, [seed files or directories])} from the build."""
    tests = json.loads(subprocess.run(["meson", "introspect", "--tests", bdir], check=True,
                                      stdout=subprocess.PIPE).stdout)
    targets = {}
    for t in tests:
        if "fuzz" not in t["suite"] and "keel:fuzz" not in t["suite"]:
            continue
        # python run_fuzz.py FUZZER SECONDS [--dict FILE] SEEDS...
        args = t["cmd"][2:]
        fuzzer, rest = args[0], args[2:]
        dictionary = None
        if rest[:1] == ["--dict"]:
            dictionary, rest = rest[1], rest[2:]
        # Paths in a test's command are relative to the directory it runs in.
        def where(path, base=t.get("workdir") or bdir):
            return os.path.normpath(os.path.join(base, path))

        targets[t["name"][len("fuzz-"):]] = (where(fuzzer), dictionary and where(dictionary),
                                             [where(s) for s in rest])
    return targets


def seed_files(seeds):
    for seed in seeds:
        if os.path.isfile(seed):
            yield seed
        elif os.path.isdir(seed):
            for f in sorted(os.listdir(seed)):
                if f.endswith(SEED_ENDINGS):
                    yield os.path.join(seed, f)


def parser_coverage(fuzzer, corpus):
    """{source file: [covered edges, edges]} of Keel's own code (boot/, drivers/, lib/).

    From libFuzzer's -print_coverage over the corpus. Edges are the instrumented ones, so
    the sanitizers' failure branches count too: 100 % is not reachable.
    """
    log = subprocess.run([fuzzer, "-runs=0", "-print_coverage=1", corpus], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
    files = {}
    for m in re.finditer(r"^(?:UN)?COVERED_FUNC: hits: \d+ edges: (\d+)/(\d+) \S+ (\S+):\d+$",
                         log, re.M):
        path = os.path.relpath(os.path.normpath(m.group(3)), ROOT)
        if path.split(os.sep)[0] in ("boot", "drivers", "lib"):
            f = files.setdefault(path, [0, 0])
            f[0] += int(m.group(1))
            f[1] += int(m.group(2))
    return files


def campaign(name, fuzzer, dictionary, seeds, minutes):
    home = os.path.join(ROOT, "build", "fuzz", name)
    corpus, crashes = os.path.join(home, "corpus"), os.path.join(home, "crashes")
    os.makedirs(corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    for i, f in enumerate(seed_files(seeds)):
        shutil.copyfile(f, os.path.join(corpus, "seed-%d-%s" % (i, os.path.basename(f))))
    before = set(os.listdir(crashes))
    cmd = [fuzzer, "-max_total_time=%d" % int(minutes * 60), "-timeout=10",
           "-rss_limit_mb=2048", "-max_len=65536", "-print_final_stats=1",
           "-artifact_prefix=" + crashes + os.sep]
    cmd += ["-dict=" + dictionary] if dictionary else []
    say("keel: fuzzing %s for %g min: %s" % (name, minutes, " ".join(cmd + [corpus])))
    proc = subprocess.run(cmd + [corpus], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log = proc.stdout.decode("utf-8", "replace")
    with open(os.path.join(home, "last.log"), "w") as f:
        f.write(log)
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log, re.M))
    cov = re.findall(r"\bcov: (\d+) ft: (\d+)", log)
    new = sorted(set(os.listdir(crashes)) - before)
    print("%-7s %10s execs  edges %s  features %s  corpus %d files  crashes %d" % (
        name, stats.get("number_of_executed_units", "?"), cov[-1][0] if cov else "?",
        cov[-1][1] if cov else "?", len(os.listdir(corpus)), len(new)), flush=True)
    for c in new:
        print("keel: crash: %s: reproduce with: %s %s" % (name, fuzzer, os.path.join(crashes, c)))
    for path, (hit, total) in sorted(parser_coverage(fuzzer, corpus).items()):
        print("        %-24s %5d of %5d edges (%.0f %%)" % (path, hit, total, 100.0 * hit / total))
    if proc.returncode != 0 and not new:
        say("keel: %s: the fuzzer exited with %d; see %s" % (name, proc.returncode,
                                                             os.path.join(home, "last.log")))
    return 1 if proc.returncode != 0 or new else 0


def run_fuzz(names, minutes):
    bdir = setup_and_build("x86_64", "gcc")
    targets = fuzz_targets(bdir)
    if not targets:
        fail("the build has no fuzz targets (the native compiler must be clang with libFuzzer)")
    unknown = [n for n in names if n not in targets]
    if unknown:
        fail("no fuzz target %s; there are: %s" % (", ".join(unknown), ", ".join(sorted(targets))))
    rc = 0
    for name in names or sorted(targets):
        fuzzer, dictionary, seeds = targets[name]
        rc |= campaign(name, fuzzer, dictionary, seeds, minutes)
    return rc

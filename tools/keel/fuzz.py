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
from .build import build_dir, setup_and_build

SEED_ENDINGS = (".bin", ".dtb", ".cpio", ".ranges", ".cfg")

# The parser each target is there for: the files the goal (80 % of their branches, see
# docs/fuzzing.md) is about. The other files a target reaches are printed too, unmarked.
PARSER_FILES = {
    "acpi": ["boot/acpi.c"],
    "cpio": ["boot/cpio.c"],
    "efi_memmap": ["boot/efi_memmap.c"],
    "fdt": ["boot/fdt.c", "boot/fdt_cpus.c", "boot/shim_fdt.c", "boot/board.c"],
    "keel_cfg": ["boot/keel_cfg.c"],
    "mb2": ["boot/multiboot2.c", "boot/shim_multiboot2.c"],
    "memmap": ["boot/memmap.c"],
}
COVERAGE_GOAL = 80.0


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


def chosen_targets(bdir, names):
    """fuzz_targets(bdir), after checking that each of `names` is one of them."""
    targets = fuzz_targets(bdir)
    if not targets:
        fail("the build has no fuzz targets (the native compiler must be clang with libFuzzer)")
    unknown = [n for n in names if n not in targets]
    if unknown:
        fail("no fuzz target %s; there are: %s" % (", ".join(unknown), ", ".join(sorted(targets))))
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
    cmd = [fuzzer, "-max_total_time=%d" % max(1, round(minutes * 60)), "-timeout=10",
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


def coverage(name, bdir, fuzzer, seeds, seeds_only):
    """Replays a target's committed seeds and grown corpus through its coverage build.

    Prints, per Keel source file the target reaches, the regions and the branches covered
    (llvm-cov's source-based counts, no sanitizer code among them), and leaves an
    annotated listing of the parser's files in build/fuzz/NAME/coverage/show.txt.
    Returns the parser files below COVERAGE_GOAL % of their branches.
    """
    home = os.path.join(ROOT, "build", "fuzz", name)
    out = os.path.join(home, "coverage")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    exe = os.path.join(os.path.dirname(fuzzer), "fuzz_%s_cov" % name)
    inputs = list(seed_files(seeds))
    grown = os.path.join(home, "corpus")
    if not seeds_only and os.path.isdir(grown):
        inputs += [os.path.join(grown, f) for f in sorted(os.listdir(grown))]
    listing = os.path.join(out, "inputs.txt")
    with open(listing, "w") as f:
        f.write("".join(i + "\n" for i in inputs))
    raw, data = os.path.join(out, "replay.profraw"), os.path.join(out, "replay.profdata")
    proc = subprocess.run([exe, "@" + listing], env=dict(os.environ, LLVM_PROFILE_FILE=raw),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0 or not os.path.exists(raw):
        fail("%s: replaying %d inputs failed (exit %d): %s" % (
            name, len(inputs), proc.returncode, proc.stderr.decode("utf-8", "replace")[-2000:]))
    subprocess.run(["llvm-profdata", "merge", "-sparse", raw, "-o", data], check=True)
    summary = json.loads(subprocess.run(
        ["llvm-cov", "export", "-summary-only", exe, "-instr-profile=" + data],
        check=True, stdout=subprocess.PIPE).stdout)
    parsers = PARSER_FILES.get(name, [])
    below = []
    print("%s: %d inputs (%d committed seeds%s)" % (
        name, len(inputs), len(list(seed_files(seeds))),
        "" if seeds_only else ", the rest from build/fuzz/%s/corpus" % name))
    print("    %-24s %17s %17s" % ("file", "branches", "regions"))
    for entry in sorted(summary["data"][0]["files"], key=lambda e: e["filename"]):
        path = os.path.relpath(os.path.normpath(os.path.join(bdir, entry["filename"])), ROOT)
        if path.split(os.sep)[0] not in ("boot", "drivers", "lib", "common"):
            continue
        br, rg = entry["summary"]["branches"], entry["summary"]["regions"]
        if rg["covered"] == 0 and path not in parsers:
            continue  # linked in, but nothing of it runs for this target
        def pct(c):
            return 100.0 * c["covered"] / c["count"] if c["count"] else 100.0
        mark = ""
        if path in parsers:
            mark = "  parser" + ("" if pct(br) >= COVERAGE_GOAL else " (below %d %%)" % COVERAGE_GOAL)
            if pct(br) < COVERAGE_GOAL:
                below.append(path)
        print("    %-24s %5d/%-5d %3.0f %% %5d/%-5d %3.0f %%%s" % (
            path, br["covered"], br["count"], pct(br), rg["covered"], rg["count"], pct(rg), mark))
    # llvm-cov show's own file filter does not match the mapping's names (the compiler's,
    # with ".." in them), so the whole listing is cut into the parser files' sections.
    show = subprocess.run(["llvm-cov", "show", exe, "-instr-profile=" + data,
                           "-show-branches=count", "-show-line-counts-or-regions"],
                          check=True, stdout=subprocess.PIPE).stdout.decode("utf-8", "replace")
    with open(os.path.join(out, "show.txt"), "w") as f:
        for section in re.split(r"\n(?=/)", show):
            head = section.split("\n", 1)[0].rstrip(":")
            if os.path.relpath(head, ROOT) in parsers:
                f.write(section.rstrip("\n") + "\n\n")
    print("    annotated source: %s" % os.path.relpath(os.path.join(out, "show.txt"), ROOT),
          flush=True)
    return below


def reached(exe, path, parsers, out):
    """The branch outcomes and lines of the parser files that the one input at `path` reaches."""
    raw, data = os.path.join(out, "one.profraw"), os.path.join(out, "one.profdata")
    subprocess.run([exe, path], env=dict(os.environ, LLVM_PROFILE_FILE=raw),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    subprocess.run(["llvm-profdata", "merge", "-sparse", raw, "-o", data], check=True)
    lcov = subprocess.run(["llvm-cov", "export", "-format=lcov", exe, "-instr-profile=" + data],
                          check=True, stdout=subprocess.PIPE).stdout.decode()
    got, keep = set(), False
    for line in lcov.splitlines():
        if line.startswith("SF:"):
            keep = os.path.relpath(os.path.normpath(line[3:]), ROOT) in parsers
            source = line[3:]
        elif keep and line.startswith("BRDA:"):
            where, taken = line[5:].rsplit(",", 1)
            if taken not in ("-", "0"):
                got.add((source, "branch", where))
        elif keep and line.startswith("DA:"):
            where, count = line[3:].split(",")[:2]
            if count != "0":
                got.add((source, "line", where))
    return got


def pick(name, bdir, fuzzer, seeds):
    """The fewest inputs of the grown corpus that, with the committed seeds, reach all it
    reaches of the parser files (greedy: most new first, then the smallest), copied to
    build/fuzz/NAME/picked for committing to tests/fuzz/corpus/NAME."""
    home = os.path.join(ROOT, "build", "fuzz", name)
    out, picked = os.path.join(home, "coverage"), os.path.join(home, "picked")
    shutil.rmtree(picked, ignore_errors=True)
    os.makedirs(picked)
    os.makedirs(out, exist_ok=True)
    exe = os.path.join(os.path.dirname(fuzzer), "fuzz_%s_cov" % name)
    parsers = PARSER_FILES.get(name, [])
    have = set()
    for seed in seed_files(seeds):
        have |= reached(exe, seed, parsers, out)
    grown = os.path.join(home, "corpus")
    candidates = {}
    for f in sorted(os.listdir(grown)) if os.path.isdir(grown) else []:
        path = os.path.join(grown, f)
        new = reached(exe, path, parsers, out) - have
        if new:
            candidates[path] = new
    while candidates:
        best = max(candidates, key=lambda p: (len(candidates[p]), -os.path.getsize(p)))
        have |= candidates.pop(best)
        ending = next((e for e in SEED_ENDINGS if any(
            f.endswith(e) for f in seed_files(seeds))), ".bin")
        copy = os.path.join(picked, "campaign-%s%s" % (os.path.basename(best)[:12], ending))
        shutil.copyfile(best, copy)
        print("%s: %s (%d bytes)" % (name, os.path.relpath(copy, ROOT), os.path.getsize(copy)))
        candidates = {p: c - have for p, c in candidates.items() if c - have}
    return 0


def run_coverage(names, seeds_only=False, picking=False):
    """`keel fuzz --coverage`: builds the coverage variants on request and reports."""
    bdir = build_dir("x86_64", "gcc")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        setup_and_build("x86_64", "gcc")
    # Meson regenerates first if its files changed, so the seed lists below are current.
    subprocess.run(["ninja", "-C", bdir, "build.ninja"], stdout=subprocess.DEVNULL, check=True)
    targets = chosen_targets(bdir, names)
    names = names or sorted(targets)
    exes = [os.path.relpath(os.path.join(os.path.dirname(targets[n][0]), "fuzz_%s_cov" % n), bdir)
            for n in names]
    if subprocess.run(["ninja", "-C", bdir] + exes, stdout=subprocess.DEVNULL).returncode != 0:
        fail("building the coverage targets failed: ninja -C %s %s" % (
            os.path.relpath(bdir, ROOT), " ".join(exes)))
    below = []
    for name in names:
        fuzzer, _, seeds = targets[name]
        if picking:
            pick(name, bdir, fuzzer, seeds)
            continue
        below += coverage(name, bdir, fuzzer, seeds, seeds_only)
    if below:
        print("below %d %% of their branches: %s" % (COVERAGE_GOAL, ", ".join(below)))
    return 0


def run_fuzz(names, minutes):
    bdir = setup_and_build("x86_64", "gcc")
    targets = chosen_targets(bdir, names)
    rc = 0
    for name in names or sorted(targets):
        fuzzer, dictionary, seeds = targets[name]
        rc |= campaign(name, fuzzer, dictionary, seeds, minutes)
    return rc

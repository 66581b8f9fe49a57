#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs one libFuzzer target for a fixed time on a scratch copy of its seed corpus.

  run_fuzz.py FUZZER SECONDS [--dict FILE] [SEED_FILE_OR_DIR...]

libFuzzer writes new inputs into its first corpus directory, so the seeds (fixtures in
the source tree, or generated files in the build tree) are copied into a temporary
directory first and the tree is never touched.
"""

import os
import shutil
import subprocess
import sys
import tempfile


def main():
    fuzzer, seconds, seeds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    extra = []
    if seeds[:1] == ["--dict"]:
        extra, seeds = ["-dict=" + seeds[1]], seeds[2:]
    with tempfile.TemporaryDirectory() as corpus:
        n = 0
        for seed in seeds:
            files = [seed] if os.path.isfile(seed) else [
                os.path.join(seed, f) for f in sorted(os.listdir(seed))
                if f.endswith((".bin", ".dtb", ".cpio", ".ranges", ".cfg"))]
            for f in files:
                shutil.copy(f, os.path.join(corpus, "seed-%d" % n))
                n += 1
        cmd = [fuzzer, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
               "-max_len=65536", "-print_final_stats=1"] + extra + [corpus]
        print("$ " + " ".join(cmd), flush=True)
        sys.exit(subprocess.run(cmd).returncode)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keel's public headers (api/keel/) compile on their own, as C11 and as C++, with
-Wall -Wextra -Werror -pedantic, on every compiler given; and a C++ kernel_main that
uses them has C linkage, as Keel calls it.

  test_headers.py API_DIR CC... -- CXX...
"""

import os
import subprocess
import sys
import tempfile

C_STDS = ("c11", "c17")
CXX_STDS = ("c++11", "c++17")
FLAGS = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-ffreestanding"]

# A kernel written in C++ against the public set: what Keel links must be unmangled.
CXX_KERNEL = """
#include <keel/kernel.h>

int kernel_main(const struct boot_info *bi, const struct kernel_memory *km)
{
    void *p = kmalloc(16);
    kprintf("%s %zu\\n", bi->cmdline, km->modules.count);
    kfree(p);
    if (bi->version != BOOT_INFO_VERSION) {
        arch_exit(KEEL_EXIT_BAD_INPUT);
    }
    return KEEL_EXIT_OK;
}

void kernel_ap_main(const struct cpu *cpu)
{
    kprintf("%u %llu\\n", cpu->index, (unsigned long long)cpu->stack.top.va);
}
"""
C_SYMBOLS = {"kernel_main": "T", "kernel_ap_main": "T", "kmalloc": "U", "kfree": "U", "kprintf": "U", "arch_exit": "U"}


def compile_one(compiler, lang, std, source, workdir, api, obj=None):
    path = os.path.join(workdir, "t." + ("cc" if lang == "c++" else "c"))
    with open(path, "w") as f:
        f.write(source)
    cmd = [compiler, "-x", lang, "-std=" + std] + FLAGS + ["-I", api]
    cmd += ["-c", path, "-o", obj] if obj else ["-fsyntax-only", path]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def main(argv):
    api = argv[0]
    i = argv.index("--")
    ccs, cxxs = argv[1:i], argv[i + 1:]
    headers = sorted(h for h in os.listdir(os.path.join(api, "keel")) if h.endswith(".h"))
    failures = []

    def check(cond, what, log=""):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            print(log)
            failures.append(what)

    if len(headers) < 5 or "kernel.h" not in headers:
        check(False, "the public set is api/keel/*.h with kernel.h (got %s)" % headers)
    with tempfile.TemporaryDirectory(prefix="keel-api-") as tmp:
        for h in headers:
            # Twice: the include guard must hold; alone: the header is self-contained.
            source = "#include <keel/%s>\n#include <keel/%s>\nint keel_api_test;\n" % (h, h)
            for compiler in ccs + cxxs:
                lang, stds = ("c++", CXX_STDS) if compiler in cxxs else ("c", C_STDS)
                for std in stds:
                    rc, log = compile_one(compiler, lang, std, source, tmp, api)
                    check(rc == 0, "keel/%s: %s -std=%s" % (h, os.path.basename(compiler), std),
                          log)
        for compiler in cxxs:
            obj = os.path.join(tmp, "kernel.o")
            rc, log = compile_one(compiler, "c++", "c++17", CXX_KERNEL, tmp, api, obj)
            check(rc == 0, "a C++ kernel_main compiles with %s" % os.path.basename(compiler), log)
            if rc != 0:
                continue
            nm = subprocess.run(["nm", obj], stdout=subprocess.PIPE, check=True).stdout.decode()
            syms = {l.split()[-1]: l.split()[-2] for l in nm.splitlines() if l.split()}
            for name, kind in C_SYMBOLS.items():
                check(syms.get(name) == kind, "%s: %s has C linkage (%s %s)" % (
                    os.path.basename(compiler), name, kind, name), nm)
    print("%d checks failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

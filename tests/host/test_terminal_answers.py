#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""keel run's answers to a loader's terminal queries (tools/keel/qemu.py, TerminalAnswers):
one reply per query, also when the console output splits a query between two reads."""

import sys

from keel.loaders import UBOOT_TERMINAL_ANSWERS
from keel.qemu import TerminalAnswers
from keel.targets import TARGETS

QUERY = b"\x1b7\x1b[r\x1b[999;999H\x1b[6n"  # what U-Boot 2023.01's EFI console writes
REPLY = b"\x1b[24;80R"
failures = []


def check(what, got, want):
    if got != want:
        failures.append("%s: got %r, want %r" % (what, got, want))


def feed(chunks):
    a = TerminalAnswers(UBOOT_TERMINAL_ANSWERS)
    return [r for c in chunks for r in a.replies(c)]


check("one query", feed([b"U-Boot\r\n" + QUERY]), [REPLY])
check("no query", feed([b"Booting /MemoryMapped(0x0,0x40400000,0x2000)\r\n", b"\x1b[6"]), [])
check("a cursor report is no query", feed([b"\x1b[24;80R\x1b[6m"]), [])
for cut in range(1, len(QUERY)):
    check("query split at %d" % cut, feed([QUERY[:cut], QUERY[cut:]]), [REPLY])
check("split into bytes", feed([bytes([b]) for b in QUERY]), [REPLY])
check("two queries, one read", feed([QUERY + b"\x1b8" + QUERY]), [REPLY, REPLY])
check("two queries, two reads", feed([QUERY, b"\x1b8", QUERY]), [REPLY, REPLY])
check("query at the end of one read is answered once", feed([QUERY, b"", b"x"]), [REPLY])
check("no answers", [r for r in TerminalAnswers(()).replies(QUERY)], [])
# The U-Boot EFI row answers; the rows whose loaders ask nothing do not.
check("aarch64-uboot-efi answers", TARGETS["aarch64-uboot-efi"].terminal_answers,
      UBOOT_TERMINAL_ANSWERS)
check("aarch64-virt answers nothing", TARGETS["aarch64-virt"].terminal_answers, ())

for f in failures:
    print("FAIL " + f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)

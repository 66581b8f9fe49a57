# SPDX-License-Identifier: MIT
"""The Keel tool: set up, build, boot and test Keel. ./keel is its command line.

Python 3 standard library only. targets.py holds the table of targets that ./keel, the
QEMU tests (qemu_tests.py, read by tests/qemu/meson.build) and the test scripts read.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
KEEL_SCRIPT = os.path.join(ROOT, "keel")


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def fail(msg, code=1):
    say("keel: error: " + msg)
    sys.exit(code)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots a target with `keel run --screenshot`, then renders the same console text with the
same console code on the host (fbcon-render) and compares the two pictures pixel for pixel.

  screen_test.py KEEL BUILD_DIR TARGET FBCON_RENDER
"""

import json
import os
import subprocess
import sys
import tempfile

# Keel's PPM reader, from the package in the source tree's tools/: one reader for the
# tool and the test.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from keel.screenshot import read_ppm  # noqa: E402
from keel.targets import TARGETS  # noqa: E402

FONT_HEIGHT = 16  # the console font's cell; the test checks that nothing scrolled away
FONT_WIDTH = 8


def rows_used(text, cols):
    """Text rows the console fills with `text` (wrapping at `cols`), for the scroll check."""
    rows = 0
    for line in text.split("\n")[:-1]:
        rows += max(1, (len(line.expandtabs(8)) + cols - 1) // cols)
    return rows + 1


def main():
    keel, build_dir, target, render = sys.argv[1:5]
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="keel-screen-") as tmp:
        shot = os.path.join(tmp, "qemu.ppm")
        cmd = [keel, "run", target, "--build-dir", build_dir, "--cmdline", "keel-screen-test",
               "--screenshot", shot, "--timeout", "120"]
        print("$ " + " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
        out = proc.stdout.decode("utf-8", "replace")
        print(out)
        check(proc.returncode == 0, "exit code 0 (got %d)" % proc.returncode)
        # The first line the framebuffer console draws is the framework's one line.
        start = out.find("keel: %s via " % TARGETS[target].arch)
        check(start >= 0, "the kernel attached the framebuffer console")
        report = [l for l in out.splitlines() if l.startswith("KEEL-REPORT ")]
        if start < 0 or not report or not os.path.exists(shot):
            return 1
        fb = json.loads(report[0][len("KEEL-REPORT "):])["framebuffer"]
        check(fb is not None and fb["memory_type"] == "write-combining",
              "report: framebuffer mapped write-combining at %s" % (fb or {}).get("vbase"))
        # The console saw exactly what the serial line saw from its first line on.
        text = out[start:]
        end = text.find("KEEL-HOLD\n")
        text = text[:end + len("KEEL-HOLD\n")]
        cols, rows = fb["width"] // FONT_WIDTH, fb["height"] // FONT_HEIGHT
        # The summary ends before the memory sequence switches page tables; the report
        # follows it. A UEFI memory map makes a summary and report longer than the screen,
        # so what must still be on screen is the summary's last line: text drawn through
        # the early mapping, kept across the switch (and scrolled through the new one).
        # On a small screen (AAVMF's 800x600 GOP) the report alone can fill more than the
        # screen: the early text has then scrolled off through the new mapping, which the
        # pixel comparison below covers, and this check has nothing left to look at.
        last_early = text.rfind("\n", 0, text.find("KEEL-REPORT ") - 1) + 1
        used = rows_used(text[last_early:], cols)
        if used <= rows:
            check(True, "text drawn before the switch is still on screen")
        else:
            print("note: the report takes %d of %d rows: the text drawn before the switch "
                  "scrolled off" % (used, rows))
        text_path = os.path.join(tmp, "console.txt")
        with open(text_path, "w") as f:
            f.write(text)
        expected = os.path.join(tmp, "expected.ppm")
        subprocess.run([render, "--width", str(fb["width"]), "--height", str(fb["height"]),
                        "--pitch", str(fb["pitch"]), "--bpp", str(fb["bpp"]),
                        "--red", "16:8", "--green", "8:8", "--blue", "0:8",
                        text_path, expected], check=True)
        qw, qh, qpix = read_ppm(shot)
        ew, eh, epix = read_ppm(expected)
        check((qw, qh) == (ew, eh), "screen size %dx%d (expected %dx%d)" % (qw, qh, ew, eh))
        if (qw, qh) == (ew, eh):
            diff = sum(1 for i in range(0, len(qpix), 3) if qpix[i:i + 3] != epix[i:i + 3])
            lit = sum(1 for i in range(0, len(qpix), 3) if qpix[i:i + 3] != b"\0\0\0")
            check(lit > 1000, "the screen shows text (%d lit pixels)" % lit)
            check(diff == 0, "QEMU's screen equals the host rendering (%d pixels differ)" % diff)
    if failures:
        print("%d checks failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

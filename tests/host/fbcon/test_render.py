#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""fbcon-render: the same text renders to the same picture in every pixel format."""

import os
import subprocess
import sys
import tempfile

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def read_ppm(path):
    data = open(path, "rb").read()
    parts = data.split(b"\n", 3)
    check(parts[0] == b"P6" and parts[2] == b"255", "P6 header")
    w, h = (int(x) for x in parts[1].split())
    pixels = parts[3]
    check(len(pixels) == w * h * 3, "PPM size")
    return w, h, pixels


def main():
    render = sys.argv[1]
    text = b"Keel framebuffer console\n\tline two\rL\nwraps: " + b"x" * 70 + b"\n" * 3 + b"end"
    with tempfile.TemporaryDirectory() as d:
        txt = os.path.join(d, "in.txt")
        open(txt, "wb").write(text)
        formats = {
            "xrgb": ["--pitch", "2560", "--bpp", "32", "--red", "16:8", "--green", "8:8",
                     "--blue", "0:8"],
            "xbgr": ["--pitch", "2600", "--bpp", "32", "--red", "0:8", "--green", "8:8",
                     "--blue", "16:8"],
            "rgb24": ["--pitch", "1923", "--bpp", "24", "--red", "16:8", "--green", "8:8",
                      "--blue", "0:8"],
        }
        images = {}
        for name, args in formats.items():
            for chunk in ("0", "1", "7"):
                out = os.path.join(d, "%s-%s.ppm" % (name, chunk))
                p = subprocess.run([render, "--width", "640", "--height", "100"] + args +
                                   ["--chunk", chunk, txt, out], capture_output=True, text=True)
                check(p.returncode == 0, "%s: %s" % (name, p.stderr.strip()))
                if p.returncode == 0:
                    images[(name, chunk)] = read_ppm(out)
        ref = images.get(("xrgb", "0"))
        check(ref is not None and ref[0] == 640 and ref[1] == 100, "dimensions")
        for key, img in images.items():
            check(img == ref, "%s renders like xrgb" % (key,))
        if ref is not None:
            colours = set(ref[2][i:i + 3] for i in range(0, len(ref[2]), 3))
            check(colours == {b"\x00\x00\x00", b"\xaa\xaa\xaa"}, "only fg and bg: %r" % colours)
            # 100 pixels hold 6 rows of 16: the bottom 4 scanlines are never drawn on.
            check(set(ref[2][96 * 640 * 3:]) == {0}, "below the last text row stays black")

        bad = subprocess.run([render, "--width", "640", txt, os.path.join(d, "x.ppm")],
                             capture_output=True, text=True)
        check(bad.returncode == 2 and "usage" in bad.stderr, "missing options: usage")
        bad = subprocess.run([render, "--width", "640", "--height", "100", "--pitch", "2560",
                              "--bpp", "16", "--red", "11:5", "--green", "5:6", "--blue", "0:5",
                              txt, os.path.join(d, "x.ppm")], capture_output=True, text=True)
        check(bad.returncode == 1 and "framebuffer: bpp" in bad.stderr, "16 bpp refused")

    print("fbcon-render: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tools/psf2c.py: the real console font converts; corrupt fonts fail with a clear message."""

import gzip
import importlib.util
import os
import struct
import subprocess
import sys
import tempfile

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def run(psf2c, data, name, compress=False):
    """Runs psf2c on `data`; returns (exit code, stderr, generated C or None)."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, name)
        out = os.path.join(d, "font.c")
        with open(src, "wb") as f:
            f.write(gzip.compress(data) if compress else data)
        p = subprocess.run([sys.executable, psf2c, src, out], capture_output=True, text=True)
        c = open(out).read() if os.path.exists(out) else None
        return p.returncode, p.stderr, c


def psf2(glyphs, width, height, table=None, **override):
    hdr = dict(magic=b"\x72\xb5\x4a\x86", version=0, headersize=32,
               flags=1 if table is not None else 0, length=len(glyphs),
               charsize=height * ((width + 7) // 8), height=height, width=width)
    hdr.update(override)
    head = hdr["magic"] + struct.pack("<7I", hdr["version"], hdr["headersize"], hdr["flags"],
                                      hdr["length"], hdr["charsize"], hdr["height"],
                                      hdr["width"])
    return head + b"".join(glyphs) + (table or b"")


def main():
    psf2c, real_font = sys.argv[1], sys.argv[2]
    spec = importlib.util.spec_from_file_location("psf2c", psf2c)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    # The shipped font: 'A' maps to a glyph whose table entry lists U+0041.
    font = mod.load_psf(real_font)
    bmap = mod.byte_map(font)
    check(font.unicode_map is not None, "real font has a unicode table")
    check(font.unicode_map.get(0x41) == bmap[0x41], "'A' goes through the unicode table")
    check(all(bmap[b] is not None for b in range(0x20, 0x7f)), "all printable ASCII mapped")
    rc, err, c = run(psf2c, open(real_font, "rb").read(), "real.psf")  # still gzip
    check(rc == 0 and c is not None and "const struct font font_default" in c,
          "real font converts: " + err)
    check(c is not None and max(len(line) for line in c.splitlines()) <= 100,
          "generated lines fit 100 columns")

    # Corrupt inputs: a non-zero exit and a message that names the problem.
    bad = [
        (b"\x00\x00\x00\x00" + bytes(4096), "bad magic", False),
        (b"", "bad magic", False),
        (b"\x36\x04\x02\x10" + bytes(100), "psf1: 256 glyphs", False),
        (b"\x36\x04\x02\x10" + bytes(4096) + b"\x41\x00", "unicode table is truncated", False),
        (b"\x36\x04\x80\x10" + bytes(4096), "unknown mode bits", False),
        (b"\x36\x04\x00\x00" + bytes(16), "glyphs of 8x0", False),
        (psf2([bytes(16)] * 2, 8, 16)[:20], "header is truncated", False),
        (psf2([bytes(16)] * 2, 8, 16, version=3), "unsupported version", False),
        (psf2([bytes(16)] * 2, 8, 16, charsize=15), "15 bytes per glyph", False),
        (psf2([bytes(16)] * 2, 8, 16, headersize=16), "header size 16", False),
        (psf2([bytes(16)] * 2, 8, 16, length=0), "glyph count 0", False),
        (psf2([bytes(16)] * 2, 8, 16, length=3), "psf2: 3 glyphs", False),
        (psf2([bytes(16)] * 2, 8, 16, table=b"A\xff"), "truncated at glyph 1", False),
        (psf2([bytes(16)] * 2, 8, 16, table=b"\xc3\xff\xff"), "not UTF-8", False),
        (psf2([bytes(128)] * 2, 64, 16), "64x16", False),
        (b"\x72\xb5\x4a\x86junk", "header is truncated", True),
    ]
    for data, want, compress in bad:
        rc, err, c = run(psf2c, data, "bad.psf", compress)
        check(rc != 0 and c is None, "rejects (%s): rc %d" % (want, rc))
        check("psf2c: error:" in err and want in err,
              "message for %r: %r" % (want, err.strip()))
    rc, err, c = run(psf2c, b"\x1f\x8b" + bytes(30), "cut.psf.gz")
    check(rc != 0 and "gzip" in err, "corrupt gzip: %r" % err.strip())

    # A synthetic PSF2 font: 10 pixels wide, 'A' on glyph 1, a sequence that must not map,
    # U+FFFD on glyph 2 as the replacement, no ASCII elsewhere.
    glyphs = [bytes([g] * 8) for g in (0x11, 0x22, 0x33)]
    table = (b"\xff" + "A".encode() + b"\xfeB\xcc\x81\xff" + "\ufffd".encode() + b"\xff")
    data = psf2(glyphs, 10, 4, table)
    f2 = mod.parse_psf(data)
    m2 = mod.byte_map(f2)
    check(f2.version == 2 and f2.width == 10 and f2.bytes_per_row == 2, "psf2 header")
    check(m2[0x41] == 1 and m2[0x42] == 2 and m2[0x00] == 2 and m2[0xff] == 2,
          "psf2 mapping: %r" % m2[0x40:0x44])
    rc, err, c = run(psf2c, data, "ten.psf", compress=True)
    check(rc == 0 and ".width = 10u" in c and ".bytes_per_row = 2u" in c, "psf2 output")
    check(c is not None and "/* 'A': glyph 1 */\n    0x22, 0x22," in c, "psf2 'A' bytes")

    # Without a table and without '?' or U+FFFD: identity for ASCII, blanks elsewhere.
    plain = b"\x36\x04\x00\x02" + b"".join(bytes([i, i]) for i in range(256))
    f1 = mod.parse_psf(plain)
    m1 = mod.byte_map(f1)
    check(m1[0x41] == 0x41 and m1[0x3f] == 0x3f and m1[0x01] == 0x3f, "psf1 identity + '?'")

    print("psf2c: %d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

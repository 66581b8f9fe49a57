#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Converts a PSF1 or PSF2 console font (gzip allowed) into Keel's font_default C table."""

import argparse
import gzip
import os
import sys

# PSF1 (the format of the Linux kbd and console-setup fonts): a 4-byte header, 256 or
# 512 glyphs of 8 pixels width and `charsize` rows, then an optional unicode table of
# little-endian 16-bit code points, one list per glyph terminated by 0xFFFF, where
# 0xFFFE introduces multi-code-point sequences.
PSF1_MAGIC = b"\x36\x04"
PSF1_MODE512 = 0x01
PSF1_MODEHASTAB = 0x02
PSF1_MODEHASSEQ = 0x04
PSF1_SEPARATOR = 0xFFFF
PSF1_STARTSEQ = 0xFFFE

# PSF2: a 32-byte little-endian header (magic, version, header size, flags, glyph
# count, bytes per glyph, height, width), the glyphs, then an optional unicode table
# in UTF-8, one list per glyph terminated by 0xFF, where 0xFE introduces sequences.
PSF2_MAGIC = b"\x72\xb5\x4a\x86"
PSF2_HAS_UNICODE_TABLE = 0x01
PSF2_SEPARATOR = 0xFF
PSF2_STARTSEQ = 0xFE

# Keel's console draws glyphs up to this size (include/keel/font.h).
FONT_MAX_WIDTH = 32
FONT_MAX_HEIGHT = 64

ASCII_FIRST = 0x20
ASCII_LAST = 0x7E
REPLACEMENT = 0xFFFD


class PsfError(Exception):
    """The input is not a PSF font Keel can use; the message says why."""


class Font:
    def __init__(self, version, width, height, glyphs, unicode_map):
        self.version = version
        self.width = width
        self.height = height
        self.bytes_per_row = (width + 7) // 8
        self.glyphs = glyphs            # list of bytes, each height * bytes_per_row
        self.unicode_map = unicode_map  # code point -> glyph index, or None without a table


def _u32(data, off):
    return int.from_bytes(data[off:off + 4], "little")


def _check_glyphs(data, off, count, charsize, what):
    need = off + count * charsize
    if len(data) < need:
        raise PsfError("%s: %d glyphs of %d bytes need %d bytes, the file has %d"
                       % (what, count, charsize, need, len(data)))
    return [bytes(data[off + i * charsize:off + (i + 1) * charsize]) for i in range(count)], need


def _map_single(table, cp, glyph):
    # The first glyph that claims a code point keeps it, as the kernel's console does.
    if cp not in table:
        table[cp] = glyph


def _parse_psf1_table(data, off, count, has_seq):
    table = {}
    for glyph in range(count):
        in_seq = False
        while True:
            if off + 2 > len(data):
                raise PsfError("psf1: unicode table is truncated at glyph %d" % glyph)
            cp = int.from_bytes(data[off:off + 2], "little")
            off += 2
            if cp == PSF1_SEPARATOR:
                break
            if cp == PSF1_STARTSEQ:
                if not has_seq:
                    raise PsfError("psf1: unicode table has a sequence but the mode has no "
                                   "PSF1_MODEHASSEQ")
                in_seq = True
                continue
            if not in_seq:
                _map_single(table, cp, glyph)
    return table, off


def _parse_psf2_table(data, off, count):
    table = {}
    for glyph in range(count):
        end = data.find(bytes([PSF2_SEPARATOR]), off)
        if end < 0:
            raise PsfError("psf2: unicode table is truncated at glyph %d" % glyph)
        entry = data[off:end]
        off = end + 1
        singles = entry.split(bytes([PSF2_STARTSEQ]), 1)[0]
        try:
            text = singles.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PsfError("psf2: unicode table entry of glyph %d is not UTF-8 (%s)"
                           % (glyph, e.reason))
        for ch in text:
            _map_single(table, ord(ch), glyph)
        # Sequences (after 0xFE) name combining forms; a byte-indexed console has no use
        # for them, but they must still be valid UTF-8.
        for seq in entry.split(bytes([PSF2_STARTSEQ]))[1:]:
            try:
                seq.decode("utf-8")
            except UnicodeDecodeError as e:
                raise PsfError("psf2: unicode sequence of glyph %d is not UTF-8 (%s)"
                               % (glyph, e.reason))
    return table, off


def _check_size(width, height, what):
    if width < 1 or width > FONT_MAX_WIDTH or height < 1 or height > FONT_MAX_HEIGHT:
        raise PsfError("%s: glyphs of %dx%d pixels; Keel draws 1x1 up to %dx%d"
                       % (what, width, height, FONT_MAX_WIDTH, FONT_MAX_HEIGHT))


def parse_psf(data):
    """Parses an uncompressed PSF1 or PSF2 font; raises PsfError on anything malformed."""
    if data[:2] == PSF1_MAGIC and len(data) >= 4:
        mode, charsize = data[2], data[3]
        if mode & ~(PSF1_MODE512 | PSF1_MODEHASTAB | PSF1_MODEHASSEQ):
            raise PsfError("psf1: unknown mode bits 0x%02x" % mode)
        count = 512 if mode & PSF1_MODE512 else 256
        _check_size(8, charsize, "psf1")
        glyphs, off = _check_glyphs(data, 4, count, charsize, "psf1")
        table = None
        if mode & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ):
            table, off = _parse_psf1_table(data, off, count, bool(mode & PSF1_MODEHASSEQ))
        return Font(1, 8, charsize, glyphs, table)

    if data[:4] == PSF2_MAGIC:
        if len(data) < 32:
            raise PsfError("psf2: header is truncated (%d bytes, need 32)" % len(data))
        version, headersize, flags = _u32(data, 4), _u32(data, 8), _u32(data, 12)
        count, charsize, height, width = (_u32(data, 16), _u32(data, 20), _u32(data, 24),
                                          _u32(data, 28))
        if version != 0:
            raise PsfError("psf2: unsupported version %d" % version)
        if headersize < 32 or headersize > len(data):
            raise PsfError("psf2: header size %d is outside the file" % headersize)
        if flags & ~PSF2_HAS_UNICODE_TABLE:
            raise PsfError("psf2: unknown flags 0x%x" % flags)
        if count == 0 or count > 0x110000:
            raise PsfError("psf2: glyph count %d is invalid" % count)
        _check_size(width, height, "psf2")
        if charsize != height * ((width + 7) // 8):
            raise PsfError("psf2: %d bytes per glyph, but %dx%d glyphs need %d"
                           % (charsize, width, height, height * ((width + 7) // 8)))
        glyphs, off = _check_glyphs(data, headersize, count, charsize, "psf2")
        table = None
        if flags & PSF2_HAS_UNICODE_TABLE:
            table, off = _parse_psf2_table(data, off, count)
        return Font(2, width, height, glyphs, table)

    raise PsfError("not a PSF font: bad magic %s (PSF1 starts 36 04, PSF2 72 b5 4a 86)"
                   % (data[:4].hex(" ") if data else "(empty file)"))


def load_psf(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise PsfError("gzip: %s" % e)
    return parse_psf(data)


def byte_map(font):
    """Glyph index for each byte value 0..255, or None for a blank cell.

    Printable ASCII goes through the unicode table when there is one (identity
    otherwise); every other byte, and ASCII the font lacks, gets the font's
    replacement glyph (U+FFFD, else '?'), or a blank cell if it has neither.
    """
    count = len(font.glyphs)
    if font.unicode_map is None:
        lookup = {cp: cp for cp in range(ASCII_FIRST, ASCII_LAST + 1) if cp < count}
    else:
        lookup = font.unicode_map
    replacement = lookup.get(REPLACEMENT, lookup.get(ord("?")))
    out = []
    for b in range(256):
        if ASCII_FIRST <= b <= ASCII_LAST and b in lookup:
            out.append(lookup[b])
        else:
            out.append(replacement)
    return out


def render_c(font, symbol, source_name):
    glyph_bytes = font.height * font.bytes_per_row
    mapping = byte_map(font)
    # Whole glyph rows per line, at most 16 bytes, so that lines stay inside 100 columns.
    per_line = max(font.bytes_per_row, 16 // font.bytes_per_row * font.bytes_per_row)
    lines = [
        "/* SPDX-License-Identifier: MIT */",
        "/* Generated by tools/psf2c.py from %s; do not edit. */" % source_name,
        "#include <stdint.h>",
        "",
        "#include <keel/font.h>",
        "",
        "/* 256 glyphs indexed by byte value, %u bytes each, rows top to bottom, "
        "MSB leftmost. */" % glyph_bytes,
        "static const uint8_t %s_glyphs[256 * %u] = {" % (symbol, glyph_bytes),
    ]
    for b, g in enumerate(mapping):
        data = font.glyphs[g] if g is not None else bytes(glyph_bytes)
        if ASCII_FIRST <= b <= ASCII_LAST and b not in (0x2A, 0x2F, 0x5C):
            label = "'%c'" % b
        else:
            label = "0x%02x" % b
        origin = "glyph %d" % g if g is not None else "blank"
        lines.append("    /* %s: %s */" % (label, origin))
        for i in range(0, len(data), per_line):
            lines.append("    " + " ".join("0x%02x," % x for x in data[i:i + per_line]))
    lines += [
        "};",
        "",
        "const struct font %s = {" % symbol,
        "    .width = %uu," % font.width,
        "    .height = %uu," % font.height,
        "    .bytes_per_row = %uu," % font.bytes_per_row,
        "    .glyph_bytes = %uu," % glyph_bytes,
        "    .glyphs = %s_glyphs," % symbol,
        "};",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("font", help="PSF1 or PSF2 font, optionally gzip-compressed")
    ap.add_argument("output", help="C source to write")
    ap.add_argument("--symbol", default="font_default", help="name of the struct font")
    args = ap.parse_args(argv)

    try:
        font = load_psf(args.font)
    except PsfError as e:
        print("psf2c: error: %s: %s" % (args.font, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("psf2c: error: %s" % e, file=sys.stderr)
        return 1

    text = render_c(font, args.symbol, os.path.basename(args.font))
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

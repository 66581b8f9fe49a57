/* SPDX-License-Identifier: MIT */
/* A bitmap console font, generated at build time from a PSF file by tools/psf2c.py. */
#ifndef KEEL_FONT_H
#define KEEL_FONT_H

#include <stdint.h>

/* The largest glyphs the framebuffer console draws (psf2c.py refuses bigger fonts). */
#define FONT_MAX_WIDTH 32u
#define FONT_MAX_HEIGHT 64u

/*
 * Exactly 256 glyphs, indexed by byte value: printable ASCII is mapped through the
 * PSF unicode table, every other byte shows the font's replacement glyph (or a blank).
 * A glyph is `height` rows of `bytes_per_row` bytes, top row first; in each row the
 * most significant bit of the first byte is the leftmost pixel (the PSF bit order).
 */
struct font {
    uint32_t width;         /* pixels, 1..FONT_MAX_WIDTH */
    uint32_t height;        /* pixels, 1..FONT_MAX_HEIGHT */
    uint32_t bytes_per_row; /* (width + 7) / 8 */
    uint32_t glyph_bytes;   /* height * bytes_per_row */
    const uint8_t *glyphs;  /* 256 * glyph_bytes */
};

/* The console font (Meson option console_font; Terminus 8x16 by default). */
extern const struct font font_default;

/* The bitmap of the glyph that byte `ch` shows. */
static inline const uint8_t *font_glyph(const struct font *f, unsigned char ch)
{
    return f->glyphs + (uint32_t)ch * f->glyph_bytes;
}

#endif

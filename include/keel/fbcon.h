/* SPDX-License-Identifier: MIT */
/* A text console that draws the console font on a linear RGB framebuffer. */
#ifndef KEEL_FBCON_H
#define KEEL_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb_check.h> /* fb_check, fb_format_check: the record before fbcon_init */
#include <keel/font.h>

/* Tab stops every this many columns. */
#define FBCON_TAB 8u

/* The colours, as 8-bit sRGB: VGA light grey on black. */
#define FBCON_FG_R 0xaau
#define FBCON_FG_G 0xaau
#define FBCON_FG_B 0xaau
#define FBCON_BG_R 0x00u
#define FBCON_BG_G 0x00u
#define FBCON_BG_B 0x00u

/*
 * Everything one console needs, so that there are no globals and the host renderer
 * and tests run the same code. Pixel values are little-endian integers with the
 * loader's field positions (bit 0 is in the lowest-addressed byte), as multiboot2,
 * UEFI GOP, ramfb and simple-framebuffer all define them.
 *
 * The framebuffer must be mapped as normal memory (write-combining or non-cacheable),
 * not as device memory: glyph and scroll stores may be merged by the compiler, and
 * scrolling reads the framebuffer back.
 */
struct fbcon {
    uint8_t *pixels; /* virtual address of pixel (0, 0); NULL until init succeeds */
    const struct font *font;
    uint32_t width, height; /* visible pixels */
    uint32_t pitch;         /* bytes from one scanline to the next */
    uint32_t bytes_pp;      /* 3 or 4 */
    uint32_t cols, rows;    /* character cells; the text area is the top-left cols x rows */
    uint32_t col, row;      /* the cursor; col == cols means "wrap before the next glyph" */
    uint32_t fg, bg;        /* packed pixel values */
    uint8_t fg_bytes[4];    /* the same, byte by byte, for 24 bpp and unaligned 32 bpp */
    uint8_t bg_bytes[4];
    bool words;                   /* 32 bpp with 4-byte aligned pixels and pitch: uint32_t stores */
    bool dwords;                  /* words, 8-byte aligned cells: glyph rows as uint64_t stores */
    uint64_t pixels_written;      /* stores to the framebuffer, in pixels (a statistic) */
    uint32_t nibble[16][4];       /* four glyph bits -> four packed pixels, for the word path */
    uint64_t nibble_pairs[16][2]; /* the same four pixels as two 64-bit words (dwords path) */
    uint8_t nibble_bytes[16][16]; /* the same as bytes, 4 x bytes_pp per entry, for the byte path */
};

/*
 * Validates fb's format (24 or 32 bpp, the colour fields from the loader, pitch at least
 * width * bytes per pixel; see fb_format_check), checks that at least one character fits,
 * and clears the visible screen (not the bytes past width in each pitch). `pixels` is
 * where fb->base is mapped now. KEEL_OK, or KEEL_E_FB_SIZE / KEEL_E_FB_FORMAT /
 * KEEL_E_FB_OVERFLOW / KEEL_E_INVALID, and then *c is left inert (writes do nothing).
 */
int fbcon_init(struct fbcon *c, const struct bi_framebuffer *fb, void *pixels);

/* fbcon_init with another font (fonts larger than FONT_MAX_* are KEEL_E_INVALID). */
int fbcon_init_font(struct fbcon *c, const struct bi_framebuffer *fb, void *pixels,
                    const struct font *font);

/*
 * Draws len bytes. '\n' goes to the start of the next line, '\r' to the start of this
 * one, '\t' to the next multiple of FBCON_TAB columns, '\b' one cell left (without
 * erasing; never to the previous line). Other control bytes (0x00-0x1f, 0x7f) are
 * ignored; every other byte draws its font glyph (bytes >= 0x80: the replacement glyph).
 * A glyph that would go past the last column first wraps to the next line; a new line
 * below the last row scrolls the text area up by one row and clears the bottom row.
 */
void fbcon_write(struct fbcon *c, const char *buf, size_t len);

/* The same screen, now reached at `pixels` (after the page-table switch). */
void fbcon_rebase(struct fbcon *c, void *pixels);

/* How many pixel stores the console has made since init (clears, glyphs, scrolls). */
uint64_t fbcon_pixels_written(const struct fbcon *c);

/* Packs an 8-bit-per-channel colour into fb's pixel format (fields scaled to their size). */
uint32_t fbcon_pack_rgb(const struct bi_framebuffer *fb, uint8_t r, uint8_t g, uint8_t b);

#endif

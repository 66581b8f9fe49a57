/* SPDX-License-Identifier: MIT */
/* The framebuffer text console: glyphs drawn row by row as whole pixels, scrolling by copy. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb_check.h>
#include <keel/fbcon.h>
#include <keel/font.h>

/* One field of a packed pixel: an 8-bit channel scaled to `size` bits, rounded. */
static uint32_t pack_field(uint8_t v, uint8_t pos, uint8_t size)
{
    uint32_t max = (UINT32_C(1) << size) - 1; /* size is 1..16 after fb_format_check */
    return ((v * max + 127u) / 255u) << pos;
}

uint32_t fbcon_pack_rgb(const struct bi_framebuffer *fb, uint8_t r, uint8_t g, uint8_t b)
{
    return pack_field(r, fb->red_pos, fb->red_size) | pack_field(g, fb->green_pos, fb->green_size) |
           pack_field(b, fb->blue_pos, fb->blue_size);
}

/*
 * The fills and the scroll copy store through volatile pointers on purpose: the
 * compiler would otherwise turn these loops into calls to memset and memmove
 * (lib/string.c), which promise nothing about the width of each store. Here they stay
 * word stores.
 */
/*
 * npix background pixels at 32 bpp from a 4-byte aligned dst: two pixels per 64-bit store,
 * with one 32-bit store at either end where dst or the count is odd. Under TCG, and on a
 * bus that takes 64-bit writes, that halves the cost of the first clear.
 */
static void fill_words(const struct fbcon *c, uint8_t *dst, size_t npix)
{
    uint64_t pair = (uint64_t)c->bg << 32 | c->bg;

    if (npix > 0 && ((uintptr_t)dst & 4u) != 0) {
        *(volatile uint32_t *)(void *)dst = c->bg;
        dst += 4;
        npix--;
    }
    volatile uint64_t *p = (volatile uint64_t *)(void *)dst;
    size_t pairs = npix / 2;
    size_t i = 0;
    /* Eight stores per iteration: under TCG the loop's branch costs as much as a store. */
    for (; i + 8 <= pairs; i += 8) {
        p[i] = pair;
        p[i + 1] = pair;
        p[i + 2] = pair;
        p[i + 3] = pair;
        p[i + 4] = pair;
        p[i + 5] = pair;
        p[i + 6] = pair;
        p[i + 7] = pair;
    }
    for (; i < pairs; i++) {
        p[i] = pair;
    }
    if ((npix & 1u) != 0) {
        *(volatile uint32_t *)(void *)(dst + (npix - 1) * 4) = c->bg;
    }
}

static void fill_row(struct fbcon *c, uint8_t *dst, uint32_t npix)
{
    if (c->words) {
        fill_words(c, dst, npix);
    } else {
        volatile uint8_t *p = dst;
        for (uint32_t x = 0; x < npix; x++, p += c->bytes_pp) {
            for (uint32_t k = 0; k < c->bytes_pp; k++) {
                p[k] = c->bg_bytes[k];
            }
        }
    }
    c->pixels_written += npix;
}

/* Copies n bytes from src down to dst < src, front to back, in the widest aligned words. */
static void copy_forward(uint8_t *dst, const uint8_t *src, size_t n)
{
    uintptr_t align = (uintptr_t)dst | (uintptr_t)src | n;

    if ((align & 7u) == 0) {
        volatile uint64_t *d = (volatile uint64_t *)(void *)dst;
        const uint64_t *s = (const uint64_t *)(const void *)src;
        for (size_t i = 0; i < n / 8; i++) {
            d[i] = s[i];
        }
    } else if ((align & 3u) == 0) {
        volatile uint32_t *d = (volatile uint32_t *)(void *)dst;
        const uint32_t *s = (const uint32_t *)(const void *)src;
        for (size_t i = 0; i < n / 4; i++) {
            d[i] = s[i];
        }
    } else {
        volatile uint8_t *d = dst;
        for (size_t i = 0; i < n; i++) {
            d[i] = src[i];
        }
    }
}

static uint8_t *cell_origin(const struct fbcon *c, uint32_t col, uint32_t row)
{
    return c->pixels + (size_t)row * c->font->height * c->pitch +
           (size_t)col * c->font->width * c->bytes_pp;
}

/* One glyph row at 32 bpp: a byte of glyph bits becomes eight word stores via the table. */
static void draw_row_words(const struct fbcon *c, uint32_t *dst, const uint8_t *bits)
{
    uint32_t left = c->font->width;

    for (; left >= 8; left -= 8, bits++, dst += 8) {
        const uint32_t *hi = c->nibble[*bits >> 4];
        const uint32_t *lo = c->nibble[*bits & 0xfu];
        dst[0] = hi[0];
        dst[1] = hi[1];
        dst[2] = hi[2];
        dst[3] = hi[3];
        dst[4] = lo[0];
        dst[5] = lo[1];
        dst[6] = lo[2];
        dst[7] = lo[3];
    }
    for (uint32_t x = 0; x < left; x++) {
        dst[x] = (*bits & (0x80u >> x)) ? c->fg : c->bg;
    }
}

/* The same with the pair table: a byte of glyph bits becomes four 64-bit stores. */
static void draw_row_dwords(const struct fbcon *c, uint64_t *dst, const uint8_t *bits)
{
    for (uint32_t left = c->font->width; left >= 8; left -= 8, bits++, dst += 4) {
        const uint64_t *hi = c->nibble_pairs[*bits >> 4];
        const uint64_t *lo = c->nibble_pairs[*bits & 0xfu];
        dst[0] = hi[0];
        dst[1] = hi[1];
        dst[2] = lo[0];
        dst[3] = lo[1];
    }
}

/* Four pixels of a nibble from the byte table: a constant-size copy the compiler unrolls. */
static inline void put_nibble_bytes(uint8_t *dst, const uint8_t *src, uint32_t bytes_pp)
{
    if (bytes_pp == 3) {
        for (uint32_t k = 0; k < 12; k++) {
            dst[k] = src[k];
        }
    } else {
        for (uint32_t k = 0; k < 16; k++) {
            dst[k] = src[k];
        }
    }
}

/* One glyph row at 24 bpp (or unaligned 32 bpp): four pixels' bytes per nibble of bits. */
static void draw_row_bytes(const struct fbcon *c, uint8_t *dst, const uint8_t *bits)
{
    uint32_t bpp = c->bytes_pp;
    uint32_t x = 0;

    for (; x + 4 <= c->font->width; x += 4, dst += 4 * bpp) {
        uint32_t nib = (bits[x / 8] >> (4 - x % 8)) & 0xfu;
        put_nibble_bytes(dst, c->nibble_bytes[nib], bpp);
    }
    for (; x < c->font->width; x++, dst += bpp) {
        const uint8_t *src = (bits[x / 8] & (0x80u >> (x % 8))) ? c->fg_bytes : c->bg_bytes;
        for (uint32_t k = 0; k < bpp; k++) {
            dst[k] = src[k];
        }
    }
}

static void draw_glyph(struct fbcon *c, unsigned char ch)
{
    const struct font *f = c->font;
    const uint8_t *bits = font_glyph(f, ch);
    uint8_t *dst = cell_origin(c, c->col, c->row);

    for (uint32_t y = 0; y < f->height; y++, bits += f->bytes_per_row, dst += c->pitch) {
        if (c->dwords) {
            draw_row_dwords(c, (uint64_t *)(void *)dst, bits);
        } else if (c->words) {
            draw_row_words(c, (uint32_t *)(void *)dst, bits);
        } else {
            draw_row_bytes(c, dst, bits);
        }
    }
    c->pixels_written += (uint64_t)f->width * f->height;
}

/* Moves text rows 1..rows-1 up by one and clears the last; nothing outside the text area. */
static void scroll(struct fbcon *c)
{
    uint32_t fh = c->font->height;
    uint32_t text_px = c->cols * c->font->width;
    size_t text_bytes = (size_t)text_px * c->bytes_pp;
    size_t moved_lines = (size_t)(c->rows - 1) * fh;

    if (text_bytes == c->pitch) {
        /* The text area is whole scanlines with no padding: one contiguous copy. */
        copy_forward(c->pixels, c->pixels + (size_t)fh * c->pitch, moved_lines * c->pitch);
    } else {
        for (size_t y = 0; y < moved_lines; y++) {
            copy_forward(c->pixels + y * c->pitch, c->pixels + (y + fh) * c->pitch, text_bytes);
        }
    }
    c->pixels_written += (uint64_t)moved_lines * text_px;

    uint8_t *last = cell_origin(c, 0, c->rows - 1);
    for (uint32_t y = 0; y < fh; y++, last += c->pitch) {
        fill_row(c, last, text_px);
    }
}

static void newline(struct fbcon *c)
{
    c->col = 0;
    if (c->row + 1 < c->rows) {
        c->row++;
    } else {
        scroll(c);
    }
}

void fbcon_write(struct fbcon *c, const char *buf, size_t len)
{
    if (c->pixels == NULL) {
        return;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        switch (ch) {
        case '\n':
            newline(c);
            break;
        case '\r':
            c->col = 0;
            break;
        case '\t': {
            uint32_t stop = (c->col / FBCON_TAB + 1) * FBCON_TAB;
            c->col = stop < c->cols ? stop : c->cols;
            break;
        }
        case '\b':
            if (c->col > 0) {
                c->col--;
            }
            break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                break;
            }
            if (c->col >= c->cols) {
                newline(c);
            }
            draw_glyph(c, ch);
            c->col++;
            break;
        }
    }
}

/*
 * The widest stores the mapping allows: words for 32 bpp at a 4-byte aligned address and
 * pitch; 64-bit glyph rows when every cell starts 8-byte aligned and every glyph row is
 * whole bytes of bits (the address and the pitch 8-byte aligned, the font's width a
 * multiple of 8), which every real framebuffer with an 8-pixel font gives.
 */
static void set_store_width(struct fbcon *c)
{
    uintptr_t base = (uintptr_t)c->pixels;

    c->words = c->bytes_pp == 4 && (base & 3u) == 0 && (c->pitch & 3u) == 0;
    c->dwords = c->words && (base & 7u) == 0 && (c->pitch & 7u) == 0 && c->font->width % 8 == 0;
}

static bool font_ok(const struct font *f)
{
    return f != NULL && f->glyphs != NULL && f->width >= 1 && f->width <= FONT_MAX_WIDTH &&
           f->height >= 1 && f->height <= FONT_MAX_HEIGHT &&
           f->bytes_per_row == (f->width + 7) / 8 && f->glyph_bytes == f->height * f->bytes_per_row;
}

int fbcon_init_font(struct fbcon *c, const struct bi_framebuffer *fb, void *pixels,
                    const struct font *font)
{
    memset(c, 0, sizeof(*c));
    if (pixels == NULL || !font_ok(font)) {
        return KEEL_E_INVALID;
    }
    int err = fb_format_check(fb);
    if (err != KEEL_OK) {
        return err;
    }
    if ((uint64_t)fb->pitch * fb->height > SIZE_MAX) {
        return KEEL_E_FB_OVERFLOW;
    }
    uint32_t cols = fb->width / font->width;
    uint32_t rows = fb->height / font->height;
    if (cols == 0 || rows == 0) {
        return KEEL_E_FB_SIZE;
    }

    c->font = font;
    c->width = fb->width;
    c->height = fb->height;
    c->pitch = fb->pitch;
    c->bytes_pp = fb->bpp / 8u;
    c->cols = cols;
    c->rows = rows;
    c->fg = fbcon_pack_rgb(fb, FBCON_FG_R, FBCON_FG_G, FBCON_FG_B);
    c->bg = fbcon_pack_rgb(fb, FBCON_BG_R, FBCON_BG_G, FBCON_BG_B);
    for (uint32_t k = 0; k < 4; k++) {
        c->fg_bytes[k] = (uint8_t)(c->fg >> (8 * k));
        c->bg_bytes[k] = (uint8_t)(c->bg >> (8 * k));
    }
    for (uint32_t n = 0; n < 16; n++) {
        for (uint32_t k = 0; k < 4; k++) {
            c->nibble[n][k] = (n & (8u >> k)) ? c->fg : c->bg;
            for (uint32_t b = 0; b < c->bytes_pp; b++) {
                c->nibble_bytes[n][k * c->bytes_pp + b] = (uint8_t)(c->nibble[n][k] >> (8 * b));
            }
        }
    }
    /* Both arches are little-endian: the left pixel of a pair is its low half. */
    for (uint32_t n = 0; n < 16; n++) {
        c->nibble_pairs[n][0] = (uint64_t)c->nibble[n][1] << 32 | c->nibble[n][0];
        c->nibble_pairs[n][1] = (uint64_t)c->nibble[n][3] << 32 | c->nibble[n][2];
    }
    c->pixels = pixels;
    set_store_width(c);

    /* One clear, of the visible pixels only; without padding, as one run of the buffer. */
    if (c->words && c->pitch == c->width * 4u) {
        fill_words(c, c->pixels, (size_t)c->width * c->height);
        c->pixels_written += (uint64_t)c->width * c->height;
        return KEEL_OK;
    }
    uint8_t *line = c->pixels;
    for (uint32_t y = 0; y < c->height; y++, line += c->pitch) {
        fill_row(c, line, c->width);
    }
    return KEEL_OK;
}

int fbcon_init(struct fbcon *c, const struct bi_framebuffer *fb, void *pixels)
{
    return fbcon_init_font(c, fb, pixels, &font_default);
}

void fbcon_rebase(struct fbcon *c, void *pixels)
{
    if (c->pixels != NULL && pixels != NULL) {
        c->pixels = pixels;
        /* A new mapping normally keeps the page offset, but the word paths must not guess. */
        set_store_width(c);
    }
}

uint64_t fbcon_pixels_written(const struct fbcon *c)
{
    return c->pixels_written;
}

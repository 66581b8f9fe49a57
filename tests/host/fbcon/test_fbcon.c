/* SPDX-License-Identifier: MIT */
/* The framebuffer console on host buffers: glyph bits, control bytes, wrapping, scrolling, formats.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fbcon.h>
#include <keel/font.h>

#include "../test_util.h"

/*
 * What the "loader" left in the buffer, and what the tests paint outside the text area:
 * different in every byte, so that a scroll copying bytes it should not shows up.
 */
#define JUNK(off) ((uint8_t)(0x5au + (off) % 251u))
#define MARGIN(off) ((uint8_t)(0x77u ^ (off) % 253u))

struct screen {
    struct bi_framebuffer fb;
    uint8_t *mem;
    size_t size;
    struct fbcon con;
};

static struct bi_framebuffer make_fb(uint32_t w, uint32_t h, uint32_t pitch, uint8_t bpp,
                                     uint8_t rpos, uint8_t gpos, uint8_t bpos)
{
    struct bi_framebuffer fb = {0};
    fb.base = 0xe0000000;
    fb.width = w;
    fb.height = h;
    fb.pitch = pitch;
    fb.bpp = bpp;
    fb.red_pos = rpos;
    fb.red_size = 8;
    fb.green_pos = gpos;
    fb.green_size = 8;
    fb.blue_pos = bpos;
    fb.blue_size = 8;
    fb.source = BI_FB_MULTIBOOT2;
    return fb;
}

/* Allocates the buffer with `skew` bytes of misalignment and runs fbcon_init_font. */
static int open_screen(struct screen *s, struct bi_framebuffer fb, const struct font *font,
                       size_t skew)
{
    s->fb = fb;
    s->size = (size_t)fb.pitch * fb.height;
    uint8_t *raw = malloc(s->size + skew + 1);
    if (raw == NULL) {
        exit(2);
    }
    s->mem = raw + skew;
    for (size_t k = 0; k < s->size + 1; k++) {
        s->mem[k] = JUNK(k);
    }
    return fbcon_init_font(&s->con, &s->fb, s->mem, font);
}

static void close_screen(struct screen *s, size_t skew)
{
    free(s->mem - skew);
}

static uint32_t pixel(const struct screen *s, uint32_t x, uint32_t y)
{
    uint32_t bytes = s->fb.bpp / 8u;
    const uint8_t *p = s->mem + (size_t)y * s->fb.pitch + (size_t)x * bytes;
    uint32_t v = 0;
    for (uint32_t k = 0; k < bytes; k++) {
        v |= (uint32_t)p[k] << (8 * k);
    }
    return v;
}

/* Whether text cell (col, row) shows exactly glyph `ch` of the console's font. */
static bool cell_is(const struct screen *s, uint32_t col, uint32_t row, unsigned char ch)
{
    const struct font *f = s->con.font;
    const uint8_t *bits = font_glyph(f, ch);
    for (uint32_t y = 0; y < f->height; y++) {
        for (uint32_t x = 0; x < f->width; x++) {
            bool on = bits[y * f->bytes_per_row + x / 8] & (0x80u >> (x % 8));
            uint32_t want = on ? s->con.fg : s->con.bg;
            if (pixel(s, col * f->width + x, row * f->height + y) != want) {
                return false;
            }
        }
    }
    return true;
}

static bool cell_blank(const struct screen *s, uint32_t col, uint32_t row)
{
    return cell_is(s, col, row, ' ');
}

/* Whether the row of cells shows `text`, followed by blanks to the last column. */
static bool row_is(const struct screen *s, uint32_t row, const char *text)
{
    for (uint32_t col = 0; col < s->con.cols; col++) {
        unsigned char ch = col < strlen(text) ? (unsigned char)text[col] : ' ';
        if (!cell_is(s, col, row, ch)) {
            return false;
        }
    }
    return true;
}

static void put(struct screen *s, const char *text)
{
    fbcon_write(&s->con, text, strlen(text));
}

/* Sets every byte outside the text area (visible margins and pitch padding) to MARGIN. */
static void paint_margins(struct screen *s)
{
    uint32_t bytes = s->fb.bpp / 8u;
    size_t text_w = (size_t)s->con.cols * s->con.font->width * bytes;
    size_t text_h = (size_t)s->con.rows * s->con.font->height;
    for (size_t y = 0; y < s->fb.height; y++) {
        for (size_t i = y < text_h ? text_w : 0; i < s->fb.pitch; i++) {
            s->mem[y * s->fb.pitch + i] = MARGIN(y * s->fb.pitch + i);
        }
    }
}

static bool margins_intact(const struct screen *s)
{
    uint32_t bytes = s->fb.bpp / 8u;
    size_t text_w = (size_t)s->con.cols * s->con.font->width * bytes;
    size_t text_h = (size_t)s->con.rows * s->con.font->height;
    for (size_t y = 0; y < s->fb.height; y++) {
        for (size_t i = y < text_h ? text_w : 0; i < s->fb.pitch; i++) {
            if (s->mem[y * s->fb.pitch + i] != MARGIN(y * s->fb.pitch + i)) {
                return false;
            }
        }
    }
    return true;
}

/* The bytes past width * bytes in every scanline still hold what the loader left there. */
static bool padding_untouched(const struct screen *s)
{
    size_t row = (size_t)s->fb.width * (s->fb.bpp / 8u);
    for (size_t y = 0; y < s->fb.height; y++) {
        for (size_t i = row; i < s->fb.pitch; i++) {
            if (s->mem[y * s->fb.pitch + i] != JUNK(y * s->fb.pitch + i)) {
                return false;
            }
        }
    }
    return true;
}

static void test_glyph_and_colours(void)
{
    struct screen s;
    CHECK_ERR(open_screen(&s, make_fb(640, 480, 2560, 32, 16, 8, 0), &font_default, 0), KEEL_OK);
    CHECK(s.con.cols == 640 / font_default.width && s.con.rows == 480 / font_default.height);
    CHECK(s.con.words);
    CHECK(s.con.fg == 0x00aaaaaa && s.con.bg == 0);
    CHECK(fbcon_pixels_written(&s.con) == 640u * 480u);
    CHECK(pixel(&s, 639, 479) == 0);

    /* The font's 'A' is not blank, and the cell shows exactly its bits. */
    const uint8_t *a = font_glyph(&font_default, 'A');
    bool any = false;
    for (uint32_t i = 0; i < font_default.glyph_bytes; i++) {
        any = any || a[i] != 0;
    }
    CHECK(any);
    put(&s, "A");
    CHECK(cell_is(&s, 0, 0, 'A'));
    CHECK(!cell_is(&s, 0, 0, 'B'));
    CHECK(cell_blank(&s, 1, 0));
    CHECK(s.con.col == 1 && s.con.row == 0);
    CHECK(fbcon_pixels_written(&s.con) == 640u * 480u + font_default.width * font_default.height);

    /* Every printable ASCII character draws its own glyph. */
    char line[96];
    for (int i = 0; i < 95; i++) {
        line[i] = (char)(0x20 + i);
    }
    line[95] = '\0';
    put(&s, "\r");
    put(&s, line);
    for (uint32_t i = 0; i < 95 && i < s.con.cols; i++) {
        CHECK(cell_is(&s, i, 0, (unsigned char)(0x20 + i)));
    }
    close_screen(&s, 0);

    /* Asymmetric colours show the field layout. */
    struct bi_framebuffer rgb = make_fb(64, 64, 256, 32, 16, 8, 0);
    struct bi_framebuffer bgr = make_fb(64, 64, 256, 32, 0, 8, 16);
    struct bi_framebuffer rgbx = make_fb(64, 64, 256, 32, 24, 16, 8);
    CHECK(fbcon_pack_rgb(&rgb, 0x12, 0x34, 0x56) == 0x123456);
    CHECK(fbcon_pack_rgb(&bgr, 0x12, 0x34, 0x56) == 0x563412);
    CHECK(fbcon_pack_rgb(&rgbx, 0x12, 0x34, 0x56) == 0x12345600);
    struct bi_framebuffer deep = rgb; /* 10 bits per channel */
    deep.red_pos = 20;
    deep.red_size = 10;
    deep.green_pos = 10;
    deep.green_size = 10;
    deep.blue_pos = 0;
    deep.blue_size = 10;
    CHECK(fbcon_pack_rgb(&deep, 0xff, 0, 0xaa) == ((0x3ffu << 20) | 682u));
    struct bi_framebuffer r565 = rgb;
    r565.red_size = 5;
    r565.green_size = 6;
    r565.blue_size = 5;
    r565.red_pos = 11;
    r565.green_pos = 5;
    r565.blue_pos = 0;
    CHECK(fbcon_pack_rgb(&r565, 0xff, 0xff, 0xff) == 0xffff);
}

static void test_bgr_and_rgbx(void)
{
    struct screen s;
    CHECK_ERR(open_screen(&s, make_fb(160, 64, 640, 32, 0, 8, 16), &font_default, 0), KEEL_OK);
    CHECK(s.con.fg == 0x00aaaaaa);
    put(&s, "Hi");
    CHECK(cell_is(&s, 0, 0, 'H') && cell_is(&s, 1, 0, 'i'));
    close_screen(&s, 0);

    CHECK_ERR(open_screen(&s, make_fb(160, 64, 640, 32, 24, 16, 8), &font_default, 0), KEEL_OK);
    CHECK(s.con.fg == 0xaaaaaa00);
    put(&s, "Hi");
    CHECK(cell_is(&s, 0, 0, 'H') && cell_is(&s, 1, 0, 'i'));
    close_screen(&s, 0);
}

static void test_24bpp_and_odd_pitch(void)
{
    struct screen s;
    /* 24 bpp with 5 bytes of padding per scanline. */
    CHECK_ERR(open_screen(&s, make_fb(100, 50, 100 * 3 + 5, 24, 16, 8, 0), &font_default, 0),
              KEEL_OK);
    CHECK(!s.con.words && s.con.bytes_pp == 3);
    CHECK(padding_untouched(&s));
    put(&s, "24bpp\nok");
    CHECK(cell_is(&s, 0, 0, '2') && cell_is(&s, 4, 0, 'p') && cell_is(&s, 1, 1, 'k'));
    CHECK(s.mem[0] == 0 && s.mem[1] == 0 && s.mem[2] == 0);
    for (int i = 0; i < 20; i++) {
        put(&s, "scroll\n");
    }
    CHECK(padding_untouched(&s));
    close_screen(&s, 0);

    /* 32 bpp with a pitch wider than the screen: the padding is never written. */
    CHECK_ERR(open_screen(&s, make_fb(160, 50, 160 * 4 + 24, 32, 16, 8, 0), &font_default, 0),
              KEEL_OK);
    CHECK(s.con.words);
    for (int i = 0; i < 20; i++) {
        put(&s, "padding stays\n");
    }
    CHECK(padding_untouched(&s));
    CHECK(row_is(&s, s.con.rows - 2, "padding stays"));
    close_screen(&s, 0);

    /* A pitch (and a buffer) that is not word-aligned falls back to byte stores. */
    CHECK_ERR(open_screen(&s, make_fb(100, 50, 100 * 4 + 3, 32, 16, 8, 0), &font_default, 1),
              KEEL_OK);
    CHECK(!s.con.words);
    for (int i = 0; i < 5; i++) {
        put(&s, "odd\n");
    }
    put(&s, "end");
    CHECK(padding_untouched(&s));
    CHECK(row_is(&s, s.con.rows - 1, "end") && row_is(&s, s.con.rows - 2, "odd"));
    close_screen(&s, 1);
}

/* Every visible pixel is the background after init (bg packs to 0 here). */
static bool screen_clear(const struct screen *s)
{
    for (uint32_t y = 0; y < s->fb.height; y++) {
        for (uint32_t x = 0; x < s->fb.width; x++) {
            if (pixel(s, x, y) != 0) {
                return false;
            }
        }
    }
    return true;
}

/*
 * The store widths: 64-bit glyph rows where every cell is 8-byte aligned; 64-bit clears
 * with a 32-bit store at an odd start or end (a pitch of 4 mod 8 makes every other
 * scanline start at 4 mod 8); one run over the buffer when there is no padding.
 */
static void test_store_widths(void)
{
    struct screen s;
    /* No padding and an odd pixel count: one run, a 32-bit store last, nothing past it. */
    CHECK_ERR(open_screen(&s, make_fb(161, 51, 161 * 4, 32, 16, 8, 0), &font_default, 0), KEEL_OK);
    CHECK(s.con.words && !s.con.dwords); /* 644 is 4 mod 8: cells on odd rows are not */
    CHECK(screen_clear(&s) && s.mem[s.size] == JUNK(s.size));
    CHECK(fbcon_pixels_written(&s.con) == 161u * 51u);
    put(&s, "odd\nrows\nA");
    CHECK(cell_is(&s, 0, 0, 'o') && cell_is(&s, 3, 1, 's') && cell_is(&s, 0, 2, 'A'));
    close_screen(&s, 0);

    /* Padding of 4 bytes: each scanline alone, alternately 8- and 4-byte aligned. */
    CHECK_ERR(open_screen(&s, make_fb(160, 50, 160 * 4 + 4, 32, 16, 8, 0), &font_default, 0),
              KEEL_OK);
    CHECK(s.con.words && !s.con.dwords);
    CHECK(screen_clear(&s) && padding_untouched(&s));
    put(&s, "x\ny");
    CHECK(cell_is(&s, 0, 0, 'x') && cell_is(&s, 0, 1, 'y') && padding_untouched(&s));
    close_screen(&s, 0);

    /* Aligned: the 64-bit glyph rows, the same cells as the font's bits; and after a
     * rebase to a 4 mod 8 address, back to 32-bit rows. */
    CHECK_ERR(open_screen(&s, make_fb(160, 50, 160 * 4 + 8, 32, 16, 8, 0), &font_default, 0),
              KEEL_OK);
    CHECK(s.con.dwords && screen_clear(&s) && padding_untouched(&s));
    put(&s, "Keel ~|");
    CHECK(cell_is(&s, 0, 0, 'K') && cell_is(&s, 5, 0, '~') && cell_is(&s, 6, 0, '|'));
    fbcon_rebase(&s.con, s.mem + 4);
    CHECK(s.con.words && !s.con.dwords);
    fbcon_rebase(&s.con, s.mem);
    CHECK(s.con.dwords && padding_untouched(&s));
    close_screen(&s, 0);
}

static void test_outside_text_area(void)
{
    struct screen s;
    /* 85 x 71 leaves 5 pixel columns and 7 scanlines beyond 10 x 4 cells of 8 x 16. */
    uint32_t w = 10 * font_default.width + 5, h = 4 * font_default.height + 7;
    CHECK_ERR(open_screen(&s, make_fb(w, h, w * 4 + 8, 32, 16, 8, 0), &font_default, 0), KEEL_OK);
    CHECK(s.con.cols == 10 && s.con.rows == 4);
    CHECK(pixel(&s, w - 1, h - 1) == 0); /* init clears the whole visible screen */
    paint_margins(&s);
    for (int i = 0; i < 30; i++) {
        put(&s, "0123456789abcdef\t\b\r\n");
    }
    CHECK(margins_intact(&s));
    close_screen(&s, 0);
}

static void test_scrolling(void)
{
    struct screen s;
    uint32_t w = 10 * font_default.width, h = 4 * font_default.height;
    CHECK_ERR(open_screen(&s, make_fb(w, h, w * 4, 32, 16, 8, 0), &font_default, 0), KEEL_OK);
    put(&s, "L0\nL1\nL2\nL3");
    CHECK(row_is(&s, 0, "L0") && row_is(&s, 3, "L3"));
    put(&s, "\nL4");
    CHECK(row_is(&s, 0, "L1") && row_is(&s, 1, "L2") && row_is(&s, 2, "L3"));
    CHECK(row_is(&s, 3, "L4"));
    CHECK(s.con.row == 3 && s.con.col == 2);
    /* A newline on the last row scrolls and leaves the bottom row cleared. */
    put(&s, "\n");
    CHECK(row_is(&s, 2, "L4") && row_is(&s, 3, ""));
    CHECK(s.con.row == 3 && s.con.col == 0);
    close_screen(&s, 0);

    /* The same with padding, where each scanline is copied on its own. */
    CHECK_ERR(
        open_screen(&s, make_fb(w + 3, h + 5, (w + 3) * 4 + 16, 32, 16, 8, 0), &font_default, 0),
        KEEL_OK);
    paint_margins(&s);
    put(&s, "L0\nL1\nL2\nL3\nL4\nL5");
    CHECK(row_is(&s, 0, "L2") && row_is(&s, 3, "L5"));
    CHECK(margins_intact(&s));
    close_screen(&s, 0);
}

static void test_wrapping(void)
{
    struct screen s;
    uint32_t w = 10 * font_default.width, h = 3 * font_default.height;
    CHECK_ERR(open_screen(&s, make_fb(w, h, w * 4, 32, 16, 8, 0), &font_default, 0), KEEL_OK);
    /* Exactly one line's worth: the cursor waits past the last column. */
    put(&s, "0123456789");
    CHECK(row_is(&s, 0, "0123456789"));
    CHECK(s.con.row == 0 && s.con.col == 10);
    put(&s, "\n");
    CHECK(s.con.row == 1 && s.con.col == 0); /* no empty line in between */
    put(&s, "abcdefghijK");
    CHECK(row_is(&s, 1, "abcdefghij") && row_is(&s, 2, "K"));
    /* Wrapping at the bottom scrolls. */
    put(&s, "\rLLLLLLLLLLM");
    CHECK(row_is(&s, 0, "abcdefghij") && row_is(&s, 1, "LLLLLLLLLL") && row_is(&s, 2, "M"));
    close_screen(&s, 0);
}

static void test_control_bytes(void)
{
    struct screen s;
    uint32_t w = 20 * font_default.width, h = 4 * font_default.height;
    CHECK_ERR(open_screen(&s, make_fb(w, h, w * 4, 32, 16, 8, 0), &font_default, 0), KEEL_OK);

    put(&s, "abc\rX");
    CHECK(row_is(&s, 0, "Xbc") && s.con.col == 1);

    put(&s, "\na\tb");
    CHECK(row_is(&s, 1, "a       b") && s.con.col == 9);
    put(&s, "\t");
    CHECK(s.con.col == 16);
    put(&s, "\t");
    CHECK(s.con.col == 20); /* the last tab stop is the end of the line */
    put(&s, "\t");
    CHECK(s.con.col == 20 && s.con.row == 1);
    put(&s, "c");
    CHECK(s.con.row == 2 && s.con.col == 1 && cell_is(&s, 0, 2, 'c'));

    put(&s, "\b");
    CHECK(s.con.col == 0 && cell_is(&s, 0, 2, 'c')); /* moves, does not erase */
    put(&s, "\b\b");
    CHECK(s.con.col == 0 && s.con.row == 2); /* never onto the previous line */
    put(&s, "xy\bZ");
    CHECK(row_is(&s, 2, "xZ"));

    /* Other control bytes do nothing; bytes >= 0x80 show the replacement glyph. */
    uint32_t col = s.con.col, row = s.con.row;
    const char ctl[] = {0x00, 0x01, 0x07, 0x1b, 0x7f};
    fbcon_write(&s.con, ctl, sizeof(ctl));
    CHECK(s.con.col == col && s.con.row == row && row_is(&s, 2, "xZ"));
    put(&s, "\xc3\xa9");
    CHECK(cell_is(&s, 2, 2, 0xc3) && cell_is(&s, 3, 2, 0xa9));
    CHECK(memcmp(font_glyph(&font_default, 0xc3), font_glyph(&font_default, 0x80),
                 font_default.glyph_bytes) == 0);
    close_screen(&s, 0);
}

static void test_chunking_and_rebase(void)
{
    static const char text[] = "chunked\tinput\rwraps and scrolls the same way\n\b\x01x\n"
                               "0123456789012345678901234567890123456789\n\n\nend";
    struct screen one, bytes;
    uint32_t w = 13 * font_default.width + 3, h = 3 * font_default.height + 1;
    struct bi_framebuffer fb = make_fb(w, h, w * 4, 32, 16, 8, 0);
    CHECK_ERR(open_screen(&one, fb, &font_default, 0), KEEL_OK);
    CHECK_ERR(open_screen(&bytes, fb, &font_default, 0), KEEL_OK);
    fbcon_write(&one.con, text, sizeof(text) - 1);
    for (size_t i = 0; i < sizeof(text) - 1; i++) {
        fbcon_write(&bytes.con, text + i, 1);
    }
    CHECK(memcmp(one.mem, bytes.mem, one.size) == 0);
    CHECK(fbcon_pixels_written(&one.con) == fbcon_pixels_written(&bytes.con));

    /* Rebase: the same screen seen at a new address; the old one is left alone. */
    uint8_t *copy = malloc(one.size);
    memcpy(copy, one.mem, one.size);
    fbcon_rebase(&one.con, copy);
    put(&one, "!");
    CHECK(memcmp(one.mem, bytes.mem, one.size) == 0);
    put(&bytes, "!");
    CHECK(memcmp(copy, bytes.mem, one.size) == 0);
    free(copy);
    close_screen(&one, 0);
    close_screen(&bytes, 0);
}

/* A 10 x 12 font: two bytes per glyph row, so the word path has a 2-pixel tail. */
static void test_wide_font(void)
{
    static uint8_t glyphs[256 * 24];
    for (uint32_t ch = 0; ch < 256; ch++) {
        for (uint32_t i = 0; i < 24; i++) {
            uint8_t bits = (uint8_t)(ch * 31u + i * 7u) & (i % 2 ? 0xc0 : 0xff);
            glyphs[ch * 24 + i] = ch == ' ' ? 0 : bits;
        }
    }
    const struct font wide = {10, 12, 2, 24, glyphs};
    struct screen s;
    CHECK_ERR(open_screen(&s, make_fb(105, 40, 105 * 4, 32, 16, 8, 0), &wide, 0), KEEL_OK);
    CHECK(s.con.cols == 10 && s.con.rows == 3);
    paint_margins(&s);
    put(&s, "wide font!\nsecond\nthird\nfourth");
    CHECK(row_is(&s, 0, "second") && row_is(&s, 2, "fourth"));
    CHECK(margins_intact(&s));
    close_screen(&s, 0);

    CHECK_ERR(open_screen(&s, make_fb(105, 40, 105 * 3, 24, 16, 8, 0), &wide, 0), KEEL_OK);
    put(&s, "24 bpp");
    CHECK(row_is(&s, 0, "24 bpp"));
    close_screen(&s, 0);

    const struct font bad = {40, 12, 5, 60, glyphs};
    CHECK_ERR(open_screen(&s, make_fb(105, 40, 105 * 4, 32, 16, 8, 0), &bad, 0), KEEL_E_INVALID);
    close_screen(&s, 0);
}

static void test_refused(void)
{
    struct screen s;
    static const struct {
        struct bi_framebuffer fb;
        int err;
    } cases[] = {
        {{.width = 0, .height = 480, .pitch = 2560, .bpp = 32}, KEEL_E_FB_SIZE},
        {{.width = 7,
          .height = 480,
          .pitch = 2560,
          .bpp = 32,
          .red_pos = 16,
          .red_size = 8,
          .green_pos = 8,
          .green_size = 8,
          .blue_size = 8},
         KEEL_E_FB_SIZE},
        {{.width = 640,
          .height = 15,
          .pitch = 2560,
          .bpp = 32,
          .red_pos = 16,
          .red_size = 8,
          .green_pos = 8,
          .green_size = 8,
          .blue_size = 8},
         KEEL_E_FB_SIZE},
        {{.width = 640,
          .height = 480,
          .pitch = 1280,
          .bpp = 16,
          .red_pos = 11,
          .red_size = 5,
          .green_pos = 5,
          .green_size = 6,
          .blue_size = 5},
         KEEL_E_FB_FORMAT},
        {{.width = 640,
          .height = 480,
          .pitch = 2560,
          .bpp = 32,
          .red_pos = 16,
          .red_size = 8,
          .green_pos = 12,
          .green_size = 8,
          .blue_size = 8},
         KEEL_E_FB_FORMAT},
        {{.width = 640,
          .height = 480,
          .pitch = 2556,
          .bpp = 32,
          .red_pos = 16,
          .red_size = 8,
          .green_pos = 8,
          .green_size = 8,
          .blue_size = 8},
         KEEL_E_FB_OVERFLOW},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bi_framebuffer fb = cases[i].fb;
        fb.base = 0xe0000000;
        if (fb.pitch == 0) {
            fb.pitch = 4;
        }
        CHECK_ERR(open_screen(&s, fb, &font_default, 0), cases[i].err);
        /* An inert console draws nothing. */
        put(&s, "nothing\n");
        size_t touched = 0;
        for (size_t k = 0; k < s.size; k++) {
            touched += s.mem[k] != JUNK(k);
        }
        CHECK(touched == 0);
        CHECK(fbcon_pixels_written(&s.con) == 0);
        close_screen(&s, 0);
    }
    struct bi_framebuffer fb = make_fb(64, 64, 256, 32, 16, 8, 0);
    struct fbcon con;
    CHECK_ERR(fbcon_init(&con, &fb, NULL), KEEL_E_INVALID);
    fbcon_write(&con, "x", 1);
}

int main(void)
{
    test_glyph_and_colours();
    test_bgr_and_rgbx();
    test_24bpp_and_odd_pitch();
    test_store_widths();
    test_outside_text_area();
    test_scrolling();
    test_wrapping();
    test_control_bytes();
    test_chunking_and_rebase();
    test_wide_font();
    test_refused();
    return test_finish("fbcon");
}

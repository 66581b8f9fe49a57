/* SPDX-License-Identifier: MIT */
/* simple-framebuffer: a framebuffer the firmware or loader set up, described by a DT node. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb.h>

#include "devicetree.h"

/* The formats of the binding that the console draws, and their colour layouts. */
static const struct simplefb_format {
    const char *name;
    uint8_t bpp, red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
} simplefb_formats[] = {
    {"a8r8g8b8", 32, 16, 8, 8, 8, 0, 8},
    {"x8r8g8b8", 32, 16, 8, 8, 8, 0, 8},
    {"r5g6b5", 16, 11, 5, 5, 6, 0, 5},
};

/* The colour layout of a format string of the binding; KEEL_E_FB_FORMAT for others. */
static int pixel_format(const char *format, struct bi_framebuffer *fb)
{
    for (size_t i = 0; i < sizeof(simplefb_formats) / sizeof(simplefb_formats[0]); i++) {
        const struct simplefb_format *f = &simplefb_formats[i];
        if (strcmp(format, f->name) == 0) {
            fb->bpp = f->bpp;
            fb->red_pos = f->red_pos;
            fb->red_size = f->red_size;
            fb->green_pos = f->green_pos;
            fb->green_size = f->green_size;
            fb->blue_pos = f->blue_pos;
            fb->blue_size = f->blue_size;
            return KEEL_OK;
        }
    }
    return KEEL_E_FB_FORMAT;
}

/*
 * Linux's binding (display/simple-framebuffer.yaml): reg is the pixels, width, height
 * and stride are one cell each, format names the layout. Only what the node says is
 * recorded; whether the console can draw on it (bpp, placement) is fb_check's to say
 * once the memory map is known.
 */
static int simplefb_probe(const struct fdt *fdt, const struct fdt_path *path, struct fb_found *out)
{
    struct bi_framebuffer fb;
    struct fdt_prop prop;
    const char *format;
    uint64_t base, size;
    uint32_t count;
    uint32_t node = path->node[path->depth - 1];

    memset(&fb, 0, sizeof(fb));
    int err = fdt_reg(fdt, path, 0, &base, &size, &count);
    if (err == KEEL_OK) {
        err = fdt_translate(fdt, path, &base);
    }
    if (err == KEEL_OK) {
        err = fdt_get_u32(fdt, node, "width", &fb.width);
    }
    if (err == KEEL_OK) {
        err = fdt_get_u32(fdt, node, "height", &fb.height);
    }
    if (err == KEEL_OK) {
        err = fdt_get_u32(fdt, node, "stride", &fb.pitch);
    }
    if (err != KEEL_OK) {
        return err;
    }
    if (!fdt_get_prop(fdt, node, "format", &prop)) {
        return KEEL_E_FDT_NOT_FOUND;
    }
    if ((format = fdt_prop_string(&prop)) == NULL) {
        return KEEL_E_FDT_PROP;
    }
    err = pixel_format(format, &fb);
    if (err != KEEL_OK) {
        return err;
    }
    fb.base = base;
    fb.source = BI_FB_SIMPLE_FRAMEBUFFER;
    out->framebuffer = fb;
    out->framebuffer_size = size != 0 ? size : (uint64_t)fb.pitch * fb.height;
    return KEEL_OK;
}

static const char *const simplefb_compatible[] = {"simple-framebuffer", NULL};

/* No setup: the firmware or loader programmed the display, and the node says how. */
const struct fb_driver simplefb_driver = {
    .name = "simple-framebuffer",
    .source = BI_FB_SIMPLE_FRAMEBUFFER,
    .compatible = simplefb_compatible,
    .probe = simplefb_probe,
    .setup = NULL,
};

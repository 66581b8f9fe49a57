/* SPDX-License-Identifier: MIT */
/* The table of framebuffer drivers and the look-ups the FDT shim and the kernel use. */
#include <keel/compatible.h>
#include <keel/errors.h>
#include <keel/fb.h>

#include "devicetree.h"

extern const struct fb_driver simplefb_driver;
extern const struct fb_driver ramfb_driver;
extern const struct fb_driver rpi_mailbox_driver;
extern const struct fb_driver bochs_pci_driver;

/*
 * A new framebuffer driver is one file in drivers/fb/ that defines its struct
 * fb_driver, plus its line here and in drivers/meson.build. The order matters only
 * when two drivers claim the same compatible string: the first one wins.
 */
const struct fb_driver *const fb_drivers[] = {
    &simplefb_driver,
    &ramfb_driver,
    &rpi_mailbox_driver,
    &bochs_pci_driver,
};

const size_t fb_driver_count = sizeof(fb_drivers) / sizeof(fb_drivers[0]);

static const char *const *fb_compatible(size_t i)
{
    return fb_drivers[i]->compatible;
}

const struct fb_driver *fb_driver_by_compatible(const char *list, size_t len)
{
    size_t i = compatible_match(list, len, fb_driver_count, fb_compatible);
    return i < fb_driver_count ? fb_drivers[i] : NULL;
}

const struct fb_driver *fb_driver_by_source(uint32_t source)
{
    for (size_t i = 0; source != BI_FB_NONE && i < fb_driver_count; i++) {
        if (fb_drivers[i]->source == source) {
            return fb_drivers[i];
        }
    }
    return NULL;
}

struct bi_framebuffer fb_xrgb8888(uint64_t base, uint32_t width, uint32_t height, uint32_t pitch,
                                  uint32_t source)
{
    return (struct bi_framebuffer){
        .base = base,
        .width = width,
        .height = height,
        .pitch = pitch,
        .bpp = 32,
        .red_pos = 16,
        .red_size = 8,
        .green_pos = 8,
        .green_size = 8,
        .blue_pos = 0,
        .blue_size = 8,
        .source = source,
    };
}

int fb_probe_registers(const struct fdt *fdt, const struct fdt_path *path, uint64_t min_size,
                       struct fb_found *out)
{
    uint64_t base, size;
    uint32_t count;

    int err = fdt_reg(fdt, path, 0, &base, &size, &count);
    if (err != KEEL_OK) {
        return err;
    }
    if (size < min_size) {
        return KEEL_E_FDT_PROP;
    }
    err = fdt_translate(fdt, path, &base);
    if (err != KEEL_OK) {
        return err;
    }
    out->device.base = base;
    out->device.size = size;
    return KEEL_OK;
}

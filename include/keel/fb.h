/* SPDX-License-Identifier: MIT */
/* The framebuffer driver interface (drivers/fb/): the table the FDT shim and the kernel share. */
#ifndef KEEL_FB_H
#define KEEL_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>

/* The device-tree reader's types (boot/devicetree.h); a probe reads its node with them. */
struct fdt;
struct fdt_path;

/*
 * What a driver's probe makes of one device-tree node it serves. A driver whose
 * framebuffer the firmware or loader set up (no setup op) fills `framebuffer`; a
 * driver that programs its device itself (a setup op) fills `device`, and the kernel
 * runs its setup in the shim stage's platform fix-ups. Everything else stays zero.
 */
struct fb_found {
    struct bi_framebuffer framebuffer; /* ready to draw on, source set */
    uint64_t framebuffer_size;         /* bytes its reg gives (pitch x height for a size of 0) */
    struct bi_fb_device device;        /* base and size of the registers; the shim sets driver */
    struct bi_fb_device bus;           /* a bus driver's: its config space and memory window */
    uint64_t fw_cfg_base;              /* QEMU's fw_cfg, when the node is one (boot_info's own) */
};

/*
 * What a setup op may use of the kernel: both are the kernel's (arch_early_mmio_ptr
 * and kernel_pa), passed in so that drivers/ builds and links unchanged in the host
 * tools and tests, which never call a setup.
 */
struct fb_env {
    /* The device's registers through the boot identity map, or NULL. */
    volatile void *(*mmio_ptr)(uint64_t pa, uint64_t len);
    /* The physical address a device uses for an object in Keel's image (its DMA buffers). */
    uint64_t (*dma_addr)(const void *va);
    /*
     * Adds pixels the device placed outside RAM (in memory its firmware keeps) to the
     * boot identity map, write-combining, so that the console draws on them before the
     * switch; an error code (KEEL_E_BOOT_MAP_*) when they cannot be mapped.
     */
    int (*map_pixels)(uint64_t pa, uint64_t size);
    /*
     * Adds device registers (a bus's configuration space, a BAR the setup placed) to the
     * boot identity map as device memory, so that mmio_ptr reaches them; an error code
     * (KEEL_E_BOOT_MAP_*) when they cannot be mapped.
     */
    int (*map_registers)(uint64_t pa, uint64_t size);
};

/*
 * One driver. `source` is the id boot_info records (bi->framebuffer.source, and
 * bi->framebuffer_device.driver or bi->framebuffer_bus.driver for a driver with a
 * setup); `compatible` lists the DT compatible strings the driver serves,
 * NULL-terminated. `bus`: the node is not the display but a bus the setup looks
 * through (a PCI host bridge); its probe fills out->bus, and its setup runs only when
 * the device nodes gave no framebuffer.
 *
 * probe: the shim side. Reads the node at `path` into *out, which the caller zeroed;
 * touches no hardware and no memory beyond the DTB. Returns KEEL_OK, or an error code
 * for a node it cannot use (the shim then looks further); never panics.
 *
 * setup: the kernel side, NULL when there is nothing to program. Runs once, in the
 * platform fix-ups, on the boot identity map, only when no framebuffer is known yet and
 * the shim recorded this driver in `dev` (bi->framebuffer_device, or bi->framebuffer_bus
 * for a bus driver). It may take RAM for the
 * pixels from bi->mem (bi_reserve_framebuffer) and fills bi->framebuffer (source set)
 * when the device now shows one. Returns KEEL_OK both for a framebuffer and for a
 * device that has none to give (bi->framebuffer.source says which); otherwise an error
 * code, bi->framebuffer unchanged, and the boot goes on on serial. Every poll of the
 * device is bounded.
 */
struct fb_driver {
    const char *name;
    uint32_t source; /* enum bi_fb_source */
    const char *const *compatible;
    int (*probe)(const struct fdt *fdt, const struct fdt_path *path, struct fb_found *out);
    int (*setup)(const struct fb_env *env, const struct bi_fb_device *dev, struct boot_info *bi);
    bool bus;
};

/* Every driver, one entry each (drivers/fb/fb.c). */
extern const struct fb_driver *const fb_drivers[];
extern const size_t fb_driver_count;

/* The driver whose source is `source`, or NULL (also for BI_FB_NONE). */
const struct fb_driver *fb_driver_by_source(uint32_t source);

/*
 * The driver for a DT compatible property (`len` bytes of NUL-separated strings): the
 * first string some driver serves decides. NULL when none does.
 */
const struct fb_driver *fb_driver_by_compatible(const char *list, size_t len);

/*
 * A probe for a device a setup programs: its node's first reg, at least `min_size`
 * bytes, translated to a CPU address, into out->device. KEEL_E_FDT_PROP for a reg
 * too small, the reader's error for one it cannot read.
 */
int fb_probe_registers(const struct fdt *fdt, const struct fdt_path *path, uint64_t min_size,
                       struct fb_found *out);

/* The record of a 32 bpp x8r8g8b8 framebuffer (blue in the lowest byte) from `source`. */
struct bi_framebuffer fb_xrgb8888(uint64_t base, uint32_t width, uint32_t height, uint32_t pitch,
                                  uint32_t source);

#endif

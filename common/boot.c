/* SPDX-License-Identifier: MIT */
/* From the arch entry to the common sequence: run the protocol's shim into the one boot_info. */
#include <string.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/ramfb.h>
#include <keel/cmdline.h>
#include <keel/errors.h>
#include <keel/init.h>
#include <keel/shim.h>

#include "common.h"

/* The kernel's boot_info. It lives in .bss so that no loader memory is needed to hold it. */
static struct boot_info boot_info;

/* Linker-script symbols bounding the whole image. */
extern const char __kernel_start[], __kernel_end[];

uint64_t kernel_pa(const void *va)
{
    return arch_kernel_phys_base() + (uint64_t)((const char *)va - __kernel_start);
}

static const void *early_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    return arch_early_phys_ptr(pa, len);
}

static struct shim_env kernel_env(uint32_t entry_state)
{
    return (struct shim_env){
        .kernel_base = arch_kernel_phys_base(),
        .kernel_size = (uint64_t)(__kernel_end - __kernel_start),
        .entry_state = entry_state,
        .phys_ptr = early_phys_ptr,
        .ctx = NULL,
    };
}

/*
 * Makes the loader's blob at `pa` readable for the size its own header states. The
 * size is only read once the magic matched, so a stray pointer from a loader that
 * is not what we expect is never followed far; the shim then reports the magic.
 * Returns the pointer (possibly NULL) and sets *avail to what may be read.
 */
static const void *early_blob(uint64_t pa, bool magic_ok, uint64_t size_offset, bool big_endian,
                              size_t *avail)
{
    const unsigned char *head = arch_early_phys_ptr(pa, size_offset + 4);

    *avail = head != NULL ? size_offset + 4 : 0;
    if (head == NULL || !magic_ok) {
        return head;
    }
    const unsigned char *p = head + size_offset;
    uint32_t size = big_endian
                        ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
                        : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    const void *whole = arch_early_phys_ptr(pa, size);
    if (whole != NULL) {
        *avail = size;
    }
    return head;
}

/*
 * Prints physical memory as "KEEL-DUMP <address> <hex bytes>" lines, 32 bytes a line,
 * so that tools/capture-blob.py can turn a real loader's data into a test fixture.
 */
static void dump_phys(uint64_t pa, uint64_t len)
{
    const unsigned char *p = arch_early_phys_ptr(pa, len);

    if (p == NULL) {
        return;
    }
    for (uint64_t off = 0; off < len; off += 32) {
        kprintf("KEEL-DUMP %llx ", (unsigned long long)(pa + off));
        for (uint64_t i = off; i < len && i < off + 32; i++) {
            kprintf("%02x", p[i]);
        }
        kprintf("\n");
    }
}

/*
 * The framebuffer console, from the shim on: the loader's framebuffer, or QEMU's ramfb
 * set up through fw_cfg when the DTB names one and the loader gave none. A framebuffer
 * that fails the checks gets one "keel: warning:" line; the boot goes on on serial.
 */
static void setup_framebuffer(struct boot_info *bi)
{
    struct bi_framebuffer *fb = &bi->framebuffer;
    int err = KEEL_OK;

    if (fb->source == BI_FB_NONE && bi->fw_cfg_base != 0) {
        err = ramfb_setup(bi);
        if (err != KEEL_OK) {
            kprintf("keel: warning: %s; serial console only\n", keel_strerror(err));
        }
    }
    if (fb->source == BI_FB_NONE) {
        if (bi->framebuffer_error != KEEL_OK) {
            kprintf("keel: warning: %s; serial console only\n",
                    keel_strerror((int)bi->framebuffer_error));
        }
        return;
    }
    /*
     * The shim already ran fb_check on a loader's framebuffer, and ramfb's is Keel's own,
     * in RAM it reserved; fbcon_init checks the pixel format once more as it attaches.
     */
    uint64_t size = (uint64_t)fb->pitch * fb->height;
    /* RAM (ramfb) through the 1:1 window; a device framebuffer through its MMIO one. */
    void *pixels = (void *)(uintptr_t)arch_early_phys_ptr(fb->base, size);
    if (pixels == NULL) {
        pixels = (void *)(uintptr_t)arch_early_mmio_ptr(fb->base, size);
    }
    err = pixels == NULL ? KEEL_E_FB_PLACEMENT : console_fb_attach(fb, pixels);
    if (err != KEEL_OK) {
        kprintf("keel: warning: %s; serial console only\n", keel_strerror(err));
        bi->framebuffer_error = (uint32_t)err;
        fb->source = BI_FB_NONE;
        return;
    }
    kprintf("keel: framebuffer %ux%u, %u bpp, pitch %u, from %s\n", fb->width, fb->height, fb->bpp,
            fb->pitch, bi_fb_source_name(fb->source));
}

static noreturn void after_shim(int err, struct boot_info *bi)
{
    if (err != KEEL_OK) {
        keel_fail(err);
    }
    timeline_mark("shim");
    console_uart_setup(&bi->console);
    setup_framebuffer(bi);
    timeline_mark("console");
    if (cmdline_flag(bi->cmdline, "keel.dump-info")) {
        dump_phys(bi->info_base, bi->info_size);
    }
    keel_start(bi);
}

noreturn void keel_boot_multiboot2(uint32_t magic, uint64_t info_pa, uint32_t entry_state)
{
    struct shim_env env = kernel_env(entry_state);
    size_t avail;
    /* The information structure starts with u32 total_size (Multiboot2 spec, 3.6.1). */
    const void *info = early_blob(info_pa, magic == MB2_BOOTLOADER_MAGIC, 0, false, &avail);

    after_shim(shim_multiboot2(magic, info, info_pa, avail, &env, &boot_info), &boot_info);
}

noreturn void keel_boot_fdt(uint64_t dtb_pa, uint32_t entry_state, const char *loader)
{
    struct shim_env env = kernel_env(entry_state);
    const unsigned char *head = arch_early_phys_ptr(dtb_pa, 4);
    bool magic_ok = head != NULL && ((uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
                                     (uint32_t)head[2] << 8 | head[3]) == FDT_HEADER_MAGIC;
    size_t avail;
    /* The header's second big-endian word is totalsize (Devicetree spec, 5.2). */
    const void *dtb = early_blob(dtb_pa, magic_ok, 4, true, &avail);

    after_shim(shim_fdt(dtb, dtb_pa, avail, loader, &env, &boot_info), &boot_info);
}

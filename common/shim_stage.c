/* SPDX-License-Identifier: MIT */
/* The shim stage: from the entry's registers to the kernel's one, complete boot_info. */
#include <stdbool.h>
#include <string.h>

#include <keel/addr.h>
#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/efi.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/image.h>
#include <keel/init.h>
#include <keel/shim.h>

/*
 * The kernel's boot_info. It lives in .bss so that no loader memory is needed to hold
 * it, and this file is the only one that writes it: everything after the shim stage
 * gets a const pointer.
 */
static struct boot_info boot_info;

static const void *early_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    return arch_early_phys_ptr(pa, len);
}

static struct shim_env kernel_env(uint32_t entry_state)
{
    struct keel_image image;

    image_describe(&image);
    return (struct shim_env){
        .kernel_base = image.phys_base,
        .kernel_size = image.virt.end - image.virt.start,
        .boot_cpu_id = arch_cpu_id(),
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

/* [pa, pa + size), whole pages of it, as `mem` in the boot identity map. */
static int map_fb_pages(uint64_t pa, uint64_t size, uint32_t mem)
{
    uint64_t base = pa & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = pa + size;

    if (size == 0 || end < pa || end > UINT64_MAX - PAGE_SIZE) {
        return KEEL_E_BOOT_MAP_RANGE;
    }
    end = (end + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    return arch_early_map(base, end - base, mem);
}

/* Pixels outside RAM, write-combining. */
static int map_fb_pixels(uint64_t pa, uint64_t size)
{
    return map_fb_pages(pa, size, PT_MEM_WC);
}

/* Registers a setup placed or found (a BAR, a bus's configuration space), as device memory. */
static int map_fb_registers(uint64_t pa, uint64_t size)
{
    return map_fb_pages(pa, size, PT_MEM_DEVICE);
}

/* What a framebuffer driver's setup may use of the kernel (include/keel/fb.h). */
static const struct fb_env fb_env = {
    .mmio_ptr = arch_early_mmio_ptr,
    .dma_addr = kernel_pa,
    .map_pixels = map_fb_pixels,
    .map_registers = map_fb_registers,
};

/*
 * The setup of the driver `dev` names, when there is one and still no framebuffer; an
 * error it returns is kept for the console stage, which prints it when no framebuffer
 * came of a later setup either.
 */
static void fb_setup(const struct bi_fb_device *dev, struct boot_info *bi)
{
    const struct fb_driver *drv = fb_driver_by_source(dev->driver);

    if (bi->framebuffer.source != BI_FB_NONE || drv == NULL || drv->setup == NULL) {
        return;
    }
    int err = drv->setup(&fb_env, dev, bi);
    if (err != KEEL_OK) {
        bi->framebuffer_error = (uint32_t)err;
    }
}

/*
 * The platform fix-ups: what the shim stage adds to the loader's data before the
 * boot_info is final. First the arch asks the firmware what only a call can tell
 * (arch_firmware_probe: aarch64's PSCI version). When the loader gave no framebuffer and the shim
 * recorded a device that a framebuffer driver programs itself (QEMU's ramfb, through fw_cfg), that
 * driver's setup runs; it may take its pixels out of usable RAM. While there is still none, the
 * setup of the bus the shim recorded (a PCI host bridge) looks for a display behind it. A
 * framebuffer that the console cannot reach early is dropped here, so that the boot_info never
 * names one that nothing draws on. Neither fails the boot: framebuffer_error says why there is
 * none, and the console stage prints it.
 */
static void platform_fixups(struct boot_info *bi)
{
    struct bi_framebuffer *fb = &bi->framebuffer;

    arch_firmware_probe(bi);
    fb_setup(&bi->framebuffer_device, bi);
    fb_setup(&bi->framebuffer_bus, bi);
    if (fb->source != BI_FB_NONE && console_fb_early_pixels(fb) == NULL) {
        bi->framebuffer_error = KEEL_E_FB_PLACEMENT;
        memset(fb, 0, sizeof(*fb));
    }
}

/* Makes the loader's data readable and runs the protocol's shim on it. */
static int run_shim(const struct keel_entry *entry, struct boot_info *bi)
{
    struct shim_env env = kernel_env(entry->entry_state);
    size_t avail;

    if (entry->protocol == BI_PROTO_MULTIBOOT2) {
        /* The information structure starts with u32 total_size (Multiboot2 spec, 3.6.1). */
        const void *info =
            early_blob(entry->info_pa, entry->magic == MB2_BOOTLOADER_MAGIC, 0, false, &avail);
        return shim_multiboot2(entry->magic, info, entry->info_pa, avail, &env, bi);
    }
    if (entry->protocol == BI_PROTO_FDT) {
        const unsigned char *head = arch_early_phys_ptr(entry->info_pa, 4);
        bool magic_ok = head != NULL && ((uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
                                         (uint32_t)head[2] << 8 | head[3]) == FDT_HEADER_MAGIC;
        /* The header's second big-endian word is totalsize (Devicetree spec, 5.2). */
        const void *dtb = early_blob(entry->info_pa, magic_ok, 4, true, &avail);
        return shim_fdt(dtb, entry->info_pa, avail, entry->loader, &env, bi);
    }
    if (entry->protocol == BI_PROTO_UEFI) {
        /* The handoff has a fixed size; the shim checks its magic before anything else. */
        const struct efi_handoff *h = arch_early_phys_ptr(entry->info_pa, sizeof(*h));
        return shim_uefi(h, entry->info_pa, &env, bi);
    }
    return KEEL_E_INVALID;
}

static bool boot_info_done;

int shim_stage(const struct keel_entry *entry, const struct boot_info **out)
{
    int err = run_shim(entry, &boot_info);

    if (err != KEEL_OK) {
        return err;
    }
    platform_fixups(&boot_info);
    boot_info_done = true;
    *out = &boot_info;
    return KEEL_OK;
}

const struct boot_info *shim_stage_result(void)
{
    return boot_info_done ? &boot_info : NULL;
}

void shim_dump_info(const struct boot_info *bi)
{
    if (cmdline_flag(bi->cmdline, "keel.dump-info")) {
        dump_phys(bi->info_base, bi->info_size);
    }
}

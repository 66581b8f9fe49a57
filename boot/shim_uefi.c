/* SPDX-License-Identifier: MIT */
/* The UEFI boot shim: what Keel's EFI entry gathered from the firmware in, a boot_info out. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/efi.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/shim.h>

#include "acpi.h"
#include "board_fdt.h"
#include "devicetree.h"
#include "efi_memmap.h"
#include "shim_internal.h"

/*
 * A buffer of the entry's (the handoff, the map, the module records): boot_info memory,
 * reclaimed once the boot_info is read. One that lies inside Keel's image (a static of
 * the entry's) is the kernel's already and gets no range of its own.
 */
static int add_entry_buffer(struct shim_ranges *rs, const struct shim_env *env, uint64_t base,
                            uint64_t size)
{
    bool in_image = env->kernel_size != 0 && base >= env->kernel_base && size <= env->kernel_size &&
                    base - env->kernel_base <= env->kernel_size - size;
    if (size == 0 || in_image) {
        return KEEL_OK;
    }
    return shim_add_range(rs, base, size, BI_MEM_BOOT_INFO, BI_SRC_EFI_HANDOFF);
}

/* The string the handoff points at, copied into dst[cap]; unreachable is an error. */
static int copy_phys_string(const struct shim_env *env, uint64_t pa, uint64_t len, char *dst,
                            size_t cap, int too_long)
{
    if (len == 0) {
        dst[0] = '\0';
        return KEEL_OK;
    }
    const char *s = shim_phys_ptr(env, pa, len);
    if (s == NULL) {
        return KEEL_E_EFI_UNREACHABLE;
    }
    return shim_copy_string(dst, cap, s, (size_t)len, too_long);
}

static int add_modules(const struct efi_handoff *h, const struct shim_env *env,
                       struct shim_ranges *rs, struct boot_info *bi)
{
    if (h->module_count == 0) {
        return KEEL_OK;
    }
    if (h->module_count > BI_MODULE_MAX) {
        return KEEL_E_MODULE_TOO_MANY;
    }
    uint64_t size = (uint64_t)h->module_count * sizeof(struct efi_handoff_module);
    const struct efi_handoff_module *mods = shim_phys_ptr(env, h->modules_pa, size);
    if (mods == NULL) {
        return KEEL_E_EFI_UNREACHABLE;
    }
    int err = add_entry_buffer(rs, env, h->modules_pa, size);
    for (uint32_t i = 0; i < h->module_count && err == KEEL_OK; i++) {
        struct bi_module *m = &bi->modules[i];
        if (mods[i].name_len == 0) {
            return KEEL_E_EFI_MODULE_NAME;
        }
        err = copy_phys_string(env, mods[i].name_pa, mods[i].name_len, m->name, sizeof(m->name),
                               KEEL_E_TOO_LONG_MODULE_NAME);
        if (err == KEEL_OK) {
            err = copy_phys_string(env, mods[i].args_pa, mods[i].args_len, m->cmdline,
                                   sizeof(m->cmdline), KEEL_E_TOO_LONG_MODULE_ARGS);
        }
        m->base = mods[i].base;
        m->size = mods[i].size;
        if (err == KEEL_OK && m->size != 0) {
            err = shim_add_range(rs, m->base, m->size, BI_MEM_MODULE, BI_SRC_EFI_MODULE);
        }
        bi->module_count = i + 1;
    }
    return err;
}

/* A GOP channel mask as a field: contiguous and non-empty, or false. */
static bool mask_field(uint32_t mask, uint8_t *pos, uint8_t *size)
{
    if (mask == 0) {
        return false;
    }
    unsigned p = 0;
    while ((mask >> p & 1u) == 0) {
        p++;
    }
    uint64_t run = (uint64_t)(mask >> p) + 1;
    if ((run & (run - 1)) != 0) {
        return false;
    }
    unsigned n = 0;
    while (n + p < 32 && (mask >> (p + n) & 1u) != 0) {
        n++;
    }
    *pos = (uint8_t)p;
    *size = (uint8_t)n;
    return true;
}

/*
 * The GOP mode as bi->framebuffer (source gop): linear modes only. A BltOnly mode is
 * no framebuffer; the two reserved-8-bit formats are 32 bpp with the bytes in their
 * order; PixelBitMask takes its fields from the masks and its bits per pixel from the
 * highest bit any mask uses, in whole bytes. Pitch is PixelsPerScanLine x bytes per
 * pixel. A mode Keel cannot describe leaves no framebuffer and says why in
 * framebuffer_error; the rest of the checks (pitch x height and the placement) are
 * fb_check's, through shim_claim_framebuffer.
 */
static void take_gop(const struct efi_handoff *h, struct boot_info *bi)
{
    const struct efi_gop_mode_info *g = &h->gop_info;
    struct bi_framebuffer fb = {0};
    if (h->gop_present == 0 || g->pixel_format == EFI_PIXEL_BLT_ONLY) {
        return;
    }
    fb.bpp = 32;
    fb.red_size = fb.green_size = fb.blue_size = 8;
    fb.green_pos = 8;
    if (g->pixel_format == EFI_PIXEL_RGB_RESERVED_8) {
        fb.blue_pos = 16;
    } else if (g->pixel_format == EFI_PIXEL_BGR_RESERVED_8) {
        fb.red_pos = 16;
    } else if (g->pixel_format == EFI_PIXEL_BIT_MASK &&
               mask_field(g->red_mask, &fb.red_pos, &fb.red_size) &&
               mask_field(g->green_mask, &fb.green_pos, &fb.green_size) &&
               mask_field(g->blue_mask, &fb.blue_pos, &fb.blue_size)) {
        uint32_t used = g->red_mask | g->green_mask | g->blue_mask | g->reserved_mask;
        unsigned top = 32;
        while ((used >> (top - 1) & 1u) == 0) {
            top--;
        }
        fb.bpp = (uint8_t)((top + 7) & ~7u);
    } else {
        bi->framebuffer_error = KEEL_E_FB_FORMAT;
        return;
    }
    uint64_t pitch = (uint64_t)g->pixels_per_scan_line * (fb.bpp / 8u);
    if (pitch > UINT32_MAX) {
        bi->framebuffer_error = KEEL_E_FB_OVERFLOW;
        return;
    }
    fb.base = h->gop_base;
    fb.width = g->horizontal_resolution;
    fb.height = g->vertical_resolution;
    fb.pitch = (uint32_t)pitch;
    fb.source = BI_FB_GOP;
    bi->framebuffer = fb;
}

static int read_memory_map(const struct efi_handoff *h, const struct shim_env *env,
                           struct shim_ranges *rs)
{
    struct efi_memmap m;
    const void *map = h->memmap_size != 0 ? shim_phys_ptr(env, h->memmap_pa, h->memmap_size) : NULL;
    int err = efi_memmap_parse(map, h->memmap_size, h->descriptor_size, h->descriptor_version, &m);
    if (err == KEEL_OK) {
        err = efi_memmap_add(&m, rs, BI_SRC_EFI_MMAP);
    }
    if (err == KEEL_OK) {
        err = add_entry_buffer(rs, env, h->memmap_pa, h->memmap_size);
    }
    return err;
}

/*
 * The devices, from the configuration table's DTB (U-Boot; AAVMF with acpi=off) as on
 * the FDT path: CPUs, console and framebuffer device, never its memory, which the
 * firmware's map describes. The DTB is boot_info memory of its own. Without a DTB, the
 * console is the SPCR table's, and the CPUs come from the MADT (shim_complete).
 */
static int read_devices(const struct efi_handoff *h, const struct shim_env *env,
                        struct shim_ranges *rs, struct boot_info *bi)
{
    if (h->dtb == 0) {
        return h->rsdp != 0 ? acpi_spcr_console(h->rsdp, env, &bi->console) : KEEL_OK;
    }
    const uint8_t *head = shim_phys_ptr(env, h->dtb, 8);
    uint32_t size = head != NULL ? (uint32_t)head[4] << 24 | (uint32_t)head[5] << 16 |
                                       (uint32_t)head[6] << 8 | head[7]
                                 : 0;
    const void *dtb = head != NULL ? shim_phys_ptr(env, h->dtb, size) : NULL;
    struct fdt fdt;
    struct fb_found fbs;
    if (dtb == NULL) {
        return KEEL_E_EFI_UNREACHABLE;
    }
    int err = fdt_init(&fdt, dtb, size);
    if (err == KEEL_OK) {
        err = shim_fdt_devices(&fdt, bi, &fbs);
    }
    if (err == KEEL_OK) {
        bi->dtb_base = h->dtb;
        bi->dtb_size = fdt.total_size;
        err = shim_add_range(rs, h->dtb, fdt.total_size, BI_MEM_BOOT_INFO, BI_SRC_DTB);
    }
    return err;
}

int shim_uefi(const struct efi_handoff *h, uint64_t h_pa, const struct shim_env *env,
              struct boot_info *bi)
{
    struct shim_ranges rs;

    shim_begin(bi, BI_PROTO_UEFI, env);
    if (h == NULL || h->magic != EFI_HANDOFF_MAGIC) {
        return KEEL_E_EFI_HANDOFF_MAGIC;
    }
    bi->info_base = h_pa;
    bi->info_size = sizeof(*h);
    bi->efi.system_table = h->system_table;
    bi->efi.exit_attempts = h->exit_attempts;

    size_t vendor_len = 0;
    while (vendor_len < sizeof(h->vendor) && h->vendor[vendor_len] != '\0') {
        vendor_len++;
    }
    int err = vendor_len != 0 ? shim_copy_string(bi->loader, sizeof(bi->loader), h->vendor,
                                                 vendor_len, KEEL_E_TOO_LONG_LOADER)
                              : shim_copy_string(bi->loader, sizeof(bi->loader), "unknown", 7,
                                                 KEEL_E_TOO_LONG_LOADER);
    if (err == KEEL_OK) {
        err = copy_phys_string(env, h->cmdline_pa, h->cmdline_len, bi->cmdline, sizeof(bi->cmdline),
                               KEEL_E_TOO_LONG_CMDLINE);
    }
    if (err != KEEL_OK) {
        return err;
    }

    shim_ranges_init(&rs);
    err = read_memory_map(h, env, &rs);
    if (err == KEEL_OK) {
        err = add_entry_buffer(&rs, env, h_pa, sizeof(*h));
    }
    if (err == KEEL_OK) {
        err = add_modules(h, env, &rs, bi);
    }
    if (err != KEEL_OK) {
        return err;
    }
    err = read_devices(h, env, &rs, bi);
    if (err != KEEL_OK) {
        return err;
    }
    take_gop(h, bi);
    bi->rsdp = h->rsdp;
    return shim_complete(&rs, env, bi);
}

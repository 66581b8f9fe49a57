/* SPDX-License-Identifier: MIT */
/* The multiboot2 boot shim: a GRUB information structure in, a struct boot_info out. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb_check.h>
#include <keel/memmap.h>
#include <keel/shim.h>

#include "multiboot2.h"
#include "shim_internal.h"

static uint32_t e820_type(uint32_t type)
{
    switch (type) {
    case MB2_MEM_AVAILABLE:
        return BI_MEM_USABLE;
    case MB2_MEM_ACPI_RECLAIMABLE:
        return BI_MEM_ACPI_RECLAIMABLE;
    case MB2_MEM_NVS:
        return BI_MEM_ACPI_NVS;
    case MB2_MEM_BADRAM:
        return BI_MEM_BAD;
    default:
        return BI_MEM_RESERVED;
    }
}

/*
 * GRUB on UEFI passes the firmware's memory map (tag 17, the one ExitBootServices took)
 * beside the e820-style map it made from an earlier GetMemoryMap; the firmware's is the
 * memory map then: it is the final one, and only it tells runtime-services memory and
 * the loader's own from the rest.
 */
static int add_memory(const struct mb2_info *mb, struct shim_ranges *rs)
{
    struct mb2_mem_entry e;
    int err = KEEL_OK;
    if (mb->efi_mmap.count != 0) {
        return efi_memmap_add(&mb->efi_mmap, rs, BI_SRC_MB2_EFI_MMAP);
    }
    for (uint32_t i = 0; i < mb->mmap_count && err == KEEL_OK; i++) {
        mb2_mmap_entry(mb, i, &e);
        err = shim_add_range(rs, e.base, e.length, e820_type(e.type), BI_SRC_MB2_MMAP);
    }
    return err;
}

/*
 * Multiboot2 modules carry only a string (GRUB's module2 passes the words after the
 * file name). Keel's convention, which ./keel's grub.cfg follows: the first word names
 * the module (its last path component is the name) and the rest, without leading
 * blanks, is the module's command line. A module without a string is "module<N>".
 */
static int module_strings(const char *str, uint32_t index, struct bi_module *m)
{
    const char *p = str;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    const char *word = p;
    while (*p != '\0' && *p != ' ' && *p != '\t') {
        if (*p == '/') {
            word = p + 1;
        }
        p++;
    }
    size_t word_len = (size_t)(p - word);
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    int err =
        shim_copy_string(m->cmdline, sizeof(m->cmdline), p, strlen(p), KEEL_E_TOO_LONG_MODULE_ARGS);
    if (err != KEEL_OK || word_len > 0) {
        return err != KEEL_OK ? err
                              : shim_copy_string(m->name, sizeof(m->name), word, word_len,
                                                 KEEL_E_TOO_LONG_MODULE_NAME);
    }
    char buf[16] = "module";
    size_t len = 6;
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + index % 10);
        index /= 10;
    } while (index != 0);
    while (n > 0) {
        buf[len++] = digits[--n];
    }
    return shim_copy_string(m->name, sizeof(m->name), buf, len, KEEL_E_TOO_LONG_MODULE_NAME);
}

static int add_modules(const struct mb2_info *mb, struct shim_ranges *rs, struct boot_info *bi)
{
    if (mb->module_count > BI_MODULE_MAX) {
        return KEEL_E_MODULE_TOO_MANY;
    }
    uint32_t cursor = 0;
    struct mb2_module mod;
    while (mb2_next_module(mb, &cursor, &mod)) {
        struct bi_module *m = &bi->modules[bi->module_count];
        m->base = mod.start;
        m->size = (uint64_t)mod.end - mod.start;
        int err = module_strings(mod.cmdline, bi->module_count, m);
        if (err == KEEL_OK && m->size != 0) {
            err = shim_add_range(rs, m->base, m->size, BI_MEM_MODULE, BI_SRC_MB2_MODULE);
        }
        if (err != KEEL_OK) {
            return err;
        }
        bi->module_count++;
    }
    return KEEL_OK;
}

/* Copies an RGB framebuffer tag into bi->framebuffer; any other kind leaves it empty. */
static void take_framebuffer(const struct mb2_info *mb, struct boot_info *bi)
{
    const struct mb2_framebuffer *f = &mb->framebuffer;
    /*
     * EGA text (what GRUB reports when it could not or was told not to set a graphics
     * mode) and indexed colour are no linear RGB framebuffer for Keel's console.
     */
    if (!mb->has_framebuffer || f->type != MB2_FB_TYPE_RGB) {
        return;
    }
    struct bi_framebuffer *fb = &bi->framebuffer;
    fb->base = f->addr;
    fb->width = f->width;
    fb->height = f->height;
    fb->pitch = f->pitch;
    fb->bpp = f->bpp;
    fb->red_pos = f->red_pos;
    fb->red_size = f->red_size;
    fb->green_pos = f->green_pos;
    fb->green_size = f->green_size;
    fb->blue_pos = f->blue_pos;
    fb->blue_size = f->blue_size;
    fb->source = BI_FB_MULTIBOOT2;
}

int shim_multiboot2(uint32_t magic, const void *info, uint64_t info_pa, size_t avail,
                    const struct shim_env *env, struct boot_info *bi)
{
    struct mb2_info mb;
    struct shim_ranges rs;

    shim_begin(bi, BI_PROTO_MULTIBOOT2, env);
    if (magic == MB2_BOOTLOADER_MAGIC && (info_pa & 7u) != 0) {
        return KEEL_E_MB2_ALIGN;
    }
    int err = mb2_parse(magic, info, avail, &mb);
    if (err != KEEL_OK) {
        return err;
    }
    bi->info_base = info_pa;
    bi->info_size = mb.total_size;
    bi->efi.system_table = mb.efi_system_table;

    const char *loader = mb.loader_name != NULL ? mb.loader_name : "unknown";
    err = shim_copy_string(bi->loader, sizeof(bi->loader), loader, strlen(loader),
                           KEEL_E_TOO_LONG_LOADER);
    if (err == KEEL_OK && mb.cmdline != NULL) {
        err = shim_copy_string(bi->cmdline, sizeof(bi->cmdline), mb.cmdline, strlen(mb.cmdline),
                               KEEL_E_TOO_LONG_CMDLINE);
    }
    if (err != KEEL_OK) {
        return err;
    }

    shim_ranges_init(&rs);
    err = add_memory(&mb, &rs);
    if (err == KEEL_OK) {
        err = shim_add_range(&rs, info_pa, mb.total_size, BI_MEM_BOOT_INFO, BI_SRC_MB2_INFO);
    }
    if (err == KEEL_OK) {
        err = add_modules(&mb, &rs, bi);
    }
    if (err != KEEL_OK) {
        return err;
    }
    take_framebuffer(&mb, bi);
    if (mb.rsdp_offset != 0) {
        bi->rsdp = info_pa + mb.rsdp_offset;
        bi->rsdp_revision = mb.blob[mb.rsdp_offset + 15];
    }
    return shim_complete(&rs, env, bi);
}

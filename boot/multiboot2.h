/* SPDX-License-Identifier: MIT */
/* Multiboot2 information-structure parser: validates the whole blob, then serves its tags. */
#ifndef KEEL_BOOT_MULTIBOOT2_H
#define KEEL_BOOT_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi_memmap.h"

#ifndef MB2_BOOTLOADER_MAGIC
#define MB2_BOOTLOADER_MAGIC 0x36d76289u /* EAX at entry; shim.h has the same definition */
#endif

/* Tag types from the Multiboot2 specification that Keel reads. */
#define MB2_TAG_END 0u
#define MB2_TAG_CMDLINE 1u
#define MB2_TAG_LOADER_NAME 2u
#define MB2_TAG_MODULE 3u
#define MB2_TAG_MMAP 6u
#define MB2_TAG_FRAMEBUFFER 8u
#define MB2_TAG_EFI64 12u
#define MB2_TAG_ACPI_OLD 14u
#define MB2_TAG_ACPI_NEW 15u
#define MB2_TAG_EFI_MMAP 17u
#define MB2_TAG_EFI64_IMAGE 20u

/* Memory map entry types (the e820 values GRUB passes through). */
#define MB2_MEM_AVAILABLE 1u
#define MB2_MEM_ACPI_RECLAIMABLE 3u
#define MB2_MEM_NVS 4u
#define MB2_MEM_BADRAM 5u

#define MB2_FB_TYPE_INDEXED 0u
#define MB2_FB_TYPE_RGB 1u
#define MB2_FB_TYPE_EGA_TEXT 2u

struct mb2_framebuffer {
    uint64_t addr;
    uint32_t pitch;
    uint32_t width;
    uint32_t height;
    uint8_t bpp;
    uint8_t type; /* MB2_FB_TYPE_* */
    uint8_t red_pos, red_size;
    uint8_t green_pos, green_size;
    uint8_t blue_pos, blue_size;
};

/*
 * The result of mb2_parse. Pointers point into the caller's blob; offsets are from
 * the start of the blob. When a tag appears more than once, the first one counts.
 */
struct mb2_info {
    const uint8_t *blob;
    uint32_t total_size;
    uint32_t end_offset; /* where the end tag starts */

    const char *cmdline;     /* NULL without a command-line tag */
    const char *loader_name; /* NULL without a boot-loader-name tag */

    const uint8_t *mmap; /* first entry of the type-6 tag, NULL without one */
    uint32_t mmap_entry_size;
    uint32_t mmap_count;

    /* The type-17 tag's EFI memory map, checked by efi_memmap_parse; count 0 without one. */
    struct efi_memmap efi_mmap;
    uint64_t efi_system_table; /* the type-12 tag's pointer, 0 without one */
    uint64_t efi_image_handle; /* the type-20 tag's (boot services kept), 0 without one */

    uint32_t module_count;
    uint32_t first_module; /* offset of the first module tag (valid when module_count) */

    bool has_framebuffer; /* a type-8 tag of any framebuffer type */
    struct mb2_framebuffer framebuffer;

    /* Offset of the RSDP copy inside the blob, 0 without an ACPI tag; new beats old. */
    uint32_t rsdp_offset;
    uint32_t rsdp_length;
};

struct mb2_mem_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;
};

struct mb2_module {
    uint32_t start;
    uint32_t end; /* exclusive */
    const char *cmdline;
};

/*
 * Validates the information structure at `info` (readable for `avail` bytes) as a
 * whole: magic, alignment, total size, every tag's bounds, every string's NUL, and
 * the entry sizes of the memory maps, and the EFI memory map by efi_memmap_parse's
 * rules. Returns KEEL_OK, a KEEL_E_MB2_* code or efi_memmap_parse's error.
 */
int mb2_parse(uint32_t magic, const void *info, size_t avail, struct mb2_info *out);

/* Entry `index` (< mmap_count) of the type-6 memory map. */
void mb2_mmap_entry(const struct mb2_info *mb, uint32_t index, struct mb2_mem_entry *entry);

/*
 * Module iteration: start with *cursor = 0. Returns true and fills *mod while modules
 * remain. The blob must have passed mb2_parse.
 */
bool mb2_next_module(const struct mb2_info *mb, uint32_t *cursor, struct mb2_module *mod);

#endif

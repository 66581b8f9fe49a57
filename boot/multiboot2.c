/* SPDX-License-Identifier: MIT */
/* Multiboot2 information-structure parser: never trusts the blob, never panics. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>

#include "bytes.h"
#include "multiboot2.h"

#define MB2_HEADER_SIZE 8u
#define MB2_TAG_HEADER_SIZE 8u
#define MB2_MODULE_FIXED 16u /* type, size, mod_start, mod_end */
#define MB2_MMAP_FIXED 16u   /* type, size, entry_size, entry_version */
#define MB2_MMAP_MIN_ENTRY 24u
#define MB2_EFI_MMAP_FIXED 16u /* type, size, descriptor_size, descriptor_version */
#define MB2_EFI64_SIZE 16u     /* type, size, pointer */
#define MB2_FB_FIXED 31u       /* through framebuffer_type */
#define MB2_FB_RGB_SIZE 38u    /* the six colour field bytes start at offset 32 */
#define MB2_RSDP_V1_SIZE 20u
#define MB2_RSDP_V2_SIZE 36u

static uint32_t align8(uint32_t v)
{
    return (v + 7u) & ~7u;
}

static int parse_tag(struct mb2_info *out, uint32_t off, uint32_t type, uint32_t size)
{
    const uint8_t *tag = out->blob + off;

    switch (type) {
    case MB2_TAG_CMDLINE:
    case MB2_TAG_LOADER_NAME:
        if (bounded_strlen(tag + MB2_TAG_HEADER_SIZE, size - MB2_TAG_HEADER_SIZE) < 0) {
            return KEEL_E_MB2_STRING;
        }
        if (type == MB2_TAG_CMDLINE && out->cmdline == NULL) {
            out->cmdline = (const char *)(tag + MB2_TAG_HEADER_SIZE);
        } else if (type == MB2_TAG_LOADER_NAME && out->loader_name == NULL) {
            out->loader_name = (const char *)(tag + MB2_TAG_HEADER_SIZE);
        }
        return KEEL_OK;
    case MB2_TAG_MODULE:
        if (size < MB2_MODULE_FIXED) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        if (bounded_strlen(tag + MB2_MODULE_FIXED, size - MB2_MODULE_FIXED) < 0) {
            return KEEL_E_MB2_STRING;
        }
        if (load_le32(tag + 12) < load_le32(tag + 8)) {
            return KEEL_E_MB2_MODULE_RANGE;
        }
        if (out->module_count == 0) {
            out->first_module = off;
        }
        out->module_count++;
        return KEEL_OK;
    case MB2_TAG_MMAP: {
        if (size < MB2_MMAP_FIXED) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        uint32_t entry_size = load_le32(tag + 8);
        if (entry_size < MB2_MMAP_MIN_ENTRY || entry_size % 8 != 0) {
            return KEEL_E_MB2_MMAP_ENTRY_SIZE;
        }
        if ((size - MB2_MMAP_FIXED) % entry_size != 0) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        if (out->mmap == NULL) {
            out->mmap = tag + MB2_MMAP_FIXED;
            out->mmap_entry_size = entry_size;
            out->mmap_count = (size - MB2_MMAP_FIXED) / entry_size;
        }
        return KEEL_OK;
    }
    case MB2_TAG_EFI_MMAP: {
        if (size < MB2_EFI_MMAP_FIXED) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        struct efi_memmap m;
        int err = efi_memmap_parse(tag + MB2_EFI_MMAP_FIXED, size - MB2_EFI_MMAP_FIXED,
                                   load_le32(tag + 8), load_le32(tag + 12), &m);
        if (err == KEEL_OK && out->efi_mmap.count == 0) {
            out->efi_mmap = m;
        }
        return err;
    }
    case MB2_TAG_EFI64:
    case MB2_TAG_EFI64_IMAGE: {
        if (size < MB2_EFI64_SIZE) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        uint64_t *field = type == MB2_TAG_EFI64 ? &out->efi_system_table : &out->efi_image_handle;
        if (*field == 0) {
            *field = load_le64(tag + 8);
        }
        return KEEL_OK;
    }
    case MB2_TAG_FRAMEBUFFER: {
        if (size < MB2_FB_FIXED) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        uint8_t fb_type = tag[29];
        if (fb_type == MB2_FB_TYPE_RGB && size < MB2_FB_RGB_SIZE) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        if (out->has_framebuffer) {
            return KEEL_OK;
        }
        struct mb2_framebuffer *fb = &out->framebuffer;
        memset(fb, 0, sizeof(*fb));
        fb->addr = load_le64(tag + 8);
        fb->pitch = load_le32(tag + 16);
        fb->width = load_le32(tag + 20);
        fb->height = load_le32(tag + 24);
        fb->bpp = tag[28];
        fb->type = fb_type;
        if (fb_type == MB2_FB_TYPE_RGB) {
            fb->red_pos = tag[32];
            fb->red_size = tag[33];
            fb->green_pos = tag[34];
            fb->green_size = tag[35];
            fb->blue_pos = tag[36];
            fb->blue_size = tag[37];
        }
        out->has_framebuffer = true;
        return KEEL_OK;
    }
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW: {
        uint32_t need = type == MB2_TAG_ACPI_OLD ? MB2_RSDP_V1_SIZE : MB2_RSDP_V2_SIZE;
        if (size < MB2_TAG_HEADER_SIZE + need) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        /* The ACPI 2.0 copy carries the XSDT address, so it wins over the 1.0 one. */
        if (out->rsdp_offset == 0 ||
            (type == MB2_TAG_ACPI_NEW && out->rsdp_length < MB2_RSDP_V2_SIZE)) {
            out->rsdp_offset = off + MB2_TAG_HEADER_SIZE;
            out->rsdp_length = size - MB2_TAG_HEADER_SIZE;
        }
        return KEEL_OK;
    }
    default:
        return KEEL_OK;
    }
}

int mb2_parse(uint32_t magic, const void *info, size_t avail, struct mb2_info *out)
{
    memset(out, 0, sizeof(*out));
    if (magic != MB2_BOOTLOADER_MAGIC) {
        return KEEL_E_MB2_MAGIC;
    }
    if (info == NULL || ((uintptr_t)info & 7u) != 0) {
        return KEEL_E_MB2_ALIGN;
    }
    if (avail < MB2_HEADER_SIZE) {
        return KEEL_E_MB2_TOTAL_SIZE;
    }
    const uint8_t *blob = info;
    uint32_t total = load_le32(blob);
    /* The smallest valid structure is the 8-byte header plus the 8-byte end tag. */
    if (total < MB2_HEADER_SIZE + MB2_TAG_HEADER_SIZE || total > avail) {
        return KEEL_E_MB2_TOTAL_SIZE;
    }
    out->blob = blob;
    out->total_size = total;

    uint32_t off = MB2_HEADER_SIZE;
    while (off < total) {
        if (total - off < MB2_TAG_HEADER_SIZE) {
            return KEEL_E_MB2_TAG_TRUNCATED;
        }
        uint32_t type = load_le32(blob + off);
        uint32_t size = load_le32(blob + off + 4);
        if (size < MB2_TAG_HEADER_SIZE) {
            return KEEL_E_MB2_TAG_ZERO_SIZE;
        }
        if (size > total - off) {
            return KEEL_E_MB2_TAG_OVERRUN;
        }
        if (type == MB2_TAG_END) {
            out->end_offset = off;
            return KEEL_OK;
        }
        int err = parse_tag(out, off, type, size);
        if (err != KEEL_OK) {
            return err;
        }
        /* size <= total - off < 2^32 - 8, so the padded size cannot overflow. */
        uint32_t step = align8(size);
        if (step > total - off) {
            break;
        }
        off += step;
    }
    return KEEL_E_MB2_NO_END_TAG;
}

void mb2_mmap_entry(const struct mb2_info *mb, uint32_t index, struct mb2_mem_entry *entry)
{
    const uint8_t *e = mb->mmap + (size_t)index * mb->mmap_entry_size;
    entry->base = load_le64(e);
    entry->length = load_le64(e + 8);
    entry->type = load_le32(e + 16);
}

bool mb2_next_module(const struct mb2_info *mb, uint32_t *cursor, struct mb2_module *mod)
{
    uint32_t off = *cursor == 0 ? mb->first_module : *cursor;
    if (mb->module_count == 0 || off == 0) {
        return false;
    }
    /* mb2_parse checked every tag up to the end tag, so this walk stays in bounds. */
    while (off <= mb->total_size - MB2_TAG_HEADER_SIZE) {
        uint32_t type = load_le32(mb->blob + off);
        uint32_t size = load_le32(mb->blob + off + 4);
        if (type == MB2_TAG_END || size < MB2_TAG_HEADER_SIZE || size > mb->total_size - off) {
            break;
        }
        uint32_t next = off + align8(size);
        if (type == MB2_TAG_MODULE) {
            mod->start = load_le32(mb->blob + off + 8);
            mod->end = load_le32(mb->blob + off + 12);
            mod->cmdline = (const char *)(mb->blob + off + MB2_MODULE_FIXED);
            *cursor = next >= mb->total_size ? UINT32_MAX : next;
            return true;
        }
        if (next <= off) {
            break;
        }
        off = next;
    }
    *cursor = UINT32_MAX;
    return false;
}

/* SPDX-License-Identifier: MIT */
/* Checks a loader's framebuffer record: pixel format, size arithmetic and placement. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb_check.h>

#define FB_FIELD_MAX_BITS 16u
#define ACPI_RSDP_V2_SIZE 36u

/* Adds [pos, pos + size) to *used; false when it is empty, outside bpp or overlaps. */
static bool claim_field(uint64_t *used, unsigned pos, unsigned size, unsigned bpp)
{
    if (size == 0 || size > FB_FIELD_MAX_BITS || pos + size > bpp) {
        return false;
    }
    uint64_t mask = ((UINT64_C(1) << size) - 1) << pos;
    if (*used & mask) {
        return false;
    }
    *used |= mask;
    return true;
}

int fb_format_check(const struct bi_framebuffer *fb)
{
    if (fb->width == 0 || fb->height == 0) {
        return KEEL_E_FB_SIZE;
    }
    if (fb->bpp != 24 && fb->bpp != 32) {
        return KEEL_E_FB_FORMAT;
    }
    uint64_t used = 0;
    if (!claim_field(&used, fb->red_pos, fb->red_size, fb->bpp) ||
        !claim_field(&used, fb->green_pos, fb->green_size, fb->bpp) ||
        !claim_field(&used, fb->blue_pos, fb->blue_size, fb->bpp)) {
        return KEEL_E_FB_FORMAT;
    }
    /* width * bytes fits easily (2^32 * 4); pitch * height fits too, but not base + it. */
    uint64_t row_bytes = (uint64_t)fb->width * (fb->bpp / 8u);
    if (fb->pitch < row_bytes) {
        return KEEL_E_FB_OVERFLOW;
    }
    uint64_t size = (uint64_t)fb->pitch * fb->height;
    if (fb->base > UINT64_MAX - size) {
        return KEEL_E_FB_OVERFLOW;
    }
    return KEEL_OK;
}

/* Whether [base, base + size) meets [lo, hi]; size 0 meets nothing. hi is inclusive. */
static bool meets(uint64_t base, uint64_t size, uint64_t lo, uint64_t hi)
{
    if (size == 0) {
        return false;
    }
    uint64_t last = size - 1 > UINT64_MAX - base ? UINT64_MAX : base + (size - 1);
    return base <= hi && lo <= last;
}

/* The ranges bi names directly: they may hide under the shim's own framebuffer range. */
static bool meets_named_range(const struct boot_info *bi, uint64_t lo, uint64_t hi)
{
    if (meets(bi->kernel_base, bi->kernel_size, lo, hi) ||
        meets(bi->info_base, bi->info_size, lo, hi) || meets(bi->dtb_base, bi->dtb_size, lo, hi) ||
        meets(bi->initrd_base, bi->initrd_size, lo, hi) ||
        (bi->rsdp != 0 && meets(bi->rsdp, ACPI_RSDP_V2_SIZE, lo, hi))) {
        return true;
    }
    for (uint32_t i = 0; i < bi->module_count; i++) {
        if (meets(bi->modules[i].base, bi->modules[i].size, lo, hi)) {
            return true;
        }
    }
    return false;
}

int fb_check(const struct boot_info *bi, const struct bi_framebuffer *fb)
{
    int err = fb_format_check(fb);
    if (err != KEEL_OK) {
        return err;
    }
    if (bi->mem_count > BI_MEM_MAX || bi->module_count > BI_MODULE_MAX) {
        return KEEL_E_INVALID;
    }

    uint64_t size = (uint64_t)fb->pitch * fb->height;
    uint64_t lo = fb->base;
    uint64_t hi = fb->base + (size - 1); /* fb_format_check ruled out the wrap */
    if (lo == 0 || hi >= FB_PHYS_LIMIT) {
        return KEEL_E_FB_PLACEMENT;
    }
    if (meets_named_range(bi, lo, hi)) {
        return KEEL_E_FB_PLACEMENT;
    }

    /*
     * The map is sorted and disjoint, so one pass finds whether the ranges that meet
     * the framebuffer are all framebuffer or reserved and leave no gap. An unsorted
     * map shows up as a gap and is refused, which is the safe answer.
     */
    bool met = false;
    bool covered = false;
    uint64_t next = lo; /* the lowest framebuffer byte no range has covered yet */
    for (uint32_t i = 0; i < bi->mem_count; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        if (!meets(r->base, r->size, lo, hi)) {
            continue;
        }
        if (r->type != BI_MEM_FRAMEBUFFER && r->type != BI_MEM_RESERVED) {
            return KEEL_E_FB_PLACEMENT;
        }
        uint64_t last = r->size - 1 > UINT64_MAX - r->base ? UINT64_MAX : r->base + (r->size - 1);
        if (!covered) {
            if (r->base > next) {
                return KEEL_E_FB_PLACEMENT; /* part of it lies in a hole, part in a range */
            }
            if (last >= hi) {
                covered = true;
            } else if (last >= next) {
                next = last + 1;
            }
        }
        met = true;
    }
    if (met && !covered) {
        return KEEL_E_FB_PLACEMENT;
    }
    return KEEL_OK;
}

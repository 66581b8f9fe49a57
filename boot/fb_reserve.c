/* SPDX-License-Identifier: MIT */
/* Carving a framebuffer Keel sets up itself (ramfb) out of usable RAM in boot_info's map. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/memmap.h>

#define FB_RESERVE_LIMIT (UINT64_C(1) << 32)

/*
 * The map plus the new range, and the normaliser's output. Static rather than on the
 * stack (48 KiB); this runs once, on the boot CPU, right after the shim.
 */
static struct bi_mem_range fb_scratch_in[BI_MEM_MAX + 1];
static struct bi_mem_range fb_scratch_out[BI_MEM_MAX];

/*
 * The highest `align`-aligned base at which `size` bytes fit inside one usable range
 * and below 4 GiB, or false when no range has room.
 */
static bool highest_fit(const struct boot_info *bi, uint64_t size, uint64_t align, uint64_t *pa)
{
    bool found = false;
    for (uint32_t i = 0; i < bi->mem_count && i < BI_MEM_MAX; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        if (r->type != BI_MEM_USABLE || r->size == 0 || r->base >= FB_RESERVE_LIMIT) {
            continue;
        }
        uint64_t end = r->size > FB_RESERVE_LIMIT - r->base ? FB_RESERVE_LIMIT : r->base + r->size;
        if (end - r->base < size) {
            continue;
        }
        uint64_t base = (end - size) & ~(align - 1);
        if (base < r->base) {
            continue;
        }
        if (!found || base > *pa) {
            *pa = base;
            found = true;
        }
    }
    return found;
}

int bi_reserve_framebuffer(struct boot_info *bi, uint64_t size, uint64_t align, uint64_t *pa)
{
    if (size == 0 || size > FB_RESERVE_LIMIT || (align & (align - 1)) != 0 ||
        bi->mem_count > BI_MEM_MAX) {
        return KEEL_E_INVALID;
    }
    size = (size + MEMMAP_PAGE_SIZE - 1) & ~(uint64_t)(MEMMAP_PAGE_SIZE - 1);
    if (align < MEMMAP_PAGE_SIZE) {
        align = MEMMAP_PAGE_SIZE;
    }

    /* The preferred alignment first (large pages for the mapping), then any page. */
    uint64_t base = 0;
    if (!highest_fit(bi, size, align, &base) &&
        (align == MEMMAP_PAGE_SIZE || !highest_fit(bi, size, MEMMAP_PAGE_SIZE, &base))) {
        return KEEL_E_FB_NO_ROOM;
    }

    /*
     * The map is already normalised, so normalising it again with one more range only
     * retypes that block (framebuffer outranks usable) and splits its range around it.
     * bi->mem is replaced only when that succeeded.
     */
    size_t count = bi->mem_count;
    memcpy(fb_scratch_in, bi->mem, count * sizeof(bi->mem[0]));
    fb_scratch_in[count] = (struct bi_mem_range){
        .base = base,
        .size = size,
        .type = BI_MEM_FRAMEBUFFER,
        .source = BI_SRC_FRAMEBUFFER,
    };
    size_t out_count = 0;
    int err = memmap_normalise(fb_scratch_in, count + 1, fb_scratch_out, BI_MEM_MAX, &out_count);
    if (err != KEEL_OK) {
        return err;
    }
    memcpy(bi->mem, fb_scratch_out, out_count * sizeof(bi->mem[0]));
    bi->mem_count = (uint32_t)out_count;
    *pa = base;
    return KEEL_OK;
}

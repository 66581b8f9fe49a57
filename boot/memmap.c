/* SPDX-License-Identifier: MIT */
/* The memory-map normaliser: a boundary sweep over typed ranges, with no allocator. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/memmap.h>

#define PAGE_MASK ((uint64_t)MEMMAP_PAGE_SIZE - 1)

/*
 * Ranges are handled as inclusive [first, last] so that a range ending exactly at
 * 2^64 needs no special case. After rounding, every first is page-aligned and every
 * last is one byte before a page boundary (or UINT64_MAX).
 */
struct span {
    uint64_t first;
    uint64_t last;
};

/* The range after rounding; false when a usable range holds no whole page above page 0. */
static bool effective(const struct bi_mem_range *r, struct span *s)
{
    uint64_t last = r->base + (r->size - 1);
    if (r->type == BI_MEM_USABLE) {
        /* Inward: the first whole page to the last whole page, never page 0. */
        uint64_t first = r->base < MEMMAP_PAGE_SIZE ? MEMMAP_PAGE_SIZE : r->base;
        if (first & PAGE_MASK) {
            if (first > UINT64_MAX - PAGE_MASK) {
                return false;
            }
            first = (first + PAGE_MASK) & ~PAGE_MASK;
        }
        if ((last & PAGE_MASK) != PAGE_MASK) {
            if (last < MEMMAP_PAGE_SIZE) {
                return false;
            }
            last = (last & ~PAGE_MASK) - 1;
        }
        if (first > last) {
            return false;
        }
        s->first = first;
        s->last = last;
        return true;
    }
    s->first = r->base & ~PAGE_MASK;
    s->last = last | PAGE_MASK;
    return true;
}

int memmap_normalise(const struct bi_mem_range *in, size_t in_count, struct bi_mem_range *out,
                     size_t out_cap, size_t *out_count)
{
    *out_count = 0;
    bool any = false;
    uint64_t cursor = UINT64_MAX;
    for (size_t i = 0; i < in_count; i++) {
        if (in[i].size == 0) {
            return KEEL_E_MEM_ZERO_SIZE;
        }
        if (in[i].size - 1 > UINT64_MAX - in[i].base) {
            return KEEL_E_MEM_WRAP;
        }
        if (in[i].type < BI_MEM_USABLE || in[i].type > BI_MEM_TYPE_MAX) {
            return KEEL_E_MEM_TYPE;
        }
        struct span s;
        if (effective(&in[i], &s) && s.first <= cursor) {
            cursor = s.first;
            any = true;
        }
    }

    /*
     * Sweep from the lowest boundary upwards. At each point, the winner is the covering
     * range with the largest type (ties: the smallest source, so the result does not
     * depend on input order), and the next point is the nearest boundary above it.
     * That is O(n^2) in the number of inputs and independent of the amount of RAM.
     */
    size_t count = 0;
    bool usable = false;
    while (any) {
        uint32_t type = 0;
        uint32_t source = 0;
        bool have_next = false;
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < in_count; i++) {
            struct span s;
            if (!effective(&in[i], &s)) {
                continue;
            }
            if (s.first <= cursor && cursor <= s.last) {
                if (in[i].type > type || (in[i].type == type && in[i].source < source)) {
                    type = in[i].type;
                    source = in[i].source;
                }
                if (s.last != UINT64_MAX && s.last + 1 <= next) {
                    next = s.last + 1;
                    have_next = true;
                }
            } else if (s.first > cursor && s.first <= next) {
                next = s.first;
                have_next = true;
            }
        }
        uint64_t last = have_next ? next - 1 : UINT64_MAX;
        if (type != 0) {
            if (cursor == 0 && last == UINT64_MAX) {
                /* One range covers the whole address space, so page 0 made it non-usable. */
                return KEEL_E_MEM_NO_USABLE;
            }
            struct bi_mem_range *prev = count > 0 ? &out[count - 1] : NULL;
            if (prev != NULL && prev->type == type && prev->source == source &&
                prev->base + prev->size == cursor) {
                prev->size += last - cursor + 1;
            } else {
                if (count == out_cap) {
                    return KEEL_E_MEM_TOO_MANY;
                }
                out[count].base = cursor;
                out[count].size = last - cursor + 1;
                out[count].type = type;
                out[count].source = source;
                count++;
            }
            usable |= type == BI_MEM_USABLE;
        }
        if (!have_next) {
            break;
        }
        cursor = next;
    }
    if (!usable) {
        return KEEL_E_MEM_NO_USABLE;
    }
    *out_count = count;
    return KEEL_OK;
}

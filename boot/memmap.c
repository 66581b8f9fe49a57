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

/* The classes of claimed ranges that the overlap rule speaks of (keel/memmap.h). */
enum claim {
    CLAIM_NONE,
    CLAIM_KERNEL,
    CLAIM_INFO,
    CLAIM_MODULE,
    CLAIM_FRAMEBUFFER,
    CLAIM_FIRMWARE,
    CLAIM_COUNT,
};

static const uint8_t claim_of_type[BI_MEM_TYPE_MAX + 1] = {
    [BI_MEM_KERNEL] = CLAIM_KERNEL,
    [BI_MEM_BOOT_INFO] = CLAIM_INFO,
    [BI_MEM_MODULE] = CLAIM_MODULE,
    [BI_MEM_FRAMEBUFFER] = CLAIM_FRAMEBUFFER,
    [BI_MEM_ACPI_RECLAIMABLE] = CLAIM_FIRMWARE,
    [BI_MEM_ACPI_NVS] = CLAIM_FIRMWARE,
    [BI_MEM_EFI_RUNTIME] = CLAIM_FIRMWARE,
    [BI_MEM_RESERVED] = CLAIM_FIRMWARE,
    [BI_MEM_BAD] = CLAIM_FIRMWARE,
};

/* The rule's upper triangle, [smaller class][larger class]; KEEL_OK where allowed. */
static const uint8_t overlap_rule[CLAIM_COUNT][CLAIM_COUNT] = {
    [CLAIM_KERNEL] =
        {
            [CLAIM_INFO] = KEEL_E_OVERLAP_INFO_KERNEL,
            [CLAIM_MODULE] = KEEL_E_MODULE_OVERLAPS_KERNEL,
            [CLAIM_FRAMEBUFFER] = KEEL_E_FB_PLACEMENT,
            [CLAIM_FIRMWARE] = KEEL_E_OVERLAP_KERNEL_RESERVED,
        },
    [CLAIM_INFO] =
        {
            [CLAIM_MODULE] = KEEL_E_OVERLAP_MODULE_INFO,
            [CLAIM_FRAMEBUFFER] = KEEL_E_FB_PLACEMENT,
        },
    [CLAIM_MODULE] =
        {
            [CLAIM_MODULE] = KEEL_E_OVERLAP_MODULES,
            [CLAIM_FRAMEBUFFER] = KEEL_E_FB_PLACEMENT,
            [CLAIM_FIRMWARE] = KEEL_E_OVERLAP_MODULE_RESERVED,
        },
};

_Static_assert(KEEL_E_COUNT <= 256, "overlap_rule stores error codes in bytes");

static enum claim claim_of(uint32_t type)
{
    return type <= BI_MEM_TYPE_MAX ? (enum claim)claim_of_type[type] : CLAIM_NONE;
}

/* Every entry on its own: a size, no wrap past 2^64, a known type. */
static int check_entries(const struct bi_mem_range *in, size_t in_count)
{
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
    }
    return KEEL_OK;
}

int memmap_check_overlaps(const struct bi_mem_range *in, size_t in_count)
{
    int err = check_entries(in, in_count);

    for (size_t i = 0; i < in_count && err == KEEL_OK; i++) {
        enum claim a = claim_of(in[i].type);
        if (a == CLAIM_NONE) {
            continue;
        }
        uint64_t a_last = in[i].base + (in[i].size - 1);
        for (size_t j = i + 1; j < in_count; j++) {
            enum claim b = claim_of(in[j].type);
            if (b == CLAIM_NONE) {
                continue;
            }
            int rule = a <= b ? overlap_rule[a][b] : overlap_rule[b][a];
            uint64_t b_last = in[j].base + (in[j].size - 1);
            if (rule != KEEL_OK && in[i].base <= b_last && in[j].base <= a_last) {
                return rule;
            }
        }
    }
    return err;
}

int memmap_normalise(const struct bi_mem_range *in, size_t in_count, struct bi_mem_range *out,
                     size_t out_cap, size_t *out_count)
{
    *out_count = 0;
    bool any = false;
    uint64_t cursor = UINT64_MAX;
    int err = check_entries(in, in_count);
    if (err != KEEL_OK) {
        return err;
    }
    for (size_t i = 0; i < in_count; i++) {
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

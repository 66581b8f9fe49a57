/* SPDX-License-Identifier: MIT */
/* The memory-map normaliser: overlapping typed ranges in, one clean map out. */
#ifndef KEEL_MEMMAP_H
#define KEEL_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>

#define MEMMAP_PAGE_SIZE 4096u

/*
 * Normalises `in` (any order, overlaps allowed) into `out`:
 *  - sorted by base, disjoint, and adjacent ranges of the same type and source merged;
 *  - where ranges overlap the larger enum bi_mem_type wins (reserved beats usable);
 *  - usable RAM is rounded inward to 4 KiB, everything else outward;
 *  - page 0 is never usable.
 * Fails with KEEL_E_MEM_ZERO_SIZE, KEEL_E_MEM_WRAP or KEEL_E_MEM_TYPE for a bad
 * input entry, KEEL_E_MEM_TOO_MANY when `out_cap` is too small, and
 * KEEL_E_MEM_NO_USABLE when no usable page is left. Uses no allocator.
 */
int memmap_normalise(const struct bi_mem_range *in, size_t in_count,
                     struct bi_mem_range *out, size_t out_cap, size_t *out_count);

#endif

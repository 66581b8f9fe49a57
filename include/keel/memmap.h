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
int memmap_normalise(const struct bi_mem_range *in, size_t in_count, struct bi_mem_range *out,
                     size_t out_cap, size_t *out_count);

/*
 * The one rule for what may overlap what. The claimed ranges fall into five classes:
 * the kernel image, the loader's structure (DTB or multiboot2 information), modules
 * (the initrd included), the framebuffer, and firmware memory (reserved, ACPI, bad).
 * For each pair of classes the rule either lets two ranges share bytes (the
 * normaliser's precedence then decides) or refuses them with the pair's own error:
 *
 *              kernel         info              module            framebuffer  firmware
 *  kernel      -              INFO_KERNEL       MODULE_OVERLAPS_  FB_PLACEMENT KERNEL_RESERVED
 *                                               KERNEL
 *  info                       -                 MODULE_INFO       FB_PLACEMENT allowed
 *  module                                       MODULES           FB_PLACEMENT MODULE_RESERVED
 *  framebuffer                                                    allowed      allowed
 *  firmware                                                                    allowed
 *
 * (errors are KEEL_E_OVERLAP_<name>, or KEEL_E_<name> where it says so). The loader's
 * structure may lie in memory the firmware keeps: Keel only reads it, and reserved
 * outranks boot_info, so those pages are never reclaimed. A framebuffer may lie in a
 * reserved MMIO hole. Usable and bootloader-reclaimable RAM are no claims: anything
 * may lie in them. Overlap means a shared byte, not a shared page: a module may end in
 * the page where the loader's structure begins. Returns the normaliser's error for a
 * bad entry (KEEL_E_MEM_ZERO_SIZE, _WRAP, _TYPE) first, then the first refused pair's
 * error in input order, or KEEL_OK.
 */
int memmap_check_overlaps(const struct bi_mem_range *in, size_t in_count);

/*
 * Takes `size` bytes (rounded up to whole pages) of usable RAM for a framebuffer that
 * Keel sets up itself (ramfb): the block sits at the top of the highest usable range
 * below 4 GiB that can hold it, aligned to `align` (a power of two; a page at least)
 * where some range allows that and to a page otherwise. bi->mem is normalised again
 * with the block typed BI_MEM_FRAMEBUFFER, source BI_SRC_FRAMEBUFFER, and *pa receives
 * its base. Fails with KEEL_E_INVALID for a zero size, a size above 4 GiB or an
 * alignment that is no power of two, KEEL_E_FB_NO_ROOM when no usable range below
 * 4 GiB is large enough, or the normaliser's error; bi is unchanged on failure.
 */
int bi_reserve_framebuffer(struct boot_info *bi, uint64_t size, uint64_t align, uint64_t *pa);

#endif

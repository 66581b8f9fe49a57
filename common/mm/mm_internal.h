/* SPDX-License-Identifier: MIT */
/* State shared by the files of the memory sequence (common/mm), and nothing else. */
#ifndef KEEL_MM_INTERNAL_H
#define KEEL_MM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/alloc_fail.h>
#include <keel/mm.h>
#include <keel/report.h>

struct mm_state {
    const struct boot_info *bi; /* the normalised map the direct map was built from */
    struct frame_alloc frames;
    struct frame_extent *boot_extents; /* the static storage used before the heap */
    struct alloc_fail fail;            /* keel.fail_alloc, shared by frames and heap */
    struct heap heap;
    struct address_space boot_as; /* the address space until the heap is up */
    struct address_space *as;     /* &boot_as, then its copy on the heap (km->as) */
    bool live;                    /* the kernel's table is the one the CPU uses */
    uint64_t heap_mapped;
    uint64_t boot_guard;     /* virtual address of the boot stack's guard page */
    uint64_t boot_info_size; /* bytes mapped at BOOT_INFO_VBASE */
    bool boot_info_reclaimed;
    uint64_t console_va;
    struct fb_mapping fb_map; /* vbase 0: no framebuffer mapped */
    uint64_t stack_count;     /* slots handed out by mm_stack_alloc */
    uint64_t allocations;     /* frame and heap allocations the sequence made */
};

extern struct mm_state mm;

/* Step 4: walks the new table; KEEL_OK or a KEEL_E_MM_AUDIT_* code. */
int mm_audit(const struct address_space *as, const struct kernel_memory *km);

#endif

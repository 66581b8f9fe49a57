/* SPDX-License-Identifier: MIT */
/* The physical frame allocator: RAM as sorted extents, each free or owned by one owner. */
#ifndef KEEL_FRAME_ALLOC_H
#define KEEL_FRAME_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/alloc_fail.h>
#include <keel/boot_info.h>

/*
 * Who a frame belongs to. Every frame of the allocator's RAM is at all times either
 * free or owned by exactly one of these; frame_owner_name() gives the report's names.
 */
enum frame_owner {
    FRAME_OWNER_FREE = 0,
    FRAME_OWNER_KERNEL = 1,           /* "kernel": Keel's image (BI_MEM_KERNEL) */
    FRAME_OWNER_MODULES = 2,          /* "modules": BI_MEM_MODULE ranges */
    FRAME_OWNER_BOOT_INFO = 3,        /* "boot_info": BI_MEM_BOOT_INFO (info structure, DTB) */
    FRAME_OWNER_BOOT_PAGE_TABLES = 4, /* "boot_page_tables": the entry code's live tables */
    FRAME_OWNER_PAGE_TABLES = 5,      /* "page_tables": tables Keel builds */
    FRAME_OWNER_HEAP = 6,             /* "heap": pages behind the kernel heap */
    FRAME_OWNER_STACKS = 7,           /* "stacks": kernel and CPU stacks */
    FRAME_OWNER_CPU_START = 8, /* "cpu_start": low memory a CPU start needs (x86 trampoline) */
    FRAME_OWNER_COUNT = 9,
};

/*
 * A run of frames [pfn, pfn + count) with one owner. The array is sorted by pfn,
 * extents never overlap, and two extents that touch never have the same owner (they
 * are merged), so its length depends on fragmentation, not on the size of RAM.
 * Holes between extents are not RAM.
 */
struct frame_extent {
    uint64_t pfn;   /* first frame number (physical address / PAGE_SIZE) */
    uint64_t count; /* frames; never 0 */
    uint32_t owner; /* enum frame_owner */
    uint32_t reserved;
};

struct frame_alloc;

/*
 * Called after an operation when fewer than FRAME_ALLOC_SPARE extent slots are left.
 * It should obtain room for at least `min_cap` extents (from the heap, once there is
 * one), call frame_alloc_move_storage() and release the old storage if it owned it.
 * It may allocate frames itself (through the heap's own growth, say): the spare slots
 * are there for that, and the allocator does not call it again while it runs. A
 * failure (non-zero return) is not fatal: the allocator keeps working in the room it
 * has and asks again after the next operation.
 */
typedef int (*frame_grow_fn)(void *ctx, struct frame_alloc *fa, size_t min_cap);

#define FRAME_ALLOC_SPARE 16u

/* Read-only for callers; change it only through the functions below. */
struct frame_alloc {
    struct frame_extent *extents;
    size_t extent_count;
    size_t extent_cap;

    uint64_t frames_total; /* frames of RAM the allocator manages */
    uint64_t frames_free;
    uint64_t frames_by_owner[FRAME_OWNER_COUNT]; /* [FRAME_OWNER_FREE] stays 0 */

    /* While set, only runs it reaches are handed out (frame_alloc_set_window). */
    bool (*window)(void *ctx, uint64_t pa, uint64_t len);
    void *window_ctx;
    struct alloc_fail *fail; /* failure injection; NULL = off */
    frame_grow_fn grow;      /* NULL = storage never grows by itself */
    void *grow_ctx;
    bool in_grow;

    uint64_t alloc_calls; /* statistics for the boot report */
    uint64_t free_calls;
};

/*
 * Builds the allocator from a normalised memory map (struct boot_info's mem[]):
 * BI_MEM_USABLE ranges become free, BI_MEM_KERNEL, BI_MEM_MODULE and BI_MEM_BOOT_INFO
 * ranges become RAM owned by FRAME_OWNER_KERNEL, _MODULES and _BOOT_INFO. Every other
 * type is not RAM to the allocator. Usable ranges are rounded inward to whole frames,
 * owned ones outward; page 0 is never part of RAM, so it is never handed out. Cost
 * is linear in `mem_count`, whatever the size of RAM. `storage` (often a static
 * array) holds the extents until frame_alloc_move_storage(). Fails with
 * KEEL_E_FRAME_MAP when the map is unsorted or wraps, KEEL_E_FRAME_EXTENTS_FULL when
 * `storage_cap` is too small, KEEL_E_INVALID for bad arguments.
 */
int frame_alloc_init(struct frame_alloc *fa, const struct bi_mem_range *mem, size_t mem_count,
                     struct frame_extent *storage, size_t storage_cap);

/*
 * Gives the free frames [base, base + count * PAGE_SIZE) to `owner` (e.g. the live
 * boot page tables to FRAME_OWNER_BOOT_PAGE_TABLES). `base` must be page-aligned.
 * Fails without any change with KEEL_E_FRAME_NOT_RAM when part of the range is not
 * RAM, KEEL_E_FRAME_NOT_FREE when part of it is owned already.
 */
int frame_alloc_reserve(struct frame_alloc *fa, paddr_t base, uint64_t count,
                        enum frame_owner owner);

/* One frame for `owner`. Fails with KEEL_E_NO_MEMORY or KEEL_E_ALLOC_INJECTED. */
int frame_alloc_one(struct frame_alloc *fa, enum frame_owner owner, paddr_t *out);

/*
 * `count` contiguous frames whose first frame number is a multiple of `align` (a
 * power of two, in frames), for `owner`. The lowest fitting address wins. Fails with
 * KEEL_E_NO_MEMORY, KEEL_E_ALLOC_INJECTED, KEEL_E_FRAME_EXTENTS_FULL or KEEL_E_INVALID;
 * a failure changes nothing but the failure-injection counter.
 */
int frame_alloc_run(struct frame_alloc *fa, uint64_t count, uint64_t align, enum frame_owner owner,
                    paddr_t *out);

/*
 * One frame that ends at or below `limit` (exclusive; e.g. below 1 MiB for code a CPU
 * runs in real mode), for `owner`; the lowest free one wins, and the allocator's own
 * limit (frame_alloc_set_limit) still applies. Fails as frame_alloc_run does.
 */
int frame_alloc_below(struct frame_alloc *fa, paddr_t limit, enum frame_owner owner, paddr_t *out);

/*
 * Returns [base, base + count * PAGE_SIZE) from `owner` to the free pool. Every frame
 * must be RAM owned by `owner`; otherwise nothing changes and the result is
 * KEEL_E_FRAME_NOT_RAM, KEEL_E_FRAME_DOUBLE_FREE (some frame is free already) or
 * KEEL_E_FRAME_WRONG_OWNER.
 */
int frame_free(struct frame_alloc *fa, paddr_t base, uint64_t count, enum frame_owner owner);

/*
 * Allocations after this call hand out only runs that `window(ctx, pa, bytes)` accepts:
 * what the boot 1:1 window reaches before the switch, whatever its shape. Within a free
 * extent the stride between candidate runs doubles on each miss, and a hit is followed
 * back to where the window begins, so a stretch the window does not reach costs a few
 * dozen calls whatever its size; the lowest reachable run wins when the window starts
 * once within the extent (frames of a window with more edges may be passed over, never
 * one outside it handed out). NULL lifts it.
 */
void frame_alloc_set_window(struct frame_alloc *fa,
                            bool (*window)(void *ctx, uint64_t pa, uint64_t len), void *ctx);

/* Attaches a failure-injection counter (NULL detaches). Only allocations count. */
void frame_alloc_set_fail(struct frame_alloc *fa, struct alloc_fail *fail);

/* Installs the grow callback (see frame_grow_fn); NULL removes it. */
void frame_alloc_set_grow(struct frame_alloc *fa, frame_grow_fn grow, void *ctx);

/*
 * Copies the extents into `new_storage` (room for `new_cap`, at least extent_count)
 * and uses it from now on; the old storage is the caller's to release. This is how
 * the bookkeeping moves onto the heap after step 7 of the init sequence.
 */
int frame_alloc_move_storage(struct frame_alloc *fa, struct frame_extent *new_storage,
                             size_t new_cap);

/*
 * Verifies the extents (sorted, disjoint, merged, valid owners) and the accounting
 * (frames_total == frames_free + the sum of frames_by_owner[], each counter equal to
 * its extents). Linear in extent_count; returns KEEL_OK or KEEL_E_FRAME_CORRUPT.
 */
int frame_alloc_check(const struct frame_alloc *fa);

/* The owner of the frame at `pa`, or -1 when it is not RAM. */
int frame_alloc_owner_of(const struct frame_alloc *fa, paddr_t pa);

/* "free", "kernel", "modules", ...; "unknown" for values out of range. Never NULL. */
const char *frame_owner_name(uint32_t owner);

#endif

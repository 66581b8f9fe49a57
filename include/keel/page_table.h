/* SPDX-License-Identifier: MIT */
/* The page-table builder: one walk over every arch's entry encoding, and the memory hooks. */
#ifndef KEEL_PAGE_TABLE_H
#define KEEL_PAGE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/errors.h>
#include <keel/memory.h>

/*
 * The builder is written once, in common/mm/page_table.c. What differs between arches
 * is only how one entry is encoded: each build puts arch/ARCH/include first on the
 * include path, and page_table.c includes that arch's <arch/pte.h> (static inline
 * primitives). The host tests build the same file a third time against a fake arch
 * whose encoding differs from both real ones on purpose.
 *
 * Geometry (every arch; riscv64's is Sv48 or Sv39): 4 KiB granule, 4 levels of 512
 * entries, 48-bit virtual addresses; or one level fewer, 39-bit virtual addresses
 * (pt_ops.va_bits). Level 0 is the root of a four-level tree, level 1 of a three-level
 * one; level 3 holds 4 KiB pages. Leaves can be 4 KiB (level 3), 2 MiB (level 2) or
 * 1 GiB (level 1, only when pt_ops.huge_1g says the CPU has them).
 *
 * Virtual addresses must be canonical (bits 63..va_bits-1 all equal). One root can hold
 * both halves: on aarch64 the lower half is what TTBR0_EL1 translates and the upper half
 * what TTBR1_EL1 translates, so the same root may be loaded into both registers, or
 * two roots may be built, one per register.
 *
 * Nothing here is thread-safe: the caller serialises every call on one table.
 */

/* The rights and memory types (PT_READ... PT_MEM_WC, pt_flags_t) are in keel/memory.h. */

/*
 * Until errors.h has a code of its own for it, a map over a range that is already
 * (partly) mapped returns this.
 */
#define PT_E_MAPPED KEEL_E_PT_MAPPED

/*
 * Where page-table frames come from and how the builder reaches them. The kernel
 * passes the frame allocator and its direct (or identity) map; the host tests pass a
 * fake physical memory.
 *   alloc_frame:   one 4 KiB-aligned 4 KiB frame; returns 0 or an error code. Its
 *                  contents may be anything: the builder initialises every new table.
 *   free_frame:    gives back a frame that alloc_frame returned.
 *   phys_to_virt:  a pointer through which the builder may read and write the whole
 *                  4 KiB frame at pa; never NULL for a frame the builder holds.
 *   tlb_invalidate: NULL while the table is not live. Once it is live, the builder
 *                  calls it after it removes or replaces any entry, for the virtual
 *                  range that entry covered, and before it frees a table frame: the
 *                  callee must invalidate TLB entries and cached table walks for that
 *                  range on every CPU that may use the table (x86: INVLPG per page or a
 *                  CR3 reload; arm64: DSB ISHST, TLBI VAE1IS per page or VMALLE1IS,
 *                  DSB ISH, ISB - not the last-level-only TLBI forms).
 *   huge_1g:       the CPU has 1 GiB pages (x86: CPUID 0x80000001 EDX bit 26,
 *                  Page1GB; always true on arm64 with a 4 KiB granule).
 *   va_bits:       the tree's virtual address width: PT_VA_BITS_MAX (four levels), or
 *                  39 (three levels, a root of 1 GiB entries: RISC-V's Sv39).
 */
#define PT_VA_BITS_MAX 48
struct pt_ops {
    int (*alloc_frame)(void *ctx, paddr_t *out);
    void (*free_frame)(void *ctx, paddr_t pa);
    void *(*phys_to_virt)(void *ctx, paddr_t pa);
    void (*tlb_invalidate)(void *ctx, vaddr_t va, uint64_t size);
    void *ctx;
    bool huge_1g;
    unsigned va_bits;
};

struct page_table {
    paddr_t root;
    struct pt_ops ops;
    int root_level; /* 0 for four levels, 1 for three */
    /* Frames currently holding tables of this tree, the root included. */
    size_t table_pages;
};

/* One leaf: [va, va + size) maps to [pa, pa + size) with flags, as read from the entry. */
struct pt_mapping {
    vaddr_t va;
    paddr_t pa;
    uint64_t size;
    pt_flags_t flags;
};

/*
 * Makes a new, empty tree: one root frame whose entries are all absent. Returns 0,
 * KEEL_E_INVALID (ops incomplete, or a va_bits no whole number of levels gives) or the
 * allocator's error (KEEL_E_NO_MEMORY).
 */
int pt_create(struct page_table *pt, const struct pt_ops *ops);

/*
 * Maps [virt, virt + size) to [phys, phys + size) with flags, using at each step the
 * largest leaf that fits: a 1 GiB or 2 MiB leaf when virt and phys are both aligned to
 * it, the rest of the range covers it and the level allows it (huge_1g for 1 GiB).
 *
 * Returns KEEL_E_INVALID for: virt, phys or size not 4 KiB-aligned; size 0; a range
 * that is not canonical, crosses the canonical hole or leaves the arch's physical
 * address width; flags without PT_READ, with unknown bits or with PT_EXEC on device
 * memory. W+X is not refused here: that is the audit's rule, and the audit is tested
 * with tables that break it.
 *
 * Returns PT_E_MAPPED, and changes nothing, when any page of the range is already
 * mapped: the builder never replaces a mapping silently.
 *
 * All or nothing: when a table frame cannot be allocated, everything this call mapped
 * is unmapped again and the tables it added are freed, so the tree (and table_pages)
 * is exactly as before; the allocator's error is returned.
 */
int pt_map(struct page_table *pt, vaddr_t virt, paddr_t phys, uint64_t size, pt_flags_t flags);

/*
 * Unmaps every page of [virt, virt + size); pages in the range that are not mapped are
 * skipped. A leaf that lies only partly inside the range is first split into a table
 * of smaller leaves with the same rights, which needs a frame: if that allocation fails
 * the allocator's error is returned and no translation has changed (a large leaf may
 * have become an equivalent table of smaller ones). Tables that become empty are
 * freed, so no table but the root is ever empty. Same argument checks as pt_map.
 *
 * On a live table, splitting does break-before-make (absent, tlb_invalidate, table):
 * the range of the large leaf is unmapped in between, so never split a leaf that maps
 * the code doing the split, its stack, or the tables being edited.
 */
int pt_unmap(struct page_table *pt, vaddr_t virt, uint64_t size);

/*
 * Looks up one virtual address. Returns true and fills *out with the leaf that maps it
 * (out->va and out->pa are the leaf's first byte; add va - out->va for the exact byte),
 * or returns false when va is not mapped or not canonical. Decoded from the entries.
 */
bool pt_query(const struct page_table *pt, vaddr_t va, struct pt_mapping *out);

/*
 * Calls visit for every leaf in increasing virtual address order (lower half first),
 * decoded from the entries. A non-zero return from visit stops the walk and is
 * returned; otherwise returns 0. visit must not change the tree.
 */
int pt_walk(const struct page_table *pt, int (*visit)(void *arg, const struct pt_mapping *m),
            void *arg);

/* Counts the table frames reachable from the root (the audit's cross-check of table_pages). */
size_t pt_count_tables(const struct page_table *pt);

/*
 * Frees every table frame, the root included; the mapped frames themselves are not
 * touched. The tree must not be live. pt->table_pages is 0 afterwards.
 */
void pt_destroy(struct page_table *pt);

/*
 * The memory hooks of the common sequence. The arch-specific half of each is its entry encoding
 * (arch/ARCH/include/arch/pte.h); the walk itself is the builder above. Contracts as
 * for the pt_ functions they name. Called from the common init sequence after the frame
 * allocator is up, with the MMU on and the loader's or entry code's tables live; none of
 * them touches a control register: arch_tlb_switch() makes a tree live.
 */
static inline int arch_create_page_table(struct page_table *pt, const struct pt_ops *ops)
{
    return pt_create(pt, ops);
}

static inline int arch_map_section(struct page_table *pt, vaddr_t virt, paddr_t phys, uint64_t size,
                                   pt_flags_t flags)
{
    return pt_map(pt, virt, phys, size, flags);
}

static inline int arch_unmap_section(struct page_table *pt, vaddr_t virt, uint64_t size)
{
    return pt_unmap(pt, virt, size);
}

static inline bool arch_query_mapping(const struct page_table *pt, vaddr_t va,
                                      struct pt_mapping *out)
{
    return pt_query(pt, va, out);
}

#endif

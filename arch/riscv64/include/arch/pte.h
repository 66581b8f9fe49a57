/* SPDX-License-Identifier: MIT */
/* riscv64 Sv48 page-table entries for the common builder. */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/page_table.h>

#include <rv/csr.h>

/*
 * The RISC-V privileged architecture, "Sv48: Page-Based 48-bit Virtual-Memory System":
 * four levels of 512 eight-byte entries over a 4 KiB granule. The level numbers here are
 * the common builder's (0 is the root, 3 holds 4 KiB pages); the specification counts
 * the other way (level 3 is the root).
 *   [0] V, [1] R, [2] W, [3] X, [4] U, [5] G, [6] A, [7] D, [9:8] RSW (for software),
 *   [53:10] PPN (PA[55:12]), [60:54] reserved, [62:61] PBMT (Svpbmt), [63] N (Svnapot).
 * An entry with V set and R, W, X all clear points at the next table (A, D and U must
 * then be clear too); one with R or X set is a leaf at any level, a 1 GiB leaf at
 * level 1 and a 2 MiB leaf at level 2 needing a PPN aligned to its size. W without R
 * is reserved.
 *
 * Memory types: without Svpbmt a leaf has none; the platform's physical memory
 * attributes (PMAs) make device regions uncached, RAM cached. Keel records the type it
 * asked for in the two RSW bits, which the hardware ignores, so that pte_flags, the
 * audit and the boot map can read it back. The PBMT bits stay zero: they are reserved
 * (a page fault) on a CPU without Svpbmt.
 *
 * Every leaf has A and D set (a clear A or D either faults or needs hardware updating,
 * Svadu) and G (Keel has one address space); U is clear (no user pages).
 */
typedef uint64_t pte_t;

#define PTE_LEVELS 4
#define PTE_INDEX_BITS 9
#define PTE_GRANULE_SHIFT 12
#define PTE_PA_BITS 56

#define PTE_RV_RSW_SHIFT 8
#define PTE_RV_RSW_MASK (UINT64_C(3) << PTE_RV_RSW_SHIFT)
#define PTE_RV_RSW_NORMAL (UINT64_C(0) << PTE_RV_RSW_SHIFT)
#define PTE_RV_RSW_DEVICE (UINT64_C(1) << PTE_RV_RSW_SHIFT)
#define PTE_RV_RSW_WC (UINT64_C(2) << PTE_RV_RSW_SHIFT)
#define PTE_RV_PPN_SHIFT 10
#define PTE_RV_PPN_MASK (((UINT64_C(1) << 44) - 1) << PTE_RV_PPN_SHIFT) /* bits 53:10 */

/* The leaf bits every Keel leaf has, and the entry code's own 2 MiB leaves. */
#define PTE_RV_LEAF_COMMON (RV_PTE_V | RV_PTE_R | RV_PTE_A | RV_PTE_D | RV_PTE_G)

static inline pte_t pte_rv_ppn(uint64_t pa)
{
    return (pa >> PTE_GRANULE_SHIFT) << PTE_RV_PPN_SHIFT & PTE_RV_PPN_MASK;
}

/* The empty entry: V clear, and every other bit is then ignored by the walk. */
static inline pte_t pte_absent(void)
{
    return 0;
}

/* W without R is reserved, and a table below level 3 does not exist. */
static inline bool pte_is_valid(int level, pte_t e)
{
    if ((e & RV_PTE_V) == 0 || (e & (RV_PTE_R | RV_PTE_W)) == RV_PTE_W) {
        return false;
    }
    return level < PTE_LEVELS - 1 || (e & (RV_PTE_R | RV_PTE_X)) != 0;
}

static inline bool pte_is_table(int level, pte_t e)
{
    return level < PTE_LEVELS - 1 && (e & (RV_PTE_V | RV_PTE_R | RV_PTE_W | RV_PTE_X)) == RV_PTE_V;
}

/* Sv48 has leaves at every level; the builder takes 1 GiB and 2 MiB ones, never 512 GiB. */
static inline bool pte_block_allowed(int level)
{
    return level == 1 || level == 2;
}

static inline pte_t pte_table(int level, paddr_t pa)
{
    (void)level;
    return pte_rv_ppn(pa.pa) | RV_PTE_V;
}

/* Device memory is never executable (the builder refuses PT_EXEC with it). */
static inline pte_t pte_leaf(int level, paddr_t pa, pt_flags_t flags)
{
    pte_t e = pte_rv_ppn(pa.pa) | PTE_RV_LEAF_COMMON;

    (void)level;
    if ((flags & PT_WRITE) != 0) {
        e |= RV_PTE_W;
    }
    if ((flags & PT_EXEC) != 0) {
        e |= RV_PTE_X;
    }
    switch (flags & PT_MEM_MASK) {
    case PT_MEM_DEVICE:
        return e | PTE_RV_RSW_DEVICE;
    case PT_MEM_WC:
        return e | PTE_RV_RSW_WC;
    default:
        return e | PTE_RV_RSW_NORMAL;
    }
}

/* A large leaf's PPN below its size must be zero (else the access faults): masked here. */
static inline paddr_t pte_addr(int level, pte_t e)
{
    uint64_t pa = ((e & PTE_RV_PPN_MASK) >> PTE_RV_PPN_SHIFT) << PTE_GRANULE_SHIFT;

    if (!pte_is_table(level, e) && level < PTE_LEVELS - 1) {
        pa &=
            ~((UINT64_C(1) << (PTE_GRANULE_SHIFT + PTE_INDEX_BITS * (PTE_LEVELS - 1 - level))) - 1);
    }
    return pa_init(pa);
}

/* An RSW value Keel does not write decodes as device: uncached is the safe reading. */
static inline pt_flags_t pte_flags(int level, pte_t e)
{
    pt_flags_t flags = PT_READ;
    uint64_t rsw = e & PTE_RV_RSW_MASK;

    (void)level;
    if ((e & RV_PTE_W) != 0) {
        flags |= PT_WRITE;
    }
    if ((e & RV_PTE_X) != 0) {
        flags |= PT_EXEC;
    }
    if (rsw == PTE_RV_RSW_NORMAL) {
        flags |= PT_MEM_NORMAL;
    } else if (rsw == PTE_RV_RSW_WC) {
        flags |= PT_MEM_WC;
    } else {
        flags |= PT_MEM_DEVICE;
    }
    return flags;
}

#endif

/* SPDX-License-Identifier: MIT */
/* A fake page-table entry encoding, unlike both real ones on purpose, for the host tests. */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/page_table.h>

/*
 * Same geometry as the real arches (4 levels of 512, 4 KiB granule), but every field
 * moves, so that common code which leans on one real layout breaks here:
 *   - the empty entry is not zero (a builder that memsets tables, or tests e == 0,
 *     reads garbage as absent or valid);
 *   - valid is bit 62, not bit 0;
 *   - bit 61 says "leaf" at levels 0-2 (the opposite sense of arm64's table bit), and
 *     is clear in level-3 leaves, so a level-3 leaf looks like a table to code that
 *     ignores the level;
 *   - bits 57:56 tag every valid entry with its level, and the primitives trap when
 *     asked about an entry at another level;
 *   - "not writable" is a set bit (3), execute is a positive bit (9), read has a bit
 *     of its own (4);
 *   - the memory type is an enumeration in bits 1:0 (device 0, WC 1, normal 2);
 *   - the address is stored as a frame number in bits 55:16, not in place;
 *   - the primitives trap on a query that makes no sense (the address or the flags of
 *     an absent entry, the flags of a table).
 */
typedef uint64_t pte_t;

#define PTE_LEVELS 4
#define PTE_INDEX_BITS 9
#define PTE_GRANULE_SHIFT 12
#define PTE_PA_BITS 46

#define PTE_FAKE_VALID (UINT64_C(1) << 62)
#define PTE_FAKE_LEAF (UINT64_C(1) << 61)
#define PTE_FAKE_LEVEL_SHIFT 56
#define PTE_FAKE_LEVEL_MASK (UINT64_C(3) << PTE_FAKE_LEVEL_SHIFT)
#define PTE_FAKE_PFN_SHIFT 16
#define PTE_FAKE_PFN_MASK ((UINT64_C(1) << (PTE_PA_BITS - PTE_GRANULE_SHIFT)) - 1)
#define PTE_FAKE_NOT_WRITABLE (UINT64_C(1) << 3)
#define PTE_FAKE_READ (UINT64_C(1) << 4)
#define PTE_FAKE_EXEC (UINT64_C(1) << 9)
#define PTE_FAKE_TYPE_MASK UINT64_C(0x3)
#define PTE_FAKE_TYPE_DEVICE UINT64_C(0)
#define PTE_FAKE_TYPE_WC UINT64_C(1)
#define PTE_FAKE_TYPE_NORMAL UINT64_C(2)
#define PTE_FAKE_ABSENT UINT64_C(0x2a2a00000000a5a5)

_Static_assert((PTE_FAKE_ABSENT & PTE_FAKE_VALID) == 0, "the empty entry is not valid");
_Static_assert(PTE_FAKE_PFN_SHIFT + (PTE_PA_BITS - PTE_GRANULE_SHIFT) <= PTE_FAKE_LEVEL_SHIFT,
               "the frame number stays below the level tag");

static inline void pte_fake_check(bool ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static inline pte_t pte_absent(void)
{
    return PTE_FAKE_ABSENT;
}

static inline bool pte_is_valid(int level, pte_t e)
{
    pte_fake_check(level >= 0 && level < PTE_LEVELS);
    if ((e & PTE_FAKE_VALID) == 0) {
        return false;
    }
    pte_fake_check(((e & PTE_FAKE_LEVEL_MASK) >> PTE_FAKE_LEVEL_SHIFT) == (uint64_t)level);
    return true;
}

static inline bool pte_is_table(int level, pte_t e)
{
    return pte_is_valid(level, e) && level < PTE_LEVELS - 1 && (e & PTE_FAKE_LEAF) == 0;
}

static inline bool pte_block_allowed(int level)
{
    return level == 1 || level == 2;
}

static inline pte_t pte_fake_frame(int level, paddr_t pa)
{
    pte_fake_check((pa.pa & ((UINT64_C(1) << PTE_GRANULE_SHIFT) - 1)) == 0);
    pte_fake_check((pa.pa >> PTE_PA_BITS) == 0);
    return PTE_FAKE_VALID | ((uint64_t)level << PTE_FAKE_LEVEL_SHIFT) |
           ((pa.pa >> PTE_GRANULE_SHIFT) << PTE_FAKE_PFN_SHIFT);
}

static inline pte_t pte_table(int level, paddr_t pa)
{
    pte_fake_check(level < PTE_LEVELS - 1);
    return pte_fake_frame(level, pa);
}

static inline pte_t pte_leaf(int level, paddr_t pa, pt_flags_t flags)
{
    pte_t e = pte_fake_frame(level, pa) | PTE_FAKE_READ;

    pte_fake_check(level == PTE_LEVELS - 1 || pte_block_allowed(level));
    if (level < PTE_LEVELS - 1) {
        e |= PTE_FAKE_LEAF;
    }
    if ((flags & PT_WRITE) == 0) {
        e |= PTE_FAKE_NOT_WRITABLE;
    }
    if ((flags & PT_EXEC) != 0) {
        e |= PTE_FAKE_EXEC;
    }
    switch (flags & PT_MEM_MASK) {
    case PT_MEM_DEVICE:
        e |= PTE_FAKE_TYPE_DEVICE;
        break;
    case PT_MEM_WC:
        e |= PTE_FAKE_TYPE_WC;
        break;
    default:
        e |= PTE_FAKE_TYPE_NORMAL;
        break;
    }
    return e;
}

static inline paddr_t pte_addr(int level, pte_t e)
{
    pte_fake_check(pte_is_valid(level, e));
    return pa_init(((e >> PTE_FAKE_PFN_SHIFT) & PTE_FAKE_PFN_MASK) << PTE_GRANULE_SHIFT);
}

static inline pt_flags_t pte_flags(int level, pte_t e)
{
    pt_flags_t flags = 0;

    pte_fake_check(pte_is_valid(level, e) && !pte_is_table(level, e));
    if ((e & PTE_FAKE_READ) != 0) {
        flags |= PT_READ;
    }
    if ((e & PTE_FAKE_NOT_WRITABLE) == 0) {
        flags |= PT_WRITE;
    }
    if ((e & PTE_FAKE_EXEC) != 0) {
        flags |= PT_EXEC;
    }
    switch (e & PTE_FAKE_TYPE_MASK) {
    case PTE_FAKE_TYPE_DEVICE:
        flags |= PT_MEM_DEVICE;
        break;
    case PTE_FAKE_TYPE_WC:
        flags |= PT_MEM_WC;
        break;
    case PTE_FAKE_TYPE_NORMAL:
        flags |= PT_MEM_NORMAL;
        break;
    default:
        pte_fake_check(false);
        break;
    }
    return flags;
}

#endif

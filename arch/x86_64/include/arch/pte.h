/* SPDX-License-Identifier: MIT */
/* x86_64 page-table entry encoding (4-level paging) for the common page-table builder. */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/page_table.h>

/*
 * Intel SDM vol. 3A, chapter 4 (Paging), 4-level paging: tables 4-15 (PML4E), 4-16
 * (PDPTE mapping a 1 GiB page), 4-17 (PDPTE referencing a page directory), 4-18 (PDE
 * mapping a 2 MiB page), 4-19 (PDE referencing a page table) and 4-20 (PTE mapping a
 * 4 KiB page). Level 0 here is the PML4, level 3 the page table.
 *
 * Requirements on the CPU state that entry.S sets up (see the report and docs):
 *   CR4.PAE = 1 and EFER.LME = 1 (long mode), CR4.LA57 = 0 (4 levels);
 *   EFER.NXE = 1: otherwise bit 63 is reserved and every leaf here faults;
 *   CR0.WP = 1: otherwise ring 0 ignores R/W = 0 and rodata is writable;
 *   IA32_PAT = PTE_X86_PAT_VALUE below before any WC mapping is used.
 */
typedef uint64_t pte_t;

#define PTE_LEVELS 4
#define PTE_INDEX_BITS 9
#define PTE_GRANULE_SHIFT 12
/* MAXPHYADDR is at most 52; the bits above the CPU's own MAXPHYADDR must be zero. */
#define PTE_PA_BITS 52

#define PTE_X86_PRESENT (UINT64_C(1) << 0)
#define PTE_X86_WRITE (UINT64_C(1) << 1)
#define PTE_X86_USER (UINT64_C(1) << 2)
#define PTE_X86_PWT (UINT64_C(1) << 3)
#define PTE_X86_PCD (UINT64_C(1) << 4)
#define PTE_X86_ACCESSED (UINT64_C(1) << 5)
#define PTE_X86_DIRTY (UINT64_C(1) << 6)
/* Bit 7 is PS in PDPTEs and PDEs (a 1 GiB or 2 MiB leaf) and PAT in 4 KiB PTEs. */
#define PTE_X86_PS (UINT64_C(1) << 7)
#define PTE_X86_PAT_4K (UINT64_C(1) << 7)
#define PTE_X86_GLOBAL (UINT64_C(1) << 8)
/* In 1 GiB and 2 MiB leaves PAT moves to bit 12, the lowest bit of the address field. */
#define PTE_X86_PAT_LARGE (UINT64_C(1) << 12)
#define PTE_X86_XD (UINT64_C(1) << 63)
#define PTE_X86_ADDR_MASK UINT64_C(0x000ffffffffff000) /* bits 51:12 */

/*
 * Memory types through the PAT (SDM vol. 3A, "Page Attribute Table", table "Selection
 * of PAT Entries with PAT, PCD, and PWT Flags"): the index is PAT:PCD:PWT. Keel never
 * sets the PAT bit, so only entries 0-3 are used:
 *   index 0 (PCD=0 PWT=0): WB  - normal memory (power-on value, kept);
 *   index 1 (PCD=0 PWT=1): WC  - write-combining (power-on value is WT: reprogrammed);
 *   index 2 (PCD=1 PWT=0): UC- (power-on value, kept, unused);
 *   index 3 (PCD=1 PWT=1): UC  - device memory (power-on value, kept).
 * Entries 4-7 keep their power-on values (WB, WT, UC-, UC). Until IA32_PAT is written,
 * WC mappings are WT, which is slower but still correct for a framebuffer.
 * Encodings (table "Memory Types That Can Be Encoded With PAT"): UC 0, WC 1, WT 4, WB 6,
 * UC- 7.
 */
#define PTE_X86_PAT_INDEX_NORMAL 0
#define PTE_X86_PAT_INDEX_WC 1
#define PTE_X86_PAT_INDEX_DEVICE 3
#define PTE_X86_MSR_IA32_PAT 0x277
#define PTE_X86_PAT_VALUE UINT64_C(0x0007040600070106)
#define PTE_X86_PAT_POWER_ON_VALUE UINT64_C(0x0007040600070406)

_Static_assert(((PTE_X86_PAT_VALUE >> (8 * PTE_X86_PAT_INDEX_NORMAL)) & 0xff) == 6, "PAT: WB at 0");
_Static_assert(((PTE_X86_PAT_VALUE >> (8 * PTE_X86_PAT_INDEX_WC)) & 0xff) == 1, "PAT: WC at 1");
_Static_assert(((PTE_X86_PAT_VALUE >> (8 * PTE_X86_PAT_INDEX_DEVICE)) & 0xff) == 0, "PAT: UC at 3");
_Static_assert((PTE_X86_PAT_VALUE & ~UINT64_C(0xff00)) ==
                   (PTE_X86_PAT_POWER_ON_VALUE & ~UINT64_C(0xff00)),
               "IA32_PAT differs from its power-on value only in entry 1");
_Static_assert(PTE_X86_ADDR_MASK == (((UINT64_C(1) << PTE_PA_BITS) - 1) & ~UINT64_C(0xfff)),
               "the address field is bits 51:12");

/* The address bits of an entry at a level: 51:30 for 1 GiB, 51:21 for 2 MiB leaves. */
static inline uint64_t x86_pte_addr_mask(int level, pte_t e)
{
    if (level == 1 && (e & PTE_X86_PS) != 0) {
        return PTE_X86_ADDR_MASK & ~((UINT64_C(1) << 30) - 1);
    }
    if (level == 2 && (e & PTE_X86_PS) != 0) {
        return PTE_X86_ADDR_MASK & ~((UINT64_C(1) << 21) - 1);
    }
    return PTE_X86_ADDR_MASK;
}

/* The empty entry: P = 0, and every other bit is then ignored by the CPU. */
static inline pte_t pte_absent(void)
{
    return 0;
}

static inline bool pte_is_valid(int level, pte_t e)
{
    (void)level;
    return (e & PTE_X86_PRESENT) != 0;
}

/* PML4Es always reference a table (PS is reserved there); PTEs never do. */
static inline bool pte_is_table(int level, pte_t e)
{
    if (!pte_is_valid(level, e) || level == PTE_LEVELS - 1) {
        return false;
    }
    return level == 0 || (e & PTE_X86_PS) == 0;
}

/* 1 GiB leaves in PDPTEs (if CPUID says Page1GB), 2 MiB leaves in PDEs. */
static inline bool pte_block_allowed(int level)
{
    return level == 1 || level == 2;
}

/*
 * A table entry grants everything (R/W = 1, XD = 0): rights are the most restrictive
 * over all levels of a walk, so the leaf alone decides. U/S = 0: supervisor only.
 */
static inline pte_t pte_table(int level, paddr_t pa)
{
    (void)level;
    return (pa.pa & PTE_X86_ADDR_MASK) | PTE_X86_PRESENT | PTE_X86_WRITE;
}

/*
 * A leaf. Accessed and Dirty are set up front, so the CPU never needs a locked write
 * to the tables to set them and the entries read back exactly as written. Not global:
 * a CR3 load then flushes everything, including the identity mappings that go later.
 */
static inline pte_t pte_leaf(int level, paddr_t pa, pt_flags_t flags)
{
    pte_t e = (pa.pa & PTE_X86_ADDR_MASK) | PTE_X86_PRESENT | PTE_X86_ACCESSED | PTE_X86_DIRTY;

    if (level != PTE_LEVELS - 1) {
        e |= PTE_X86_PS;
    }
    if ((flags & PT_WRITE) != 0) {
        e |= PTE_X86_WRITE;
    }
    if ((flags & PT_EXEC) == 0) {
        e |= PTE_X86_XD;
    }
    switch (flags & PT_MEM_MASK) {
    case PT_MEM_WC:
        e |= PTE_X86_PWT;
        break;
    case PT_MEM_DEVICE:
        e |= PTE_X86_PCD | PTE_X86_PWT;
        break;
    default:
        break;
    }
    return e;
}

static inline paddr_t pte_addr(int level, pte_t e)
{
    return pa_init(e & x86_pte_addr_mask(level, e));
}

/*
 * Rights and type as the CPU sees them. PAT indices Keel does not write (2 = UC-, and
 * anything with the PAT bit set) decode as device: uncached is the safe reading.
 */
static inline pt_flags_t pte_flags(int level, pte_t e)
{
    pt_flags_t flags = PT_READ;
    uint64_t pat_bit = level == PTE_LEVELS - 1 ? PTE_X86_PAT_4K : PTE_X86_PAT_LARGE;
    unsigned index = (unsigned)(((e & PTE_X86_PWT) != 0 ? 1 : 0) |
                                ((e & PTE_X86_PCD) != 0 ? 2 : 0) | ((e & pat_bit) != 0 ? 4 : 0));

    if ((e & PTE_X86_WRITE) != 0) {
        flags |= PT_WRITE;
    }
    if ((e & PTE_X86_XD) == 0) {
        flags |= PT_EXEC;
    }
    if (index == PTE_X86_PAT_INDEX_NORMAL) {
        flags |= PT_MEM_NORMAL;
    } else if (index == PTE_X86_PAT_INDEX_WC) {
        flags |= PT_MEM_WC;
    } else {
        flags |= PT_MEM_DEVICE;
    }
    return flags;
}

#endif

/* SPDX-License-Identifier: MIT */
/* aarch64 stage 1 translation table descriptors (4 KiB granule) for the common builder. */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/page_table.h>

#include <a64/sysreg.h>

/*
 * Arm ARM (DDI 0487), VMSAv8-64 translation table format descriptors: 4 KiB granule,
 * 48-bit input and output addresses (no FEAT_LPA2), levels 0 to 3. The level numbers
 * here are the Arm ARM's.
 *   bits[1:0]   0b11 table descriptor at levels 0-2, page descriptor at level 3;
 *               0b01 block descriptor at levels 1 (1 GiB) and 2 (2 MiB) only;
 *               0b01 at levels 0 and 3, and x0, are invalid.
 *   table:      [47:12] next-level table address; [59] PXNTable, [60] UXNTable,
 *               [62:61] APTable, [63] NSTable - all zero here, so tables never
 *               restrict what their leaves grant.
 *   block/page: [4:2] AttrIndx (MAIR_EL1 byte), [5] NS, [7:6] AP[2:1], [9:8] SH,
 *               [10] AF, [11] nG, output address [47:30] / [47:21] / [47:12],
 *               [52] Contiguous, [53] PXN, [54] UXN.
 *
 * Requirements on the CPU state: TCR_EL1.TG0 = 4 KiB, TG1 = 4 KiB, T0SZ = T1SZ = 17
 * with TTBR0 = root and TTBR1 = root + 2 KiB (a64/sysreg.h says why),
 * IPS >= the physical addresses mapped; MAIR_EL1 = A64_MAIR_EL1_VALUE (a64/sysreg.h,
 * which the entry code already programs); TCR_EL1.HA may stay 0 because AF is set in
 * every leaf.
 */
typedef uint64_t pte_t;

#define PTE_LEVELS 4
#define PTE_INDEX_BITS 9
#define PTE_GRANULE_SHIFT 12
#define PTE_PA_BITS 48

#define PTE_A64_VALID (UINT64_C(1) << 0)
#define PTE_A64_TYPE_MASK UINT64_C(0x3)
#define PTE_A64_TYPE_TABLE UINT64_C(0x3) /* also "page" at level 3 */
#define PTE_A64_TYPE_BLOCK UINT64_C(0x1)
#define PTE_A64_ATTR_SHIFT 2
#define PTE_A64_ATTR_MASK (UINT64_C(0x7) << PTE_A64_ATTR_SHIFT)
#define PTE_A64_AP_EL0 (UINT64_C(1) << 6)   /* AP[1]: EL0 access; never set */
#define PTE_A64_AP_RO (UINT64_C(1) << 7)    /* AP[2]: read-only */
#define PTE_A64_SH_INNER (UINT64_C(3) << 8) /* SH = 0b11, Inner Shareable */
#define PTE_A64_AF (UINT64_C(1) << 10)
#define PTE_A64_NG (UINT64_C(1) << 11)
#define PTE_A64_PXN (UINT64_C(1) << 53)
#define PTE_A64_UXN (UINT64_C(1) << 54)
#define PTE_A64_ADDR_MASK UINT64_C(0x0000fffffffff000) /* bits 47:12 */

/*
 * The memory types use the MAIR_EL1 indices the entry code already programs
 * (a64/sysreg.h): reprogramming MAIR under live tables would retype live mappings.
 *   A64_ATTR_DEVICE    (0): 0x00 Device-nGnRnE  - PT_MEM_DEVICE;
 *   A64_ATTR_NORMAL    (1): 0xff Normal, inner and outer write-back non-transient,
 *                           read- and write-allocate - PT_MEM_NORMAL;
 *   A64_ATTR_NORMAL_NC (2): 0x44 Normal, inner and outer non-cacheable - PT_MEM_WC.
 */
#define PTE_A64_MAIR_BYTE(idx) (((uint64_t)(A64_MAIR_EL1_VALUE) >> (8 * (idx))) & 0xff)
_Static_assert(PTE_A64_MAIR_BYTE(A64_ATTR_DEVICE) == 0x00, "MAIR: Device-nGnRnE");
_Static_assert(PTE_A64_MAIR_BYTE(A64_ATTR_NORMAL) == 0xff, "MAIR: Normal write-back");
_Static_assert(PTE_A64_MAIR_BYTE(A64_ATTR_NORMAL_NC) == 0x44, "MAIR: Normal non-cacheable");
_Static_assert(A64_ATTR_DEVICE < 8 && A64_ATTR_NORMAL < 8 && A64_ATTR_NORMAL_NC < 8,
               "AttrIndx is three bits");
_Static_assert(PTE_A64_ADDR_MASK == (((UINT64_C(1) << PTE_PA_BITS) - 1) & ~UINT64_C(0xfff)),
               "the address field is bits 47:12");

/* The empty entry: bit 0 clear, and every other bit is then ignored by the walk. */
static inline pte_t pte_absent(void)
{
    return 0;
}

/* Level 0 has no blocks and level 3 only pages, so 0b01 there is invalid, not a leaf. */
static inline bool pte_is_valid(int level, pte_t e)
{
    if (level == 0 || level == PTE_LEVELS - 1) {
        return (e & PTE_A64_TYPE_MASK) == PTE_A64_TYPE_TABLE;
    }
    return (e & PTE_A64_VALID) != 0;
}

static inline bool pte_is_table(int level, pte_t e)
{
    return level < PTE_LEVELS - 1 && (e & PTE_A64_TYPE_MASK) == PTE_A64_TYPE_TABLE;
}

static inline bool pte_block_allowed(int level)
{
    return level == 1 || level == 2;
}

static inline pte_t pte_table(int level, paddr_t pa)
{
    (void)level;
    return (pa.pa & PTE_A64_ADDR_MASK) | PTE_A64_TYPE_TABLE;
}

/*
 * A block or page for EL1. UXN is always set (EL0 never runs kernel memory) and AP[1]
 * is clear (EL0 has no access); nG is clear (global): Keel has one address space.
 * AF is set because a clear AF faults on first access unless hardware AF update
 * (FEAT_HAFDBS, TCR_EL1.HA) is on. Normal memory is Inner Shareable so that all CPUs
 * see one coherent copy; for Device and Normal non-cacheable the hardware treats
 * memory as Outer Shareable whatever SH says.
 */
static inline pte_t pte_leaf(int level, paddr_t pa, pt_flags_t flags)
{
    pte_t e = (pa.pa & PTE_A64_ADDR_MASK) | PTE_A64_AF | PTE_A64_UXN;
    uint64_t attr;

    e |= level == PTE_LEVELS - 1 ? PTE_A64_TYPE_TABLE : PTE_A64_TYPE_BLOCK;
    if ((flags & PT_WRITE) == 0) {
        e |= PTE_A64_AP_RO;
    }
    if ((flags & PT_EXEC) == 0) {
        e |= PTE_A64_PXN;
    }
    switch (flags & PT_MEM_MASK) {
    case PT_MEM_DEVICE:
        attr = A64_ATTR_DEVICE;
        break;
    case PT_MEM_WC:
        attr = A64_ATTR_NORMAL_NC;
        e |= PTE_A64_SH_INNER;
        break;
    default:
        attr = A64_ATTR_NORMAL;
        e |= PTE_A64_SH_INNER;
        break;
    }
    return e | (attr << PTE_A64_ATTR_SHIFT);
}

/* Block output addresses start at bit 30 (level 1) or 21 (level 2); the bits below are RES0. */
static inline paddr_t pte_addr(int level, pte_t e)
{
    uint64_t mask = PTE_A64_ADDR_MASK;

    if (!pte_is_table(level, e) && level < PTE_LEVELS - 1) {
        mask &=
            ~((UINT64_C(1) << (PTE_GRANULE_SHIFT + PTE_INDEX_BITS * (PTE_LEVELS - 1 - level))) - 1);
    }
    return pa_init(e & mask);
}

/* AttrIndx values Keel does not write decode as device: uncached is the safe reading. */
static inline pt_flags_t pte_flags(int level, pte_t e)
{
    pt_flags_t flags = PT_READ;
    uint64_t attr = (e & PTE_A64_ATTR_MASK) >> PTE_A64_ATTR_SHIFT;

    (void)level;
    if ((e & PTE_A64_AP_RO) == 0) {
        flags |= PT_WRITE;
    }
    if ((e & PTE_A64_PXN) == 0) {
        flags |= PT_EXEC;
    }
    if (attr == A64_ATTR_NORMAL) {
        flags |= PT_MEM_NORMAL;
    } else if (attr == A64_ATTR_NORMAL_NC) {
        flags |= PT_MEM_WC;
    } else {
        flags |= PT_MEM_DEVICE;
    }
    return flags;
}

#endif

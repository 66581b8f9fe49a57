/* SPDX-License-Identifier: MIT */
/* The boot identity map after entry.S: filled from the DTB's facts, and the early windows over it.
 */
#include <stdbool.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/page_table.h>

#include <a64/a64.h>
#include <a64/sysreg.h>

/*
 * entry.S leaves TTBR0 mapping the image and the DTB's blocks. arch_early_map adds to
 * the same live table and only ever turns invalid entries into valid ones, which needs
 * no break-before-make and no TLB maintenance (an invalid entry is never cached), only
 * a DSB and an ISB before the new mapping is used. Tables come from the pool that
 * follows entry.S's part of .boot_pgtables; they are written through the kernel half,
 * cacheably, as the table walks read them. The early windows below are answered by
 * walking this table, so they say exactly what is mapped and with which type.
 */

#define LEVELS 4
#define ENTRIES 512u
#define ADDR_MASK UINT64_C(0x0000fffffffff000) /* output address, bits 47:12 */
#define TYPE_MASK UINT64_C(0x3)
#define TYPE_TABLE UINT64_C(0x3) /* a page at level 3 */
#define TYPE_BLOCK UINT64_C(0x1)
#define ATTR_INDEX(e) (((e) >> 2) & 0x7)

/* TTBR0 with T0SZ = 17 translates [0, 2^47): the identity map cannot reach further. */
#define IDMAP_LIMIT (UINT64_C(1) << 47)

/* Every leaf is execute-never: only entry.S's blocks for the image may run. */
#define LEAF_COMMON ((uint64_t)A64_PTE_AF | A64_PTE_PXN | A64_PTE_UXN)

_Static_assert(A64_PGT_SIZE % A64_PAGE_SIZE == 0, "the pool is whole pages");

static uint32_t pool_used; /* pages of the pool handed out */

static unsigned level_shift(int level)
{
    return 39u - 9u * (unsigned)level;
}

static bool is_leaf(int level, uint64_t e)
{
    return level == LEVELS - 1 ? (e & TYPE_MASK) == TYPE_TABLE
                               : level > 0 && (e & TYPE_MASK) == TYPE_BLOCK;
}

static bool is_table(int level, uint64_t e)
{
    return level < LEVELS - 1 && (e & TYPE_MASK) == TYPE_TABLE;
}

/* The physical address of a byte of the pool: the image lies at a64_phys_base. */
static uint64_t pool_pa(const void *va)
{
    return a64_phys_base + ((uint64_t)(uintptr_t)va - (uint64_t)KERNEL_VBASE);
}

/* The kernel-half address of a table, which lives in .boot_pgtables; NULL for any other. */
static uint64_t *table_at(uint64_t pa)
{
    uint64_t pool = pool_pa(a64_boot_pgtables);

    if (pa < pool || pa - pool >= A64_PGT_SIZE) {
        return NULL;
    }
    return (uint64_t *)(void *)(a64_boot_pgtables + (pa - pool));
}

static uint64_t *pool_page(void)
{
    if (pool_used == A64_PGT_POOL_PAGES) {
        return NULL;
    }
    uint64_t *t =
        (uint64_t *)(void *)(a64_boot_pgtables + A64_PGT_ENTRY_SIZE + pool_used * A64_PAGE_SIZE);
    pool_used++;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        t[i] = 0;
    }
    /* The zeroes must reach the walker before the entry that makes the table reachable. */
    __asm__ volatile("dsb ishst" : : : "memory");
    return t;
}

/* What the CPU can address: ID_AA64MMFR0_EL1.PARange, capped as entry.S caps IPS. */
static uint64_t map_limit(void)
{
    static const uint8_t bits[] = {32, 36, 40, 42, 44, 48};
    uint64_t mmfr0;

    __asm__ volatile("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
    uint64_t range = mmfr0 & 0xf;
    uint64_t pa_limit = UINT64_C(1) << bits[range < sizeof(bits) ? range : sizeof(bits) - 1];
    return pa_limit < IDMAP_LIMIT ? pa_limit : IDMAP_LIMIT;
}

/*
 * The leaf that maps `pa`, or 0; *span receives the size that leaf (or the hole
 * around pa at the level the walk stopped) covers from its aligned start.
 */
static uint64_t lookup(uint64_t pa, uint64_t *span)
{
    uint64_t *t = (uint64_t *)(void *)(a64_boot_pgtables + A64_PGT_ID_L0);

    for (int level = 0; level < LEVELS; level++) {
        uint64_t e = t[(pa >> level_shift(level)) & (ENTRIES - 1)];
        *span = UINT64_C(1) << level_shift(level);
        if (is_leaf(level, e)) {
            return e;
        }
        if (!is_table(level, e) || (t = table_at(e & ADDR_MASK)) == NULL) {
            return 0;
        }
    }
    return 0;
}

/* True when every byte of [pa, pa + len) is mapped with an attribute index `ok` accepts. */
static bool all_mapped(uint64_t pa, uint64_t len, bool (*ok)(uint64_t attr_index))
{
    uint64_t end = pa + (len != 0 ? len : 1);

    if (a64_mmu_switched || end < pa || end > IDMAP_LIMIT) {
        return false;
    }
    while (pa < end) {
        uint64_t span;
        uint64_t e = lookup(pa, &span);
        if (e == 0 || !ok(ATTR_INDEX(e))) {
            return false;
        }
        pa = (pa & ~(span - 1)) + span;
    }
    return true;
}

/*
 * Fills [va, end) below one table entry's worth at `level`: whole entries become
 * leaves, partial ones tables. Entries that are leaves already stay as they are (RAM
 * over the image or the DTB keeps their blocks).
 */
static int fill(uint64_t *table, int level, uint64_t va, uint64_t end, uint64_t leaf)
{
    uint64_t span = UINT64_C(1) << level_shift(level);

    while (va < end) {
        uint64_t next = (va & ~(span - 1)) + span;
        uint64_t chunk_end = next < end ? next : end;
        uint64_t *e = &table[(va >> level_shift(level)) & (ENTRIES - 1)];
        if (*e == 0 && level > 0 && va % span == 0 && chunk_end == next) {
            *e = va | leaf | (level == LEVELS - 1 ? TYPE_TABLE : TYPE_BLOCK);
        } else if (*e == 0 || is_table(level, *e)) {
            uint64_t *sub = *e != 0 ? table_at(*e & ADDR_MASK) : pool_page();
            if (sub == NULL) {
                return KEEL_E_BOOT_MAP_FULL;
            }
            if (*e == 0) {
                *e = pool_pa(sub) | TYPE_TABLE;
            }
            int err = fill(sub, level + 1, va, chunk_end, leaf);
            if (err != KEEL_OK) {
                return err;
            }
        }
        va = chunk_end;
    }
    return KEEL_OK;
}

static bool is_device(uint64_t attr_index)
{
    return attr_index == A64_ATTR_DEVICE;
}

static bool is_normal(uint64_t attr_index)
{
    return attr_index == A64_ATTR_NORMAL || attr_index == A64_ATTR_NORMAL_NC;
}

/* True when no byte of [pa, end) is mapped with another attribute index than `attr`. */
static bool no_other_type(uint64_t pa, uint64_t end, uint64_t attr)
{
    while (pa < end) {
        uint64_t span;
        uint64_t e = lookup(pa, &span);
        if (e != 0 && ATTR_INDEX(e) != attr) {
            return false;
        }
        pa = (pa & ~(span - 1)) + span;
    }
    return true;
}

int arch_early_map(uint64_t pa, uint64_t size, uint32_t mem)
{
    uint64_t attr = A64_ATTR_NORMAL;
    uint64_t leaf = LEAF_COMMON | A64_PTE_SH_INNER;

    if (a64_mmu_switched || size == 0 || ((pa | size) & (A64_PAGE_SIZE - 1)) != 0 ||
        pa < A64_PAGE_SIZE || pa >= map_limit() || size > map_limit() - pa) {
        return KEEL_E_BOOT_MAP_RANGE;
    }
    if (mem == PT_MEM_DEVICE) {
        /* Shareability does not apply to Device memory; a device may not overlap memory. */
        attr = A64_ATTR_DEVICE;
        leaf = LEAF_COMMON;
        if (!no_other_type(pa, pa + size, attr)) {
            return KEEL_E_BOOT_MAP_CONFLICT;
        }
    } else if (mem == PT_MEM_WC) {
        attr = A64_ATTR_NORMAL_NC;
    }
    leaf |= (uint64_t)A64_PTE_ATTR(attr);
    int err = fill((uint64_t *)(void *)(a64_boot_pgtables + A64_PGT_ID_L0), 0, pa, pa + size, leaf);
    __asm__ volatile("dsb ishst\n\tisb" : : : "memory");
    return err;
}

/*
 * Normal memory of the boot identity map (RAM, and a framebuffer outside it): what the
 * board layer mapped from the DTB, and entry.S's blocks for the image and the DTB.
 * Page 0 is never mapped, so a NULL pointer faults. After arch_tlb_switch() the window
 * is gone and every range is outside it.
 */
const void *arch_early_phys_ptr(uint64_t pa, uint64_t len)
{
    return all_mapped(pa, len, is_normal) ? (const void *)(uintptr_t)pa : NULL;
}

/* Device registers: the pages the board layer mapped as Device-nGnRnE (the console, fw_cfg). */
volatile void *arch_early_mmio_ptr(uint64_t pa, uint64_t len)
{
    return all_mapped(pa, len, is_device) ? (volatile void *)(uintptr_t)pa : NULL;
}

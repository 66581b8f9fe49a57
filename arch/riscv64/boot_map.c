/* SPDX-License-Identifier: MIT */
/* The boot identity map: filled from what the DTB describes, and the early windows over it. */
#include <stdbool.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/page_table.h>

#include <arch/pte.h>
#include <rv/csr.h>
#include <rv/rv.h>

/*
 * entry.S leaves the boot root (Sv48's, or under Sv39 the kernel's level-1 table, which
 * rv_boot_satp names) mapping only the kernel half; the lower half is the identity map,
 * built here into the same live root from the pool that follows entry.S's tables,
 * through the kernel half (the pool is part of the image). Only absent entries ever
 * become valid, which on RISC-V needs no invalidation of a cached translation (none
 * exists for an invalid entry), only an sfence.vma so that the new entries are seen.
 * The memory type asked for sits in each leaf's RSW bits (arch/pte.h), so the early
 * windows answer exactly what is mapped and how.
 *
 * Leaves are readable and writable, never executable: the code runs in the kernel half.
 */

#define ENTRIES 512u

_Static_assert(RV_PGT_SIZE % RV_PAGE_SIZE == 0, "the pool is whole pages");

static uint32_t pool_used; /* pages of the pool handed out */

static unsigned level_shift(int level)
{
    return 39u - 9u * (unsigned)level;
}

/* The boot root's level in the builder's numbering: 0 under Sv48, 1 under Sv39. */
static int root_level(void)
{
    return rv_boot_satp >> RV_SATP_MODE_SHIFT == RV_SATP_MODE_SV39 ? 1 : 0;
}

/* The identity map is the lower half: [0, 2^47) under Sv48, [0, 2^38) under Sv39. */
static uint64_t idmap_limit(void)
{
    return UINT64_C(1) << (level_shift(root_level()) + 8);
}

static uint64_t image_pa(const void *va)
{
    return rv_phys_base + ((uint64_t)(uintptr_t)va - (uint64_t)KERNEL_VBASE);
}

uint64_t rv_boot_root_pa(void)
{
    return (rv_boot_satp & RV_SATP_PPN_MASK) << PAGE_SHIFT;
}

/* The kernel-half address of a table in .boot_pgtables; NULL for any other address. */
static pte_t *table_at(paddr_t pa)
{
    uint64_t pool = image_pa(rv_boot_pgtables);

    if (pa.pa < pool || pa.pa - pool >= RV_PGT_SIZE) {
        return NULL;
    }
    return (pte_t *)(void *)(rv_boot_pgtables + (pa.pa - pool));
}

static pte_t *pool_page(void)
{
    if (pool_used == RV_PGT_POOL_PAGES) {
        return NULL;
    }
    pte_t *t = (pte_t *)(void *)(rv_boot_pgtables + RV_PGT_FIXED_SIZE + pool_used * RV_PAGE_SIZE);
    pool_used++;
    for (uint32_t i = 0; i < ENTRIES; i++) {
        t[i] = pte_absent();
    }
    return t;
}

static pte_t *root(void)
{
    return table_at(pa_init(rv_boot_root_pa()));
}

/* The leaf that maps `pa`, or 0; *span is the size it (or the hole the walk met) covers. */
static pte_t lookup(uint64_t pa, uint64_t *span)
{
    pte_t *t = root();

    for (int level = root_level(); level < PTE_LEVELS; level++) {
        pte_t e = t[(pa >> level_shift(level)) & (ENTRIES - 1)];
        *span = UINT64_C(1) << level_shift(level);
        if (!pte_is_valid(level, e)) {
            return 0;
        }
        if (!pte_is_table(level, e)) {
            return e;
        }
        if ((t = table_at(pte_addr(level, e))) == NULL) {
            return 0;
        }
    }
    return 0;
}

static uint32_t mem_of(pte_t e)
{
    return pte_flags(3, e) & PT_MEM_MASK;
}

/* True when every byte of [pa, pa + len) is mapped with a type `ok` accepts. */
static bool all_mapped(uint64_t pa, uint64_t len, bool (*ok)(uint32_t mem))
{
    uint64_t end = pa + (len != 0 ? len : 1);

    if (rv_mmu_switched || end < pa || end > idmap_limit()) {
        return false;
    }
    while (pa < end) {
        uint64_t span;
        pte_t e = lookup(pa, &span);
        if (e == 0 || !ok(mem_of(e))) {
            return false;
        }
        pa = (pa & ~(span - 1)) + span;
    }
    return true;
}

/* True when no byte of [pa, end) is mapped with another type than `mem`. */
static bool no_other_type(uint64_t pa, uint64_t end, uint32_t mem)
{
    while (pa < end) {
        uint64_t span;
        pte_t e = lookup(pa, &span);
        if (e != 0 && mem_of(e) != mem) {
            return false;
        }
        pa = (pa & ~(span - 1)) + span;
    }
    return true;
}

/*
 * Fills [va, end) below one entry's worth at `level`: whole entries become leaves,
 * partial ones tables. Entries that are leaves already stay as they are.
 */
static int fill(pte_t *table, int level, uint64_t va, uint64_t end, pt_flags_t flags)
{
    uint64_t span = UINT64_C(1) << level_shift(level);

    while (va < end) {
        uint64_t next = (va & ~(span - 1)) + span;
        uint64_t chunk_end = next < end ? next : end;
        pte_t *e = &table[(va >> level_shift(level)) & (ENTRIES - 1)];
        bool absent = !pte_is_valid(level, *e);
        if (absent && (level == PTE_LEVELS - 1 || pte_block_allowed(level)) && va % span == 0 &&
            chunk_end == next) {
            *e = pte_leaf(level, pa_init(va), flags);
        } else if (absent || pte_is_table(level, *e)) {
            pte_t *sub = absent ? pool_page() : table_at(pte_addr(level, *e));
            if (sub == NULL) {
                return KEEL_E_BOOT_MAP_FULL;
            }
            if (absent) {
                *e = pte_table(level, pa_init(image_pa(sub)));
            }
            int err = fill(sub, level + 1, va, chunk_end, flags);
            if (err != KEEL_OK) {
                return err;
            }
        }
        va = chunk_end;
    }
    return KEEL_OK;
}

int arch_early_map(uint64_t pa, uint64_t size, uint32_t mem)
{
    if (rv_mmu_switched || size == 0 || ((pa | size) & (PAGE_SIZE - 1)) != 0 || pa < PAGE_SIZE ||
        pa >= idmap_limit() || size > idmap_limit() - pa) {
        return KEEL_E_BOOT_MAP_RANGE;
    }
    if (mem == PT_MEM_DEVICE && !no_other_type(pa, pa + size, PT_MEM_DEVICE)) {
        return KEEL_E_BOOT_MAP_CONFLICT;
    }
    int err = fill(root(), root_level(), pa, pa + size, PT_READ | PT_WRITE | (mem & PT_MEM_MASK));
    __asm__ volatile("sfence.vma" : : : "memory");
    return err;
}

static bool is_device(uint32_t mem)
{
    return mem == PT_MEM_DEVICE;
}

static bool is_normal(uint32_t mem)
{
    return mem == PT_MEM_NORMAL || mem == PT_MEM_WC;
}

/* Normal memory of the boot identity map: RAM, the DTB, a framebuffer outside RAM. */
const void *arch_early_phys_ptr(uint64_t pa, uint64_t len)
{
    return all_mapped(pa, len, is_normal) ? (const void *)(uintptr_t)pa : NULL;
}

/* Device registers: the pages the board layer mapped as devices (the console, fw_cfg). */
volatile void *arch_early_mmio_ptr(uint64_t pa, uint64_t len)
{
    return all_mapped(pa, len, is_device) ? (volatile void *)(uintptr_t)pa : NULL;
}

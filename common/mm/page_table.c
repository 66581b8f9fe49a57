/* SPDX-License-Identifier: MIT */
/* The page-table builder: map, unmap, query and walk, written once over <arch/pte.h>. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/errors.h>
#include <keel/page_table.h>

#include <arch/pte.h>

#if defined(KEEL_KERNEL)
#include <keel/assert.h>
#define PT_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            panic("page_table.c:%d: %s", __LINE__, #cond);                                         \
        }                                                                                          \
    } while (0)
#else
#define PT_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)
#endif

/*
 * Inside the builder a virtual address is an offset into the tree's span: a canonical
 * address with its sign-extension bits dropped, so the lower half is [0, half) and the
 * upper half [half, span). Ranges never cross the half (the canonical hole), and an
 * exclusive end of the span (the last page of the upper half) does not wrap.
 *
 * A tree is PTE_LEVELS deep (48-bit addresses), or shallower by whole levels (39 bits:
 * three, as Sv39). Level numbers do not move: a three-level tree's root is level 1, so
 * the entry encoding reads a level the same way at every depth.
 */
#define PT_ENTRIES (1u << PTE_INDEX_BITS)
#define PT_LAST_LEVEL (PTE_LEVELS - 1)
#define PT_FULL_VA_BITS (PTE_GRANULE_SHIFT + PTE_INDEX_BITS * PTE_LEVELS)
#define PT_GRANULE (UINT64_C(1) << PTE_GRANULE_SHIFT)
#define PT_SIZE_1G (UINT64_C(1) << 30)

_Static_assert(PT_FULL_VA_BITS == PT_VA_BITS_MAX,
               "Keel uses up to 4 levels of 512 entries: 48-bit virtual addresses");
_Static_assert(PT_GRANULE == PAGE_SIZE, "one table fills one page frame");
_Static_assert(sizeof(pte_t) * PT_ENTRIES == PT_GRANULE, "one table fills one page frame");

static unsigned pt_shift(int level)
{
    return PTE_GRANULE_SHIFT + PTE_INDEX_BITS * (unsigned)(PT_LAST_LEVEL - level);
}

static uint64_t pt_size(int level)
{
    return UINT64_C(1) << pt_shift(level);
}

static unsigned pt_index(int level, uint64_t off)
{
    return (unsigned)(off >> pt_shift(level)) & (PT_ENTRIES - 1);
}

static unsigned pt_va_bits(const struct page_table *pt)
{
    return pt_shift(pt->root_level) + PTE_INDEX_BITS;
}

static uint64_t pt_span(const struct page_table *pt)
{
    return UINT64_C(1) << pt_va_bits(pt);
}

static uint64_t pt_half(const struct page_table *pt)
{
    return pt_span(pt) / 2;
}

static bool pt_canonical(const struct page_table *pt, uint64_t va)
{
    uint64_t top = va >> (pt_va_bits(pt) - 1);

    return top == 0 || top == (UINT64_MAX >> (pt_va_bits(pt) - 1));
}

static uint64_t pt_offset(const struct page_table *pt, vaddr_t va)
{
    return va.va & (pt_span(pt) - 1);
}

static vaddr_t pt_vaddr(const struct page_table *pt, uint64_t off)
{
    return va_init((off & pt_half(pt)) != 0 ? off | ~(pt_span(pt) - 1) : off);
}

static uint64_t pt_max(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static uint64_t pt_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Derived predicates, written once over the arch primitives. */
static bool pt_is_leaf(int level, pte_t e)
{
    return pte_is_valid(level, e) && !pte_is_table(level, e);
}

/* A leaf may sit at this level: always the last, a block level if the CPU has the size. */
static bool pt_leaf_fits(const struct page_table *pt, int level)
{
    if (level == PT_LAST_LEVEL) {
        return true;
    }
    if (!pte_block_allowed(level)) {
        return false;
    }
    return pt_size(level) < PT_SIZE_1G || pt->ops.huge_1g;
}

/*
 * Entries are read and written through volatile pointers: each update is one aligned
 * 64-bit store, so a hardware walk of a live table never sees half an entry.
 */
static volatile pte_t *pt_table_at(const struct page_table *pt, paddr_t pa)
{
    volatile pte_t *t = pt->ops.phys_to_virt(pt->ops.ctx, pa);

    PT_ASSERT(t != NULL);
    return t;
}

/*
 * The first valid entry of t[i..end), or end. Four absent entries are passed over with
 * one test, since tables are mostly absent entries and under TCG each loop branch costs
 * as much as the load; any other entry is looked at on its own.
 */
static unsigned pt_next_valid(volatile pte_t *t, int level, unsigned i, unsigned end)
{
    pte_t absent = pte_absent();

    while (i < end) {
        if (end - i >= 4 && ((t[i] ^ absent) | (t[i + 1] ^ absent) | (t[i + 2] ^ absent) |
                             (t[i + 3] ^ absent)) == 0) {
            i += 4;
            continue;
        }
        if (pte_is_valid(level, t[i])) {
            break;
        }
        i++;
    }
    return i;
}

/* A new table with every entry absent: the frame's old contents are never trusted. */
static int pt_table_new(struct page_table *pt, paddr_t *out)
{
    paddr_t pa;
    int err = pt->ops.alloc_frame(pt->ops.ctx, &pa);

    if (err != 0) {
        return err;
    }
    PT_ASSERT((pa.pa & (PT_GRANULE - 1)) == 0 && (pa.pa >> PTE_PA_BITS) == 0);
    volatile pte_t *t = pt_table_at(pt, pa);
    /* Eight stores per iteration: under TCG the loop's branch costs as much as a store. */
    _Static_assert(PT_ENTRIES % 8 == 0, "a table is whole groups of eight entries");
    for (unsigned i = 0; i < PT_ENTRIES; i += 8) {
        t[i] = pte_absent();
        t[i + 1] = pte_absent();
        t[i + 2] = pte_absent();
        t[i + 3] = pte_absent();
        t[i + 4] = pte_absent();
        t[i + 5] = pte_absent();
        t[i + 6] = pte_absent();
        t[i + 7] = pte_absent();
    }
    pt->table_pages++;
    *out = pa;
    return 0;
}

static void pt_table_free(struct page_table *pt, paddr_t pa)
{
    PT_ASSERT(pt->table_pages > 0);
    pt->ops.free_frame(pt->ops.ctx, pa);
    pt->table_pages--;
}

static bool pt_table_empty(const struct page_table *pt, int level, paddr_t pa)
{
    return pt_next_valid(pt_table_at(pt, pa), level, 0, PT_ENTRIES) == PT_ENTRIES;
}

static void pt_invalidate(const struct page_table *pt, uint64_t off, uint64_t size)
{
    if (pt->ops.tlb_invalidate != NULL) {
        pt->ops.tlb_invalidate(pt->ops.ctx, pt_vaddr(pt, off), size);
    }
}

/* Checks a virtual range and turns it into tree offsets [*start, *end). */
static int pt_check_range(const struct page_table *pt, vaddr_t virt, uint64_t size, uint64_t *start,
                          uint64_t *end)
{
    if (size == 0 || (size & (PT_GRANULE - 1)) != 0 || (virt.va & (PT_GRANULE - 1)) != 0) {
        return KEEL_E_INVALID;
    }
    if (!pt_canonical(pt, virt.va)) {
        return KEEL_E_INVALID;
    }
    uint64_t off = pt_offset(pt, virt);
    uint64_t limit = off < pt_half(pt) ? pt_half(pt) : pt_span(pt);
    if (size > limit - off) {
        return KEEL_E_INVALID;
    }
    *start = off;
    *end = off + size;
    return 0;
}

static bool pt_flags_valid(pt_flags_t flags)
{
    pt_flags_t mem = flags & PT_MEM_MASK;

    if ((flags & ~(PT_RIGHTS_MASK | PT_MEM_MASK)) != 0 || (flags & PT_READ) == 0) {
        return false;
    }
    if (mem != PT_MEM_NORMAL && mem != PT_MEM_DEVICE && mem != PT_MEM_WC) {
        return false;
    }
    /* Arm requires device memory to be execute-never; x86 gains nothing from allowing it. */
    return !(mem == PT_MEM_DEVICE && (flags & PT_EXEC) != 0);
}

int pt_create(struct page_table *pt, const struct pt_ops *ops)
{
    if (pt == NULL || ops == NULL || ops->alloc_frame == NULL || ops->free_frame == NULL ||
        ops->phys_to_virt == NULL) {
        return KEEL_E_INVALID;
    }
    if (ops->va_bits > PT_FULL_VA_BITS || (PT_FULL_VA_BITS - ops->va_bits) % PTE_INDEX_BITS != 0 ||
        (PT_FULL_VA_BITS - ops->va_bits) / PTE_INDEX_BITS >= PT_LAST_LEVEL) {
        return KEEL_E_INVALID;
    }
    pt->ops = *ops;
    pt->root_level = (int)((PT_FULL_VA_BITS - ops->va_bits) / PTE_INDEX_BITS);
    pt->table_pages = 0;
    return pt_table_new(pt, &pt->root);
}

/* Whether any page of [start, end) is mapped under the table at `table` (span from base). */
static bool pt_any_mapped(const struct page_table *pt, paddr_t table, int level, uint64_t base,
                          uint64_t start, uint64_t end)
{
    volatile pte_t *t = pt_table_at(pt, table);
    uint64_t size = pt_size(level);
    unsigned first = (unsigned)((start - base) >> pt_shift(level));
    unsigned last = (unsigned)((end - 1 - base) >> pt_shift(level));

    for (unsigned i = first; i <= last; i++) {
        pte_t e = t[i];
        uint64_t entry_base = base + (uint64_t)i * size;

        if (!pte_is_valid(level, e)) {
            continue;
        }
        if (pt_is_leaf(level, e)) {
            return true;
        }
        if (pt_any_mapped(pt, pte_addr(level, e), level + 1, entry_base, pt_max(start, entry_base),
                          pt_min(end, entry_base + size))) {
            return true;
        }
    }
    return false;
}

/*
 * Clears every leaf in [start, end) under `table` and frees the tables that become
 * empty. Every leaf met must lie wholly inside the range (the caller split the ends),
 * so this never allocates and cannot fail.
 */
static void pt_clear(struct page_table *pt, paddr_t table, int level, uint64_t base, uint64_t start,
                     uint64_t end)
{
    volatile pte_t *t = pt_table_at(pt, table);
    uint64_t size = pt_size(level);
    unsigned first = (unsigned)((start - base) >> pt_shift(level));
    unsigned last = (unsigned)((end - 1 - base) >> pt_shift(level));

    for (unsigned i = first; i <= last; i++) {
        pte_t e = t[i];
        uint64_t entry_base = base + (uint64_t)i * size;

        if (!pte_is_valid(level, e)) {
            continue;
        }
        if (pt_is_leaf(level, e)) {
            PT_ASSERT(start <= entry_base && entry_base + size <= end);
            t[i] = pte_absent();
            continue;
        }
        paddr_t child = pte_addr(level, e);
        pt_clear(pt, child, level + 1, entry_base, pt_max(start, entry_base),
                 pt_min(end, entry_base + size));
        if (pt_table_empty(pt, level + 1, child)) {
            /* A walk may have cached the entry: invalidate before the frame is reused. */
            t[i] = pte_absent();
            pt_invalidate(pt, entry_base, size);
            pt_table_free(pt, child);
        }
    }
}

/*
 * Maps from off, starting with the largest leaf that fits there, and goes on with
 * leaves of that size in the same table while they fit. *mapped says how far it got.
 * New tables on the way down are linked in before their leaves are written, so a
 * failure can leave empty tables on the path to off: pt_map's rollback frees them.
 */
static int pt_map_run(struct page_table *pt, uint64_t off, uint64_t pa, uint64_t size,
                      pt_flags_t flags, uint64_t *mapped)
{
    paddr_t table = pt->root;

    for (int level = pt->root_level;; level++) {
        volatile pte_t *t = pt_table_at(pt, table);
        uint64_t leaf_size = pt_size(level);
        unsigned i = pt_index(level, off);
        pte_t e = t[i];

        if (!pte_is_valid(level, e) && pt_leaf_fits(pt, level) &&
            ((off | pa) & (leaf_size - 1)) == 0 && size >= leaf_size) {
            uint64_t n = 0;
            while (i < PT_ENTRIES && size - n >= leaf_size && !pte_is_valid(level, t[i])) {
                t[i] = pte_leaf(level, pa_init(pa + n), flags);
                n += leaf_size;
                i++;
            }
            *mapped = n;
            return 0;
        }
        /* pt_map checked that nothing in the range is mapped, so no leaf is in the way. */
        PT_ASSERT(level < PT_LAST_LEVEL && !pt_is_leaf(level, e));
        if (pte_is_table(level, e)) {
            table = pte_addr(level, e);
            continue;
        }
        paddr_t child;
        int err = pt_table_new(pt, &child);
        if (err != 0) {
            return err;
        }
        t[i] = pte_table(level, child);
        table = child;
    }
}

int pt_map(struct page_table *pt, vaddr_t virt, paddr_t phys, uint64_t size, pt_flags_t flags)
{
    uint64_t start;
    uint64_t end;
    int err = pt_check_range(pt, virt, size, &start, &end);

    if (err != 0) {
        return err;
    }
    if ((phys.pa & (PT_GRANULE - 1)) != 0 || phys.pa > (UINT64_C(1) << PTE_PA_BITS) ||
        size > (UINT64_C(1) << PTE_PA_BITS) - phys.pa || !pt_flags_valid(flags)) {
        return KEEL_E_INVALID;
    }
    if (pt_any_mapped(pt, pt->root, pt->root_level, 0, start, end)) {
        return PT_E_MAPPED;
    }
    uint64_t done = 0;
    while (done < size) {
        uint64_t n = 0;
        err = pt_map_run(pt, start + done, phys.pa + done, size - done, flags, &n);
        if (err != 0) {
            /*
             * All or nothing. [start, start + done) holds only whole leaves this call
             * made, and the page at start + done is unmapped, so clearing one page
             * further also frees the empty tables left on the way to it.
             */
            pt_clear(pt, pt->root, pt->root_level, 0, start, start + done + PT_GRANULE);
            if (done != 0) {
                pt_invalidate(pt, start, done);
            }
            return err;
        }
        PT_ASSERT(n != 0);
        done += n;
    }
    return 0;
}

/*
 * Makes off a leaf boundary: a leaf that straddles it becomes a table of the next
 * level's leaves with the same rights and addresses, level by level. The translation
 * of every address is unchanged, so a failed allocation leaves a consistent tree.
 */
static int pt_split_at(struct page_table *pt, uint64_t off)
{
    paddr_t table = pt->root;

    if (off >= pt_span(pt)) {
        return 0;
    }
    for (int level = pt->root_level; level < PT_LAST_LEVEL; level++) {
        volatile pte_t *t = pt_table_at(pt, table);
        uint64_t size = pt_size(level);
        unsigned i = pt_index(level, off);
        pte_t e = t[i];

        if (!pte_is_valid(level, e)) {
            return 0;
        }
        if (pte_is_table(level, e)) {
            table = pte_addr(level, e);
            continue;
        }
        if ((off & (size - 1)) == 0) {
            return 0;
        }
        PT_ASSERT(level + 1 == PT_LAST_LEVEL || pte_block_allowed(level + 1));
        paddr_t child;
        int err = pt_table_new(pt, &child);
        if (err != 0) {
            return err;
        }
        volatile pte_t *c = pt_table_at(pt, child);
        paddr_t pa = pte_addr(level, e);
        pt_flags_t flags = pte_flags(level, e);
        uint64_t child_size = pt_size(level + 1);
        for (unsigned j = 0; j < PT_ENTRIES; j++) {
            c[j] = pte_leaf(level + 1, pa_add(pa, (uint64_t)j * child_size), flags);
        }
        /*
         * On a live table, changing the size of a translation needs break-before-make
         * (Arm ARM, "TLB maintenance requirements"): the old leaf must be gone from
         * every TLB before the table that replaces it appears.
         */
        if (pt->ops.tlb_invalidate != NULL) {
            t[i] = pte_absent();
            pt_invalidate(pt, off & ~(size - 1), size);
        }
        t[i] = pte_table(level, child);
        table = child;
    }
    return 0;
}

int pt_unmap(struct page_table *pt, vaddr_t virt, uint64_t size)
{
    uint64_t start;
    uint64_t end;
    int err = pt_check_range(pt, virt, size, &start, &end);

    if (err != 0) {
        return err;
    }
    err = pt_split_at(pt, start);
    if (err != 0) {
        return err;
    }
    err = pt_split_at(pt, end);
    if (err != 0) {
        return err;
    }
    pt_clear(pt, pt->root, pt->root_level, 0, start, end);
    pt_invalidate(pt, start, size);
    return 0;
}

bool pt_query(const struct page_table *pt, vaddr_t va, struct pt_mapping *out)
{
    paddr_t table = pt->root;
    uint64_t off = pt_offset(pt, va);

    if (!pt_canonical(pt, va.va)) {
        return false;
    }
    for (int level = pt->root_level; level < PTE_LEVELS; level++) {
        pte_t e = pt_table_at(pt, table)[pt_index(level, off)];

        if (!pte_is_valid(level, e)) {
            return false;
        }
        if (pte_is_table(level, e)) {
            table = pte_addr(level, e);
            continue;
        }
        uint64_t size = pt_size(level);
        out->va = pt_vaddr(pt, off & ~(size - 1));
        out->pa = pte_addr(level, e);
        out->size = size;
        out->flags = pte_flags(level, e);
        return true;
    }
    PT_ASSERT(false);
    return false;
}

static int pt_walk_table(const struct page_table *pt, paddr_t table, int level, uint64_t base,
                         int (*visit)(void *arg, const struct pt_mapping *m), void *arg)
{
    volatile pte_t *t = pt_table_at(pt, table);
    uint64_t size = pt_size(level);

    for (unsigned i = pt_next_valid(t, level, 0, PT_ENTRIES); i < PT_ENTRIES;
         i = pt_next_valid(t, level, i + 1, PT_ENTRIES)) {
        pte_t e = t[i];
        uint64_t entry_base = base + (uint64_t)i * size;
        int r;

        if (pte_is_table(level, e)) {
            r = pt_walk_table(pt, pte_addr(level, e), level + 1, entry_base, visit, arg);
        } else {
            struct pt_mapping m = {
                .va = pt_vaddr(pt, entry_base),
                .pa = pte_addr(level, e),
                .size = size,
                .flags = pte_flags(level, e),
            };
            r = visit(arg, &m);
        }
        if (r != 0) {
            return r;
        }
    }
    return 0;
}

int pt_walk(const struct page_table *pt, int (*visit)(void *arg, const struct pt_mapping *m),
            void *arg)
{
    return pt_walk_table(pt, pt->root, pt->root_level, 0, visit, arg);
}

static size_t pt_count_table(const struct page_table *pt, paddr_t table, int level)
{
    volatile pte_t *t = pt_table_at(pt, table);
    size_t count = 1;

    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        pte_t e = t[i];

        if (pte_is_table(level, e)) {
            count += pt_count_table(pt, pte_addr(level, e), level + 1);
        }
    }
    return count;
}

size_t pt_count_tables(const struct page_table *pt)
{
    return pt_count_table(pt, pt->root, pt->root_level);
}

static void pt_free_table(struct page_table *pt, paddr_t table, int level)
{
    volatile pte_t *t = pt_table_at(pt, table);

    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        pte_t e = t[i];

        if (pte_is_table(level, e)) {
            t[i] = pte_absent();
            pt_free_table(pt, pte_addr(level, e), level + 1);
        }
    }
    pt_table_free(pt, table);
}

void pt_destroy(struct page_table *pt)
{
    pt_free_table(pt, pt->root, pt->root_level);
    PT_ASSERT(pt->table_pages == 0);
}

/* SPDX-License-Identifier: MIT */
/* Tests the page-table builder through its API only, so it runs over every entry encoding. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/addr.h>
#include <keel/errors.h>
#include <keel/page_table.h>

#include "fake_phys.h"

#ifndef PT_TEST_ENCODING
#define PT_TEST_ENCODING "unknown"
#endif

#define KIB UINT64_C(0x400)
#define MIB UINT64_C(0x100000)
#define GIB UINT64_C(0x40000000)
#define PG UINT64_C(0x1000)

/* Physical addresses of the fake memory's frames: far from any mapped range below. */
#define FAKE_BASE UINT64_C(0x123456789000)
#define FAKE_FRAMES 8192

#define RW (PT_READ | PT_WRITE)
#define RX (PT_READ | PT_EXEC)

static int check_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            if (++check_failures > 20) {                                                           \
                exit(1);                                                                           \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
    return rng() % n;
}

struct fixture {
    struct fake_phys fp;
    struct page_table pt;
};

/* The width of the trees fixture_init makes: 48 (four levels) or 39 (three). */
static unsigned fixture_va_bits = PT_VA_BITS_MAX;

static void fixture_init(struct fixture *f, bool huge_1g, bool live, uint64_t seed)
{
    fake_phys_init(&f->fp, FAKE_BASE, FAKE_FRAMES, seed);
    struct pt_ops ops = fake_phys_ops(&f->fp, huge_1g, live);
    ops.va_bits = fixture_va_bits;
    CHECK(pt_create(&f->pt, &ops) == 0);
    CHECK(f->pt.table_pages == 1);
}

static void fixture_fini(struct fixture *f)
{
    pt_destroy(&f->pt);
    CHECK(f->pt.table_pages == 0);
    CHECK(f->fp.allocated == 0);
    fake_phys_fini(&f->fp);
}

/* Leaves collected by a walk. */
struct leaf_list {
    struct pt_mapping m[4096];
    size_t count;
    uint64_t bytes;
};

static int collect_leaf(void *arg, const struct pt_mapping *m)
{
    struct leaf_list *l = arg;

    l->bytes += m->size;
    if (l->count < sizeof(l->m) / sizeof(l->m[0])) {
        l->m[l->count] = *m;
    }
    l->count++;
    return 0;
}

static void collect(const struct page_table *pt, struct leaf_list *l)
{
    memset(l, 0, sizeof(*l));
    CHECK(pt_walk(pt, collect_leaf, l) == 0);
}

static bool same_leaves(const struct leaf_list *a, const struct leaf_list *b)
{
    if (a->count != b->count || a->bytes != b->bytes) {
        return false;
    }
    for (size_t i = 0; i < a->count && i < sizeof(a->m) / sizeof(a->m[0]); i++) {
        if (a->m[i].va.va != b->m[i].va.va || a->m[i].pa.pa != b->m[i].pa.pa ||
            a->m[i].size != b->m[i].size || a->m[i].flags != b->m[i].flags) {
            return false;
        }
    }
    return true;
}

static void check_tables(const struct fixture *f)
{
    CHECK(pt_count_tables(&f->pt) == f->pt.table_pages);
    CHECK(f->fp.allocated == f->pt.table_pages);
}

/* The leaf sizes that the largest-page rule picks, in order, for one map call. */
static size_t expected_leaves(uint64_t va, uint64_t pa, uint64_t size, bool huge_1g,
                              uint64_t *sizes, size_t max)
{
    size_t n = 0;

    while (size > 0) {
        uint64_t s = PG;
        if (huge_1g && ((va | pa) & (GIB - 1)) == 0 && size >= GIB) {
            s = GIB;
        } else if (((va | pa) & (2 * MIB - 1)) == 0 && size >= 2 * MIB) {
            s = 2 * MIB;
        }
        if (n < max) {
            sizes[n] = s;
        }
        n++;
        va += s;
        pa += s;
        size -= s;
    }
    return n;
}

/* ---- directed tests ------------------------------------------------------------------ */

static void test_largest_pages(void)
{
    struct fixture f;
    struct leaf_list *l = malloc(sizeof(*l));

    /* A 2 MiB-aligned 4 MiB range: two 2 MiB leaves, whatever huge_1g says. */
    fixture_init(&f, false, false, 1);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x80200000), 4 * MIB, RW) == 0);
    collect(&f.pt, l);
    CHECK(l->count == 2 && l->m[0].size == 2 * MIB && l->m[1].size == 2 * MIB);
    CHECK(l->m[0].va.va == 0x40000000 && l->m[0].pa.pa == 0x80200000);
    CHECK(l->m[1].va.va == 0x40200000 && l->m[1].pa.pa == 0x80400000);
    CHECK(l->m[0].flags == (RW | PT_MEM_NORMAL));
    CHECK(f.pt.table_pages == 3); /* root, level 1, level 2 */
    check_tables(&f);

    /* A 1 GiB-aligned 1 GiB range without 1 GiB pages: 512 leaves of 2 MiB. */
    CHECK(pt_map(&f.pt, va_init(0x80000000), pa_init(0x100000000), GIB, RX) == 0);
    collect(&f.pt, l);
    CHECK(l->count == 2 + 512);
    CHECK(l->m[2].size == 2 * MIB && l->m[513].size == 2 * MIB);
    CHECK(l->m[513].va.va == 0x80000000 + GIB - 2 * MIB);
    CHECK(l->m[513].pa.pa == 0x100000000 + GIB - 2 * MIB);
    fixture_fini(&f);

    /* The same with 1 GiB pages: one leaf, no level-2 table for it. */
    fixture_init(&f, true, false, 2);
    CHECK(pt_map(&f.pt, va_init(0x80000000), pa_init(0x100000000), GIB, RX) == 0);
    collect(&f.pt, l);
    CHECK(l->count == 1 && l->m[0].size == GIB && l->m[0].pa.pa == 0x100000000);
    CHECK(l->m[0].flags == (RX | PT_MEM_NORMAL));
    CHECK(f.pt.table_pages == 2);

    /* Unaligned ends: 4 KiB up to 2 MiB, then 2 MiB pages, then 4 KiB again. */
    CHECK(pt_map(&f.pt, va_init(0x401ff000), pa_init(0x601ff000), 2 * MIB + 2 * PG,
                 PT_READ | PT_MEM_WC) == 0);
    struct pt_mapping m;
    CHECK(pt_query(&f.pt, va_init(0x401ff000), &m) && m.size == PG);
    CHECK(pt_query(&f.pt, va_init(0x40200000), &m) && m.size == 2 * MIB);
    CHECK(pt_query(&f.pt, va_init(0x40400000), &m) && m.size == PG);
    CHECK(m.pa.pa == 0x60400000 && m.flags == (PT_READ | PT_MEM_WC));
    CHECK(!pt_query(&f.pt, va_init(0x40401000), &m));
    CHECK(!pt_query(&f.pt, va_init(0x401fe000), &m));

    /* virt and phys aligned differently: 4 KiB leaves only. */
    CHECK(pt_map(&f.pt, va_init(0x200000000), pa_init(0x300001000), 4 * MIB,
                 PT_READ | PT_MEM_DEVICE) == 0);
    CHECK(pt_query(&f.pt, va_init(0x200200000), &m) && m.size == PG);
    CHECK(m.pa.pa == 0x300201000 && m.flags == (PT_READ | PT_MEM_DEVICE));
    check_tables(&f);
    fixture_fini(&f);
    free(l);
}

static void test_refuse_overwrite(void)
{
    struct fixture f;
    struct leaf_list *before = malloc(sizeof(*before));
    struct leaf_list *after = malloc(sizeof(*after));

    fixture_init(&f, true, false, 3);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000000), 4 * MIB, RW) == 0);
    CHECK(pt_map(&f.pt, va_init(0x50000000), pa_init(0x2000000), 3 * PG, RX) == 0);
    collect(&f.pt, before);
    size_t pages = f.pt.table_pages;

    /* Exactly the same, overlapping the end, the start, inside, and a 1 GiB cover. */
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000000), 4 * MIB, RW) == PT_E_MAPPED);
    CHECK(pt_map(&f.pt, va_init(0x403ff000), pa_init(0x9000000), 2 * PG, RW) == PT_E_MAPPED);
    CHECK(pt_map(&f.pt, va_init(0x4fffe000), pa_init(0x9000000), 3 * PG, RW) == PT_E_MAPPED);
    CHECK(pt_map(&f.pt, va_init(0x50001000), pa_init(0x9000000), PG, RW) == PT_E_MAPPED);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x80000000), GIB, RW) == PT_E_MAPPED);
    collect(&f.pt, after);
    CHECK(same_leaves(before, after));
    CHECK(f.pt.table_pages == pages);
    check_tables(&f);
    fixture_fini(&f);
    free(before);
    free(after);
}

static void test_invalid_arguments(void)
{
    struct fixture f;

    fixture_init(&f, true, false, 4);
    CHECK(pt_map(&f.pt, va_init(0x40000800), pa_init(0x1000), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1800), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), 0x800, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), 0, RW) == KEEL_E_INVALID);
    /* Not canonical, and crossing the canonical hole from either side. */
    CHECK(pt_map(&f.pt, va_init(0x0000800000000000), pa_init(0), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0xfff0000000000000), pa_init(0), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x00007ffffffff000), pa_init(0), 2 * PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0xfffffffffffff000), pa_init(0), 2 * PG, RW) == KEEL_E_INVALID);
    CHECK(pt_unmap(&f.pt, va_init(0x00007ffffffff000), 2 * PG) == KEEL_E_INVALID);
    CHECK(pt_unmap(&f.pt, va_init(0x1800), PG) == KEEL_E_INVALID);
    /* Physical addresses past 2^56 exist on no encoding (Sv48's are 56 bits wide). */
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(UINT64_C(1) << 56), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(UINT64_MAX & ~(PG - 1)), 2 * PG, RW) ==
          KEEL_E_INVALID);
    /* Flags: read is required, device is never executable, no unknown bits. */
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), PG, PT_WRITE) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), PG, RX | PT_MEM_DEVICE) ==
          KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), PG, RW | 0x100) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), PG, RW | PT_MEM_MASK) ==
          KEEL_E_INVALID);
    CHECK(f.pt.table_pages == 1);

    /* W+X is the audit's business, not the builder's. */
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x1000), PG, RW | PT_EXEC) == 0);
    struct pt_mapping m;
    CHECK(pt_query(&f.pt, va_init(0x40000fff), &m) && m.flags == (RW | PT_EXEC));
    CHECK(!pt_query(&f.pt, va_init(0x0000900000000000), &m));

    /* The very last page, and the first page of the upper half. */
    CHECK(pt_map(&f.pt, va_init(0xfffffffffffff000), pa_init(0x5000), PG, RW) == 0);
    CHECK(pt_map(&f.pt, va_init(0xffff800000000000), pa_init(0x6000), PG, PT_READ) == 0);
    CHECK(pt_map(&f.pt, va_init(0x00007ffffffff000), pa_init(0x7000), PG, PT_READ) == 0);
    CHECK(pt_query(&f.pt, va_init(0xffffffffffffffff), &m));
    CHECK(m.va.va == 0xfffffffffffff000 && m.pa.pa == 0x5000 && m.size == PG);
    struct leaf_list *l = malloc(sizeof(*l));
    collect(&f.pt, l);
    CHECK(l->count == 4);
    CHECK(l->m[0].va.va == 0x40000000 && l->m[1].va.va == 0x00007ffffffff000);
    CHECK(l->m[2].va.va == 0xffff800000000000 && l->m[3].va.va == 0xfffffffffffff000);
    CHECK(pt_unmap(&f.pt, va_init(0xffff800000000000), UINT64_C(1) << 47) == 0);
    CHECK(pt_unmap(&f.pt, va_init(0), UINT64_C(1) << 47) == 0);
    CHECK(f.pt.table_pages == 1);
    fixture_fini(&f);
    free(l);
}

/*
 * A three-level tree (39 bits, Sv39's geometry): its root holds 1 GiB entries, the
 * canonical hole starts at 2^38, and only widths a whole number of levels gives exist.
 */
static void test_three_levels(void)
{
    struct fixture f;
    struct fake_phys fp;
    struct page_table pt;
    struct pt_mapping m;

    fake_phys_init(&fp, FAKE_BASE, FAKE_FRAMES, 9);
    struct pt_ops ops = fake_phys_ops(&fp, true, false);
    ops.va_bits = 0;
    CHECK(pt_create(&pt, &ops) == KEEL_E_INVALID);
    ops.va_bits = 40;
    CHECK(pt_create(&pt, &ops) == KEEL_E_INVALID);
    ops.va_bits = 21; /* a root of 4 KiB pages: no table at all */
    CHECK(pt_create(&pt, &ops) == KEEL_E_INVALID);
    ops.va_bits = 57;
    CHECK(pt_create(&pt, &ops) == KEEL_E_INVALID);
    CHECK(fp.allocated == 0);
    fake_phys_fini(&fp);

    fixture_va_bits = 39;
    fixture_init(&f, true, false, 10);
    CHECK(f.pt.root_level == 1);
    /* 48-bit addresses of the kernel half are not canonical at 39 bits. */
    CHECK(pt_map(&f.pt, va_init(0xffff800000000000), pa_init(0), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x0000004000000000), pa_init(0), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0xffffff8000000000), pa_init(0), PG, RW) == KEEL_E_INVALID);
    CHECK(pt_map(&f.pt, va_init(0x0000003ffffff000), pa_init(0), 2 * PG, RW) == KEEL_E_INVALID);
    CHECK(f.pt.table_pages == 1);
    /* A 1 GiB leaf is a root entry: no table below it. */
    CHECK(pt_map(&f.pt, va_init(0xffffffc000000000), pa_init(GIB), GIB, RW) == 0);
    CHECK(f.pt.table_pages == 1);
    CHECK(pt_query(&f.pt, va_init(0xffffffc012345678), &m) && m.size == GIB &&
          m.va.va == 0xffffffc000000000 && m.pa.pa == GIB);
    /* The last page of each half, and a 4 KiB page: two more tables. */
    CHECK(pt_map(&f.pt, va_init(0xfffffffffffff000), pa_init(0x5000), PG, PT_READ) == 0);
    CHECK(pt_map(&f.pt, va_init(0x0000003ffffff000), pa_init(0x6000), PG, RW) == 0);
    CHECK(f.pt.table_pages == 5);
    struct leaf_list *l = malloc(sizeof(*l));
    collect(&f.pt, l);
    CHECK(l->count == 3 && l->m[0].va.va == 0x0000003ffffff000 &&
          l->m[1].va.va == 0xffffffc000000000 && l->m[2].va.va == 0xfffffffffffff000);
    /* Splitting the root's 1 GiB leaf, then unmapping each half whole. */
    CHECK(pt_unmap(&f.pt, va_init(0xffffffc000200000), PG) == 0);
    CHECK(pt_query(&f.pt, va_init(0xffffffc000201000), &m) && m.size == PG &&
          m.pa.pa == GIB + 0x201000);
    check_tables(&f);
    CHECK(pt_unmap(&f.pt, va_init(0xffffffc000000000), UINT64_C(1) << 38) == 0);
    CHECK(pt_unmap(&f.pt, va_init(0), UINT64_C(1) << 38) == 0);
    CHECK(f.pt.table_pages == 1);
    fixture_fini(&f);
    free(l);
    fixture_va_bits = PT_VA_BITS_MAX;
}

/* A map that needs several new tables fails at each allocation in turn. */
static void test_map_failure_rollback(void)
{
    struct leaf_list *before = malloc(sizeof(*before));
    struct leaf_list *after = malloc(sizeof(*after));
    size_t allocations_needed = 0;

    for (long k = 0;; k++) {
        struct fixture f;
        fixture_init(&f, true, k % 2 == 0, 5 + (uint64_t)k);
        /* Something already there shares the upper tables with the new range. */
        CHECK(pt_map(&f.pt, va_init(0x7f0000000000), pa_init(0x100000), 2 * PG, RW) == 0);
        collect(&f.pt, before);
        size_t pages = f.pt.table_pages;
        /* 4 KiB leaves, two 1 GiB leaves, then 2 MiB and 4 KiB leaves in new tables. */
        vaddr_t va = va_init(0x7f003ff00000);
        paddr_t pa = pa_init(0x3ff00000);
        uint64_t size = 2 * GIB + 6 * MIB + 8 * PG;

        f.fp.fail_countdown = k;
        int err = pt_map(&f.pt, va, pa, size, RW);
        if (err == 0) {
            CHECK(f.fp.failures == 0);
            allocations_needed = (size_t)k;
            fixture_fini(&f);
            break;
        }
        CHECK(err == KEEL_E_NO_MEMORY && f.fp.failures == 1);
        collect(&f.pt, after);
        CHECK(same_leaves(before, after));
        CHECK(f.pt.table_pages == pages);
        check_tables(&f);
        /* The tree still works: the same map now succeeds. */
        CHECK(pt_map(&f.pt, va, pa, size, RW) == 0);
        struct pt_mapping m;
        CHECK(pt_query(&f.pt, va_add(va, size - PG), &m) && m.size == PG);
        CHECK(pt_query(&f.pt, va_init(0x7f0040000000), &m) && m.size == GIB);
        check_tables(&f);
        fixture_fini(&f);
    }
    /* A level-3 table below the shared level-2 one, then a level-2 and a level-3 table. */
    CHECK(allocations_needed == 3);
    printf("  map rollback: failure injected at each of %zu table allocations\n",
           allocations_needed);
    free(before);
    free(after);
}

static void test_unmap_split(void)
{
    struct fixture f;
    struct pt_mapping m;

    for (int live = 0; live < 2; live++) {
        fixture_init(&f, true, live != 0, 7);
        CHECK(pt_map(&f.pt, va_init(0xffffffff80000000), pa_init(0x40000000), GIB,
                     RX | PT_MEM_NORMAL) == 0);
        CHECK(f.pt.table_pages == 2); /* root and level 1 */
        /* One page in the middle: the 1 GiB leaf becomes 2 MiB leaves, one of them 4 KiB. */
        vaddr_t hole = va_init(0xffffffff80000000 + 300 * MIB + 5 * PG);
        size_t inval_before = f.fp.invalidations;
        CHECK(pt_unmap(&f.pt, hole, PG) == 0);
        if (live) {
            CHECK(f.fp.invalidations >= inval_before + 3); /* two splits and the unmap */
        } else {
            CHECK(f.fp.invalidations == 0);
        }
        CHECK(!pt_query(&f.pt, hole, &m));
        CHECK(pt_query(&f.pt, va_add(hole, PG), &m) && m.size == PG);
        CHECK(m.pa.pa == 0x40000000 + 300 * MIB + 6 * PG && m.flags == (RX | PT_MEM_NORMAL));
        CHECK(pt_query(&f.pt, va_add(hole, -PG), &m) && m.size == PG);
        CHECK(pt_query(&f.pt, va_add(hole, 2 * MIB), &m) && m.size == 2 * MIB);
        CHECK(m.pa.pa == 0x40000000 + 302 * MIB);
        CHECK(pt_query(&f.pt, va_init(0xffffffff80000000), &m) && m.size == 2 * MIB);
        struct leaf_list *l = malloc(sizeof(*l));
        collect(&f.pt, l);
        CHECK(l->count == 511 + 511 && l->bytes == GIB - PG);
        CHECK(f.pt.table_pages == 4);
        check_tables(&f);

        /* Unmapping the rest of that 2 MiB frees its table again. */
        CHECK(pt_unmap(&f.pt, va_init(0xffffffff80000000 + 300 * MIB), 2 * MIB) == 0);
        CHECK(f.pt.table_pages == 3);
        check_tables(&f);

        /* A split that cannot get its frame changes no translation. */
        collect(&f.pt, l);
        f.fp.fail_countdown = 0;
        CHECK(pt_unmap(&f.pt, va_init(0xffffffff80000000 + 100 * MIB + PG), PG) ==
              KEEL_E_NO_MEMORY);
        struct leaf_list *after = malloc(sizeof(*after));
        collect(&f.pt, after);
        CHECK(same_leaves(l, after));
        CHECK(f.pt.table_pages == 3);
        free(after);
        free(l);
        fixture_fini(&f);
    }

    /* Both ends of one unmap inside large pages, each split in two steps; second fails. */
    fixture_init(&f, true, false, 8);
    CHECK(pt_map(&f.pt, va_init(0x40000000), pa_init(0x80000000), 2 * GIB, RW) == 0);
    CHECK(f.pt.table_pages == 2);
    f.fp.fail_countdown = 2;
    CHECK(pt_unmap(&f.pt, va_init(0x40000000 + 7 * PG), GIB) == KEEL_E_NO_MEMORY);
    for (uint64_t off = 0; off < 2 * GIB; off += 16 * MIB + PG) {
        CHECK(pt_query(&f.pt, va_init(0x40000000 + off), &m));
        CHECK(m.pa.pa + (0x40000000 + off - m.va.va) == 0x80000000 + off && m.flags == RW);
    }
    check_tables(&f);
    CHECK(pt_unmap(&f.pt, va_init(0x40000000 + 7 * PG), GIB) == 0);
    CHECK(pt_query(&f.pt, va_init(0x40000000 + 6 * PG), &m) && m.size == PG);
    CHECK(!pt_query(&f.pt, va_init(0x40000000 + 7 * PG), &m));
    CHECK(!pt_query(&f.pt, va_init(0x40000000 + 6 * PG + GIB), &m));
    CHECK(pt_query(&f.pt, va_init(0x40000000 + 7 * PG + GIB), &m) && m.size == PG);
    CHECK(m.pa.pa == 0x80000000 + 7 * PG + GIB);
    check_tables(&f);
    fixture_fini(&f);
}

/* ---- random operations against a reference model ------------------------------------- */

struct model_page {
    uint64_t pa;
    uint32_t flags; /* 0: not mapped */
};

/* Windows of virtual address space the random operations use, each with its own model. */
struct window {
    uint64_t base;
    uint64_t size;
    struct model_page *pages;
};

static struct window windows[] = {
    {0x0000000040000000, 3 * GIB, NULL},  /* lower half: 1 GiB pages fit */
    {0xffffffffc0000000, GIB, NULL},      /* upper half, up to the last page */
    {0x00007fffff000000, 16 * MIB, NULL}, /* just below the canonical hole */
};
#define WINDOW_COUNT (sizeof(windows) / sizeof(windows[0]))

struct random_stats {
    unsigned long maps;
    unsigned long maps_refused;
    unsigned long maps_failed;
    unsigned long unmaps;
    unsigned long unmaps_failed;
    unsigned long pages_checked;
    unsigned long leaves_1g;
    unsigned long leaves_2m;
    unsigned long made_1g;
    unsigned long made_2m;
};

static const pt_flags_t random_flags[] = {
    PT_READ | PT_MEM_NORMAL, RW | PT_MEM_NORMAL,
    RX | PT_MEM_NORMAL,      RW | PT_EXEC | PT_MEM_NORMAL,
    RW | PT_MEM_DEVICE,      PT_READ | PT_MEM_DEVICE,
    RW | PT_MEM_WC,          RX | PT_MEM_WC,
};

static void check_page(const struct page_table *pt, const struct window *w, uint64_t page,
                       struct random_stats *st)
{
    uint64_t va = w->base + page * PG;
    const struct model_page *mp = &w->pages[page];
    struct pt_mapping m;
    bool mapped = pt_query(pt, va_init(va), &m);

    st->pages_checked++;
    if (mp->flags == 0) {
        CHECK(!mapped);
        return;
    }
    CHECK(mapped);
    if (!mapped) {
        return;
    }
    CHECK(m.size == PG || m.size == 2 * MIB || m.size == GIB);
    CHECK((m.va.va & (m.size - 1)) == 0 && (m.pa.pa & (m.size - 1)) == 0);
    CHECK(m.va.va <= va && va - m.va.va < m.size);
    CHECK(m.pa.pa + (va - m.va.va) == mp->pa);
    CHECK(m.flags == mp->flags);
}

static void check_window_range(const struct page_table *pt, const struct window *w, uint64_t first,
                               uint64_t count, struct random_stats *st)
{
    uint64_t lo = first > 0 ? first - 1 : 0;
    uint64_t hi = first + count + 1 < w->size / PG ? first + count + 1 : w->size / PG;

    for (uint64_t p = lo; p < hi; p++) {
        check_page(pt, w, p, st);
    }
}

struct full_check {
    uint64_t last_end;
    bool have_last;
    uint64_t pages;
    struct random_stats *st;
};

static int full_check_leaf(void *arg, const struct pt_mapping *m)
{
    struct full_check *fc = arg;
    const struct window *w = NULL;

    if (fc->have_last) {
        CHECK(m->va.va >= fc->last_end);
    }
    fc->have_last = m->va.va + m->size != 0;
    fc->last_end = m->va.va + m->size;
    for (size_t i = 0; i < WINDOW_COUNT; i++) {
        if (m->va.va >= windows[i].base && m->va.va - windows[i].base < windows[i].size) {
            w = &windows[i];
        }
    }
    CHECK(w != NULL);
    if (w == NULL) {
        return 1;
    }
    CHECK(m->va.va - w->base + m->size <= w->size);
    fc->st->leaves_1g += m->size == GIB;
    fc->st->leaves_2m += m->size == 2 * MIB;
    uint64_t first = (m->va.va - w->base) / PG;
    for (uint64_t p = 0; p < m->size / PG; p++) {
        const struct model_page *mp = &w->pages[first + p];
        CHECK(mp->flags == m->flags && mp->pa == m->pa.pa + p * PG);
    }
    fc->pages += m->size / PG;
    return 0;
}

static void full_check(const struct fixture *f, struct random_stats *st)
{
    struct full_check fc = {.st = st};
    uint64_t model_pages = 0;

    CHECK(pt_walk(&f->pt, full_check_leaf, &fc) == 0);
    for (size_t i = 0; i < WINDOW_COUNT; i++) {
        for (uint64_t p = 0; p < windows[i].size / PG; p++) {
            model_pages += windows[i].pages[p].flags != 0;
        }
    }
    CHECK(fc.pages == model_pages);
    check_tables(f);
}

/* A random size in pages, mostly small, sometimes up to 1.5 GiB. */
static uint64_t random_pages(uint64_t window_pages)
{
    uint64_t r = rng_below(100);
    uint64_t n;

    if (r < 55) {
        n = 1 + rng_below(16);
    } else if (r < 85) {
        n = 1 + rng_below(2048);
    } else if (r < 95) {
        n = 1 + rng_below(16384);
    } else {
        n = 1 + rng_below(3 * GIB / 2 / PG);
    }
    return n < window_pages ? n : window_pages;
}

static uint64_t random_align(uint64_t pages)
{
    uint64_t r = rng_below(100);

    if (pages * PG >= GIB) {
        return r < 20 ? PG : r < 40 ? 2 * MIB : GIB;
    }
    return r < 50 ? PG : r < 85 ? 2 * MIB : GIB;
}

static void random_test(uint64_t seed, bool huge_1g, bool live, unsigned ops)
{
    struct fixture f;
    struct random_stats st = {0};

    rng_state = seed;
    fixture_init(&f, huge_1g, live, seed);
    for (size_t i = 0; i < WINDOW_COUNT; i++) {
        windows[i].pages = calloc(windows[i].size / PG, sizeof(struct model_page));
        CHECK(windows[i].pages != NULL);
    }

    int failures_before = check_failures;

    for (unsigned op = 0; op < ops && check_failures == failures_before; op++) {
        struct window *w = &windows[rng_below(100) < 70 ? 0 : 1 + rng_below(WINDOW_COUNT - 1)];
        uint64_t window_pages = w->size / PG;
        uint64_t count = random_pages(window_pages);
        uint64_t align = random_align(count) / PG;
        uint64_t first = rng_below(window_pages - count + 1);
        if (first / align * align + count <= window_pages) {
            first = first / align * align;
        }
        uint64_t va = w->base + first * PG;
        uint64_t kind = rng_below(100);
        bool inject = rng_below(100) < 10;
        size_t pages_before = f.pt.table_pages;

        if (inject) {
            f.fp.fail_countdown = (long)rng_below(4);
        }
        if (kind < 35) {
            int err = pt_unmap(&f.pt, va_init(va), count * PG);
            if (err == 0) {
                st.unmaps++;
                for (uint64_t p = 0; p < count; p++) {
                    w->pages[first + p].flags = 0;
                }
            } else {
                CHECK(err == KEEL_E_NO_MEMORY && inject);
                st.unmaps_failed++;
            }
        } else {
            if (kind >= 80) {
                /* Unmap first, so that the map below goes through. */
                f.fp.fail_countdown = -1;
                CHECK(pt_unmap(&f.pt, va_init(va), count * PG) == 0);
                for (uint64_t p = 0; p < count; p++) {
                    w->pages[first + p].flags = 0;
                }
                pages_before = f.pt.table_pages;
                if (inject) {
                    f.fp.fail_countdown = (long)rng_below(4);
                }
            }
            /* The physical side keeps the virtual alignment, mostly. */
            uint64_t pa =
                (rng_below(UINT64_C(1) << 40) & ~(align * PG - 1)) + (rng_below(100) < 10 ? PG : 0);
            pt_flags_t flags =
                random_flags[rng_below(sizeof(random_flags) / sizeof(random_flags[0]))];
            bool is_free = true;
            for (uint64_t p = 0; p < count && is_free; p++) {
                is_free = w->pages[first + p].flags == 0;
            }
            int err = pt_map(&f.pt, va_init(va), pa_init(pa), count * PG, flags);
            if (!is_free) {
                CHECK(err == PT_E_MAPPED);
                CHECK(f.pt.table_pages == pages_before);
                st.maps_refused++;
            } else if (err != 0) {
                CHECK(err == KEEL_E_NO_MEMORY && inject);
                CHECK(f.pt.table_pages == pages_before);
                st.maps_failed++;
            } else {
                st.maps++;
                for (uint64_t p = 0; p < count; p++) {
                    w->pages[first + p] = (struct model_page){pa + p * PG, flags};
                }
                /* The largest leaves were used, in order. */
                uint64_t sizes[64];
                size_t n = expected_leaves(va, pa, count * PG, huge_1g, sizes, 64);
                uint64_t at = va;
                for (size_t i = 0; i < n && i < 64; i++) {
                    struct pt_mapping m;
                    CHECK(pt_query(&f.pt, va_init(at), &m) && m.size == sizes[i] && m.va.va == at);
                    st.made_1g += sizes[i] == GIB;
                    st.made_2m += sizes[i] == 2 * MIB;
                    at += sizes[i];
                }
            }
        }
        f.fp.fail_countdown = -1;
        check_window_range(&f.pt, w, first, count, &st);
        CHECK(f.fp.allocated == f.pt.table_pages);
        if (op % 128 == 0) {
            full_check(&f, &st);
        }
    }
    full_check(&f, &st);

    /* Unmapping everything leaves only the root. */
    for (size_t i = 0; i < WINDOW_COUNT; i++) {
        CHECK(pt_unmap(&f.pt, va_init(windows[i].base), windows[i].size) == 0);
        memset(windows[i].pages, 0, windows[i].size / PG * sizeof(struct model_page));
    }
    full_check(&f, &st);
    CHECK(f.pt.table_pages == 1);
    printf("  seed %" PRIu64 " huge_1g=%d live=%d: %u ops: %lu maps, %lu refused, %lu failed "
           "(injected), %lu unmaps, %lu failed (injected); %lu page checks; maps made %lu "
           "1 GiB and %lu 2 MiB leaves; full walks saw %lu and %lu\n",
           seed, huge_1g, live, ops, st.maps, st.maps_refused, st.maps_failed, st.unmaps,
           st.unmaps_failed, st.pages_checked, st.made_1g, st.made_2m, st.leaves_1g, st.leaves_2m);
    CHECK(st.maps > ops / 10 && st.unmaps > ops / 10);
    CHECK(st.made_2m > 0 && st.leaves_2m > 0);
    CHECK(huge_1g ? st.made_1g > 0 : st.made_1g == 0);
    for (size_t i = 0; i < WINDOW_COUNT; i++) {
        free(windows[i].pages);
        windows[i].pages = NULL;
    }
    fixture_fini(&f);
}

int main(int argc, char **argv)
{
    unsigned ops = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 4000;

    printf("pt_test over the %s entry encoding\n", PT_TEST_ENCODING);
    test_largest_pages();
    test_refuse_overwrite();
    test_invalid_arguments();
    test_map_failure_rollback();
    test_unmap_split();
    random_test(1, false, false, ops);
    random_test(2, true, false, ops);
    random_test(3, true, true, ops);
    test_three_levels();
    /* The random run on a three-level tree: its hole is at 2^38. */
    fixture_va_bits = 39;
    windows[2].base = (UINT64_C(1) << 38) - 16 * MIB;
    random_test(4, true, true, ops);
    if (check_failures != 0) {
        printf("FAIL: %d checks failed\n", check_failures);
        return 1;
    }
    printf("PASS\n");
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* Times the page-table builder mapping 1 GiB as 4 KiB and as 2 MiB pages; prints, never asserts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel/addr.h>
#include <keel/page_table.h>

#define MIB UINT64_C(0x100000)
#define GIB UINT64_C(0x40000000)
#define ARENA_BASE UINT64_C(0x100000000)
#define ARENA_FRAMES 2048 /* 1 GiB of 4 KiB pages needs 515 tables */
#define ROUNDS 9

/* The cheapest possible frame source: a bump allocator over one host buffer. */
struct arena {
    uint8_t *mem;
    size_t next;
};

static int arena_alloc(void *ctx, paddr_t *out)
{
    struct arena *a = ctx;

    if (a->next == ARENA_FRAMES) {
        return 1;
    }
    *out = pa_init(ARENA_BASE + (uint64_t)a->next++ * PAGE_SIZE);
    return 0;
}

static void arena_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    (void)pa;
}

static void *arena_p2v(void *ctx, paddr_t pa)
{
    struct arena *a = ctx;

    return a->mem + (pa.pa - ARENA_BASE);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/*
 * Median time to make a tree and map 1 GiB at a 1 GiB-aligned address onto phys (phys
 * decides the leaf size), averaged over reps trees per round so that a round is long
 * enough for the clock.
 */
static double time_map(struct arena *a, uint64_t phys, int reps, size_t *leaves, size_t *tables)
{
    struct pt_ops ops = {
        .alloc_frame = arena_alloc,
        .free_frame = arena_free,
        .phys_to_virt = arena_p2v,
        .ctx = a,
        .huge_1g = false,
        .va_bits = PT_VA_BITS_MAX,
    };
    double t[ROUNDS];
    struct page_table pt;

    for (int r = 0; r < ROUNDS; r++) {
        double start = now();
        for (int i = 0; i < reps; i++) {
            a->next = 0;
            int err = pt_create(&pt, &ops);
            if (err == 0) {
                err = pt_map(&pt, va_init(0xffff900000000000), pa_init(phys), GIB,
                             PT_READ | PT_WRITE);
            }
            if (err != 0) {
                fprintf(stderr, "pt_bench: building the tree failed: %d\n", err);
                exit(1);
            }
        }
        t[r] = (now() - start) / reps;
    }
    struct pt_mapping m;
    pt_query(&pt, va_init(0xffff900000000000), &m);
    *leaves = (size_t)(GIB / m.size);
    *tables = pt.table_pages;
    qsort(t, ROUNDS, sizeof(t[0]), compare_double);
    return t[ROUNDS / 2];
}

int main(void)
{
    struct arena a = {.mem = aligned_alloc(PAGE_SIZE, (size_t)ARENA_FRAMES * PAGE_SIZE)};
    size_t leaves_4k;
    size_t leaves_2m;
    size_t tables_4k;
    size_t tables_2m;

    if (a.mem == NULL) {
        return 1;
    }
    memset(a.mem, 0, (size_t)ARENA_FRAMES * PAGE_SIZE);
    /* phys 4 KiB off 2 MiB alignment forces 4 KiB pages; 2 MiB-aligned allows 2 MiB ones. */
    double t4k = time_map(&a, 0x80000000 + PAGE_SIZE, 4, &leaves_4k, &tables_4k);
    double t2m = time_map(&a, 0x80000000, 1000, &leaves_2m, &tables_2m);

    printf("pt_bench: new tree + map 1 GiB, fake arch encoding, median of %d rounds\n", ROUNDS);
    printf("  4 KiB pages: %zu leaves, %zu tables, %.2f us, %.0f pages/s\n", leaves_4k, tables_4k,
           t4k * 1e6, (double)leaves_4k / t4k);
    printf("  2 MiB pages: %zu leaves, %zu tables, %.2f us, %.0f pages/s\n", leaves_2m, tables_2m,
           t2m * 1e6, (double)leaves_2m / t2m);
    printf("  time ratio 4 KiB / 2 MiB: %.1fx; per-page rate ratio 4 KiB / 2 MiB: %.2f\n",
           t4k / t2m, ((double)leaves_4k / t4k) / ((double)leaves_2m / t2m));
    free(a.mem);
    return 0;
}

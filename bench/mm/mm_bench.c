/* SPDX-License-Identifier: MIT */
/* Benchmarks of the frame allocator and the heap; prints figures, never judges them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <keel/frame_alloc.h>
#include <keel/heap.h>

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545f4914f6cdd1d);
}

/* Keeps the compiler from dropping work whose result nobody reads. */
static volatile uint64_t sink;

/* A QEMU-like PC map of `ram` bytes: low memory, the image, a module, the PCI hole. */
static size_t pc_map(struct bi_mem_range *map, uint64_t ram)
{
    size_t n = 0;
    uint64_t low_end = ram < 3 * GIB ? ram : 3 * GIB;
    map[n++] = (struct bi_mem_range){0x1000, 0x9e000, BI_MEM_USABLE, 0};
    map[n++] = (struct bi_mem_range){0xf0000, 0x10000, BI_MEM_RESERVED, 0};
    map[n++] = (struct bi_mem_range){0x100000, 0x100000, BI_MEM_USABLE, 0};
    map[n++] = (struct bi_mem_range){0x200000, 0x200000, BI_MEM_KERNEL, 0};
    map[n++] = (struct bi_mem_range){0x400000, 0x100000, BI_MEM_MODULE, 0};
    map[n++] = (struct bi_mem_range){0x500000, 0x1000, BI_MEM_BOOT_INFO, 0};
    map[n++] = (struct bi_mem_range){0x501000, low_end - 0x501000, BI_MEM_USABLE, 0};
    if (ram > 3 * GIB) {
        map[n++] = (struct bi_mem_range){3 * GIB, GIB, BI_MEM_RESERVED, 0};
        map[n++] = (struct bi_mem_range){4 * GIB, ram - 3 * GIB, BI_MEM_USABLE, 0};
    }
    return n;
}

static double init_seconds(uint64_t ram, unsigned rounds, size_t *entries)
{
    static struct frame_extent st[256];
    struct bi_mem_range map[16];
    struct frame_alloc fa;
    size_t n = pc_map(map, ram);

    *entries = n;
    double t0 = now();
    for (unsigned i = 0; i < rounds; i++) {
        if (frame_alloc_init(&fa, map, n, st, 256) != 0) {
            fprintf(stderr, "mm-bench: frame_alloc_init failed\n");
            exit(1);
        }
        sink += fa.frames_free;
    }
    return (now() - t0) / rounds;
}

static void bench_frames(void)
{
    static struct frame_extent st[8192];
    struct bi_mem_range map[16];
    struct frame_alloc fa;
    size_t n = pc_map(map, 4 * GIB);
    const unsigned pairs = 2000000;
    paddr_t pa;

    frame_alloc_init(&fa, map, n, st, 8192);
    double t0 = now();
    for (unsigned i = 0; i < pairs; i++) {
        frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa);
        frame_free(&fa, pa, 1, FRAME_OWNER_PAGE_TABLES);
    }
    double t = now() - t0;
    printf("frame alloc+free pairs (4 GiB map, %zu extents): %.1f M pairs/s (%.0f ns/pair)\n",
           fa.extent_count, pairs / t / 1e6, t / pairs * 1e9);

    /* Fragment it: 1000 one-frame holes in front of the free space; runs of 2+ skip them. */
    paddr_t first;
    frame_alloc_one(&fa, FRAME_OWNER_HEAP, &first);
    for (unsigned i = 0; i < 2000; i++) {
        frame_alloc_one(&fa, FRAME_OWNER_HEAP, &pa);
    }
    for (unsigned i = 0; i < 1000; i++) {
        frame_free(&fa, pa_add(first, (uint64_t)(2 * i + 1) * PAGE_SIZE), 1, FRAME_OWNER_HEAP);
    }
    uint64_t rng = 7;
    t0 = now();
    for (unsigned i = 0; i < pairs / 10; i++) {
        uint64_t count = 1 + rng_next(&rng) % 4;
        frame_alloc_run(&fa, count, 1, FRAME_OWNER_STACKS, &pa);
        frame_free(&fa, pa, count, FRAME_OWNER_STACKS);
    }
    t = now() - t0;
    printf("frame alloc+free pairs (fragmented, %zu extents): %.2f M pairs/s (%.0f ns/pair)\n",
           fa.extent_count, pairs / 10 / t / 1e6, t / (pairs / 10) * 1e9);
}

/*
 * One fixed pseudo-random sequence of malloc and free over a set of slots: an empty
 * slot gets a block of 16 B .. 4 KiB, a full one is freed. Both allocators run it.
 */
enum { SLOTS = 4096, STEPS = 4000000 };

struct step {
    uint32_t slot;
    uint32_t size;
};

static struct step *make_sequence(void)
{
    struct step *seq = malloc(STEPS * sizeof(*seq));
    uint64_t rng = 0x5eed;
    for (unsigned i = 0; i < STEPS; i++) {
        seq[i].slot = (uint32_t)(rng_next(&rng) % SLOTS);
        seq[i].size = (uint32_t)(16 + rng_next(&rng) % (4096 - 16 + 1));
    }
    return seq;
}

static double run_keel(const struct step *seq, struct heap *h)
{
    static void *slots[SLOTS];
    double t0 = now();
    for (unsigned i = 0; i < STEPS; i++) {
        void **s = &slots[seq[i].slot];
        if (*s != NULL) {
            heap_free(h, *s);
            *s = NULL;
        } else {
            *s = heap_alloc(h, seq[i].size);
            *(volatile uint8_t *)*s = 1;
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        heap_free(h, slots[i]);
        slots[i] = NULL;
    }
    return now() - t0;
}

static double run_libc(const struct step *seq)
{
    static void *slots[SLOTS];
    double t0 = now();
    for (unsigned i = 0; i < STEPS; i++) {
        void **s = &slots[seq[i].slot];
        if (*s != NULL) {
            free(*s);
            *s = NULL;
        } else {
            *s = malloc(seq[i].size);
            *(volatile uint8_t *)*s = 1;
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        free(slots[i]);
        slots[i] = NULL;
    }
    return now() - t0;
}

static void bench_heap(void)
{
    const size_t region_size = 64 * MIB;
    void *region = aligned_alloc(4096, region_size);
    struct heap h;
    struct step *seq = make_sequence();

    if (region == NULL || seq == NULL) {
        fprintf(stderr, "mm-bench: no memory for the heap benchmark\n");
        exit(1);
    }
    memset(region, 0, region_size); /* fault the pages in before timing */
    if (heap_init(&h, region, region_size) != 0) {
        fprintf(stderr, "mm-bench: heap_init failed\n");
        exit(1);
    }
    /* Warm both up once, then take the better of three runs each. */
    run_keel(seq, &h);
    run_libc(seq);
    double keel = 1e9;
    double libc = 1e9;
    for (int r = 0; r < 3; r++) {
        double k = run_keel(seq, &h);
        double l = run_libc(seq);
        keel = k < keel ? k : keel;
        libc = l < libc ? l : libc;
    }
    struct heap_stats st;
    heap_get_stats(&h, &st);
    printf("heap malloc/free, 16 B..4 KiB, %d ops over %d slots: keel %.1f ns/op, "
           "glibc %.1f ns/op, ratio keel/glibc %.2f\n",
           STEPS, SLOTS, keel / STEPS * 1e9, libc / STEPS * 1e9, keel / libc);
    printf("heap after the runs: peak in use %zu KiB, slabs %zu KiB, mapped %zu KiB\n",
           st.bytes_peak / 1024, st.slab_bytes / 1024, st.bytes_mapped / 1024);
    free(seq);
    free(region);
}

int main(void)
{
    bench_frames();
    bench_heap();
    const unsigned rounds = 2000000;
    size_t small_n, big_n, huge_n;
    double small = init_seconds(128 * MIB, rounds, &small_n);
    double big = init_seconds(64 * GIB, rounds, &big_n);
    double huge = init_seconds(1024 * GIB, rounds, &huge_n);
    printf("frame allocator init: 128 MiB %.0f ns (%zu map entries), 64 GiB %.0f ns (%zu), "
           "1 TiB %.0f ns (%zu); ratio 64 GiB / 128 MiB %.2f\n",
           small * 1e9, small_n, big * 1e9, big_n, huge * 1e9, huge_n, big / small);
    return 0;
}

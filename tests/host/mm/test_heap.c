/* SPDX-License-Identifier: MIT */
/* Host test of the kernel heap: fixed cases plus random runs that check every block's bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/heap.h>

#include "../test_util.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)

/*
 * The "virtual address space" of a test heap: one big arena, of which the heap gets
 * a prefix at init and later pages right after its end, as the kernel maps more pages
 * at the end of the heap region. In scattered mode each growth comes from somewhere
 * else instead, so that the heap has to open new segments.
 */
struct arena {
    uint8_t *base;
    size_t size;
    size_t used;
    bool scattered;
    uint8_t *chunks[64];
    size_t chunk_count;
    unsigned calls;
    unsigned refusals;
};

static int arena_grow(void *ctx, size_t bytes, void **new_region)
{
    struct arena *a = ctx;
    a->calls++;
    if (a->scattered) {
        if (a->chunk_count == 64 || a->used + bytes > a->size) {
            a->refusals++;
            return KEEL_E_NO_MEMORY;
        }
        a->used += bytes;
        uint8_t *chunk = aligned_alloc(4096, bytes);
        a->chunks[a->chunk_count++] = chunk;
        *new_region = chunk;
        return chunk == NULL ? KEEL_E_NO_MEMORY : KEEL_OK;
    }
    if (bytes > a->size - a->used) {
        a->refusals++;
        return KEEL_E_NO_MEMORY;
    }
    *new_region = a->base + a->used;
    a->used += bytes;
    return KEEL_OK;
}

static void arena_release(struct arena *a)
{
    for (size_t i = 0; i < a->chunk_count; i++) {
        free(a->chunks[i]);
    }
    free(a->base);
}

struct misuse_log {
    unsigned count;
    int last_err;
    const void *last_ptr;
};

static void on_misuse(void *ctx, int err, const void *ptr)
{
    struct misuse_log *m = ctx;
    m->count++;
    m->last_err = err;
    m->last_ptr = ptr;
}

struct block {
    uint8_t *ptr;
    size_t size;
    size_t align;
    uint8_t fill;
};

static bool inside_heap(const struct heap *h, const void *p, size_t size)
{
    uintptr_t a = (uintptr_t)p;
    for (size_t i = 0; i < h->segment_count; i++) {
        if (a >= h->segments[i].base && size <= h->segments[i].end - a) {
            return true;
        }
    }
    return false;
}

static bool intact(const struct block *b)
{
    for (size_t i = 0; i < b->size; i++) {
        if (b->ptr[i] != (uint8_t)(b->fill + i * 7)) {
            return false;
        }
    }
    return true;
}

static void fill(struct block *b, uint8_t seed)
{
    b->fill = seed;
    for (size_t i = 0; i < b->size; i++) {
        b->ptr[i] = (uint8_t)(seed + i * 7);
    }
}

static int by_address(const void *x, const void *y)
{
    const struct block *a = x;
    const struct block *b = y;
    return a->ptr < b->ptr ? -1 : a->ptr > b->ptr;
}

/* No two live blocks overlap (checked on a sorted copy). */
static void check_disjoint(struct heap *h, const struct block *blocks, size_t count)
{
    struct block *sorted = malloc((count + 1) * sizeof(*sorted));
    memcpy(sorted, blocks, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), by_address);
    bool ok = true;
    for (size_t i = 1; i < count; i++) {
        size_t prev_usable = heap_usable_size(h, sorted[i - 1].ptr);
        if (sorted[i - 1].ptr + prev_usable > sorted[i].ptr) {
            ok = false;
        }
    }
    CHECK(ok);
    free(sorted);
}

/* Sizes: mostly small, some in the large allocator, a few big; now and then zero. */
static size_t random_size(uint64_t *rng)
{
    uint64_t r = test_rand(rng) % 100;
    if (r < 2) {
        return 0;
    }
    if (r < 70) {
        return 1 + test_rand(rng) % 256;
    }
    if (r < 90) {
        return 1 + test_rand(rng) % 4096;
    }
    if (r < 98) {
        return 1 + test_rand(rng) % (64 * KIB);
    }
    return 1 + test_rand(rng) % (512 * KIB);
}

static void random_run(uint64_t seed, unsigned steps, bool scattered)
{
    struct arena a = {.size = 64 * MIB, .scattered = scattered};
    struct heap h;
    struct misuse_log m = {0};
    struct block *blocks = calloc(steps + 1, sizeof(*blocks));
    size_t count = 0;
    uint64_t rng = seed;
    unsigned nulls = 0, reallocs = 0, aligned = 0, callocs = 0;

    a.base = aligned_alloc(4096, a.size);
    a.used = 256 * KIB;
    CHECK_ERR(heap_init(&h, a.base, a.used), KEEL_OK);
    heap_set_grow(&h, arena_grow, &a, 64 * KIB);
    heap_set_misuse(&h, on_misuse, &m);

    for (unsigned step = 0; step < steps; step++) {
        uint64_t op = test_rand(&rng) % 100;
        /* Keep the live set bounded so that frees happen in every phase of the run. */
        if (count > 1500) {
            op = 60 + op % 40;
        }
        if (op < 45) {
            struct block b = {.size = random_size(&rng), .align = HEAP_ALIGN};
            if (op < 8) {
                b.align = (size_t)1 << (test_rand(&rng) % 14);
                b.ptr = heap_alloc_aligned(&h, b.size, b.align);
                aligned++;
            } else if (op < 14) {
                size_t n = 1 + test_rand(&rng) % 64;
                b.size = b.size / n;
                b.size *= n;
                b.ptr = heap_calloc(&h, n, b.size / n);
                callocs++;
                bool zero = true;
                for (size_t i = 0; b.ptr != NULL && i < b.size; i++) {
                    zero = zero && b.ptr[i] == 0;
                }
                CHECK(zero);
            } else {
                b.ptr = heap_alloc(&h, b.size);
            }
            if (b.ptr == NULL) {
                nulls++;
                continue;
            }
            size_t align = b.align < HEAP_ALIGN ? HEAP_ALIGN : b.align;
            CHECK((uintptr_t)b.ptr % align == 0);
            CHECK(heap_usable_size(&h, b.ptr) >= b.size);
            CHECK(inside_heap(&h, b.ptr, heap_usable_size(&h, b.ptr)));
            fill(&b, (uint8_t)test_rand(&rng));
            blocks[count++] = b;
        } else if (op < 60 && count > 0) {
            struct block *b = &blocks[test_rand(&rng) % count];
            size_t size = random_size(&rng);
            CHECK(intact(b));
            uint8_t *p = heap_realloc(&h, b->ptr, size);
            reallocs++;
            if (p == NULL) {
                nulls++;
                CHECK(intact(b)); /* a failed realloc leaves the block alone */
                continue;
            }
            CHECK((uintptr_t)p % HEAP_ALIGN == 0);
            CHECK(heap_usable_size(&h, p) >= size);
            size_t keep = size < b->size ? size : b->size;
            struct block moved = {.ptr = p, .size = keep, .align = HEAP_ALIGN, .fill = b->fill};
            CHECK(intact(&moved));
            b->ptr = p;
            b->size = size;
            b->align = HEAP_ALIGN;
            fill(b, (uint8_t)test_rand(&rng));
        } else if (count > 0) {
            size_t i = test_rand(&rng) % count;
            CHECK(intact(&blocks[i]));
            CHECK_ERR(heap_free(&h, blocks[i].ptr), KEEL_OK);
            blocks[i] = blocks[--count];
        }
        if (step % 16 == 0) {
            CHECK_ERR(heap_check(&h), KEEL_OK);
        }
        if (step % 512 == 0) {
            check_disjoint(&h, blocks, count);
        }
    }
    CHECK_ERR(heap_check(&h), KEEL_OK);
    check_disjoint(&h, blocks, count);
    struct heap_stats st;
    heap_get_stats(&h, &st);
    CHECK(st.live_count == count);
    CHECK(m.count == 0 && st.misuse_count == 0);
    CHECK(a.calls > 0);
    printf("seed %llu (%s): %u steps, %zu live, %u NULLs, %u reallocs, %u aligned, %u callocs, "
           "%zu segments, mapped %zu KiB, peak in use %zu KiB, grown %zu times\n",
           (unsigned long long)seed, scattered ? "scattered" : "contiguous", steps, count, nulls,
           reallocs, aligned, callocs, h.segment_count, st.bytes_mapped / KIB, st.bytes_peak / KIB,
           st.grow_count);
    for (size_t i = 0; i < count; i++) {
        CHECK(intact(&blocks[i]));
        CHECK_ERR(heap_free(&h, blocks[i].ptr), KEEL_OK);
    }
    heap_get_stats(&h, &st);
    CHECK(st.bytes_in_use == 0 && st.live_count == 0);
    CHECK_ERR(heap_check(&h), KEEL_OK);
    free(blocks);
    arena_release(&a);
}

static void test_basics(void)
{
    struct heap h;
    struct misuse_log m = {0};
    uint8_t *region = aligned_alloc(4096, 256 * KIB);
    int on_stack;

    CHECK_ERR(heap_init(&h, region + 8, 64 * KIB), KEEL_E_HEAP_REGION);
    CHECK_ERR(heap_init(&h, region, 128), KEEL_E_HEAP_REGION);
    CHECK_ERR(heap_init(&h, region, 192 * KIB), KEEL_OK);
    heap_set_misuse(&h, on_misuse, &m);
    CHECK_ERR(heap_add_region(&h, region + 64 * KIB, 64 * KIB), KEEL_E_HEAP_REGION); /* overlap */

    /* free(NULL), zero sizes, calloc overflow, bad alignments. */
    CHECK_ERR(heap_free(&h, NULL), KEEL_OK);
    void *z1 = heap_alloc(&h, 0);
    void *z2 = heap_alloc(&h, 0);
    CHECK(z1 != NULL && z2 != NULL && z1 != z2);
    CHECK(heap_calloc(&h, SIZE_MAX / 2, 3) == NULL);
    CHECK(heap_calloc(&h, 3, SIZE_MAX / 2) == NULL);
    CHECK(heap_alloc_aligned(&h, 64, 48) == NULL);
    CHECK(heap_alloc_aligned(&h, 64, 0) == NULL);
    CHECK(heap_alloc(&h, SIZE_MAX) == NULL);
    CHECK(heap_alloc(&h, SIZE_MAX - 8) == NULL);
    CHECK(heap_realloc(&h, z1, SIZE_MAX) == NULL);
    uint8_t *c = heap_calloc(&h, 0, 5);
    CHECK(c != NULL);
    CHECK_ERR(heap_free(&h, c), KEEL_OK);

    /* Small-object alignment: power-of-two classes are naturally aligned. */
    for (size_t align = 1; align <= 4096; align *= 2) {
        void *p = heap_alloc_aligned(&h, 24, align);
        CHECK(p != NULL && (uintptr_t)p % (align < 16 ? 16 : align) == 0);
        CHECK_ERR(heap_free(&h, p), KEEL_OK);
        p = heap_alloc_aligned(&h, 5000, align);
        CHECK(p != NULL && (uintptr_t)p % (align < 16 ? 16 : align) == 0);
        CHECK_ERR(heap_free(&h, p), KEEL_OK);
    }

    /* Misuse is reported and changes nothing. */
    uint8_t *small = heap_alloc(&h, 40);
    uint8_t *large = heap_alloc(&h, 10000);
    uint8_t *large2 = heap_alloc(&h, 10000);
    CHECK_ERR(heap_free(&h, small), KEEL_OK);
    CHECK_ERR(heap_free(&h, small), KEEL_E_HEAP_DOUBLE_FREE);
    CHECK(m.count == 1 && m.last_err == KEEL_E_HEAP_DOUBLE_FREE && m.last_ptr == small);
    CHECK_ERR(heap_free(&h, large2), KEEL_OK);
    CHECK_ERR(heap_free(&h, large2), KEEL_E_HEAP_DOUBLE_FREE);
    CHECK_ERR(heap_free(&h, large + 16), KEEL_E_HEAP_BAD_POINTER);
    CHECK_ERR(heap_free(&h, large + 3), KEEL_E_HEAP_BAD_POINTER);
    CHECK_ERR(heap_free(&h, &on_stack), KEEL_E_HEAP_BAD_POINTER);
    CHECK_ERR(heap_free(&h, region + 200 * KIB), KEEL_E_HEAP_BAD_POINTER); /* not the heap */
    uint8_t *s2 = heap_alloc(&h, 40);
    CHECK_ERR(heap_free(&h, s2 + 16), KEEL_E_HEAP_BAD_POINTER); /* inside an object */
    uintptr_t slab = (uintptr_t)s2 & ~(uintptr_t)(HEAP_SLAB_BYTES - 1);
    CHECK_ERR(heap_free(&h, (void *)slab), KEEL_E_HEAP_BAD_POINTER); /* the slab itself */
    CHECK(heap_realloc(&h, large2, 100) == NULL);
    CHECK(m.count == 9 && m.last_err == KEEL_E_HEAP_DOUBLE_FREE && m.last_ptr == large2);
    CHECK_ERR(heap_check(&h), KEEL_OK);
    CHECK_ERR(heap_free(&h, large), KEEL_OK);
    CHECK_ERR(heap_free(&h, s2), KEEL_OK);
    CHECK_ERR(heap_free(&h, z1), KEEL_OK);
    CHECK_ERR(heap_free(&h, z2), KEEL_OK);

    /* Realloc in place: shrink, then grow into the free space behind. */
    uint8_t *r = heap_alloc(&h, 20000);
    memset(r, 0x5a, 20000);
    CHECK(heap_realloc(&h, r, 9000) == r);
    CHECK(heap_realloc(&h, r, 30000) == r);
    CHECK(r[8999] == 0x5a);
    CHECK(heap_realloc(&h, r, 0) == r);
    CHECK_ERR(heap_free(&h, r), KEEL_OK);

    struct heap_stats st;
    heap_get_stats(&h, &st);
    CHECK(st.bytes_in_use == 0 && st.live_count == 0 && st.misuse_count == 9);
    CHECK(st.bytes_mapped == 192 * KIB);
    CHECK_ERR(heap_check(&h), KEEL_OK);
    free(region);
}

/* Without growth the heap runs dry cleanly, and gets everything back once all is freed. */
static void test_exhaustion(void)
{
    struct heap h;
    uint8_t *region = aligned_alloc(4096, 256 * KIB);
    void *ptrs[4096];
    size_t n = 0;
    const size_t sizes[] = {24, 2000, 5000, 100, 70000};

    CHECK_ERR(heap_init(&h, region, 256 * KIB), KEEL_OK);
    for (size_t round = 0; round < 3; round++) {
        n = 0;
        for (size_t i = 0; n < 4096; i++) {
            void *p = heap_alloc(&h, sizes[i % 5]);
            if (p == NULL) {
                /* Out of memory for this size; smaller ones may still fit. */
                if (i % 5 == 3) {
                    break;
                }
                continue;
            }
            ptrs[n++] = p;
        }
        CHECK(n > 30);
        CHECK_ERR(heap_check(&h), KEEL_OK);
        for (size_t i = 0; i < n; i++) {
            CHECK_ERR(heap_free(&h, ptrs[n - 1 - i]), KEEL_OK);
        }
        CHECK_ERR(heap_check(&h), KEEL_OK);
        /* Once every slab is gone but one per class, one big block spans the rest. */
        void *big = heap_alloc(&h, 256 * KIB - 15 * HEAP_SLAB_BYTES - 1024);
        CHECK(big != NULL);
        CHECK_ERR(heap_free(&h, big), KEEL_OK);
    }
    free(region);
}

static void test_growth(void)
{
    struct arena a = {.size = 4 * MIB};
    struct heap h;
    a.base = aligned_alloc(4096, a.size);
    a.used = 16 * KIB;

    /* Contiguous growth makes one segment; a block can span old and new pages. */
    CHECK_ERR(heap_init(&h, a.base, a.used), KEEL_OK);
    heap_set_grow(&h, arena_grow, &a, 16 * KIB);
    void *p = heap_alloc(&h, 12 * KIB);
    CHECK(p != NULL && a.calls == 0);
    void *q = heap_alloc(&h, 100 * KIB); /* starts in the old pages, ends in the new */
    CHECK(q != NULL && a.calls == 1 && h.segment_count == 1);
    CHECK((uint8_t *)q < a.base + 16 * KIB);
    CHECK_ERR(heap_free(&h, p), KEEL_OK);
    void *big = heap_alloc(&h, 112 * KIB);
    CHECK(big != NULL && a.calls == 2 && h.segment_count == 1);
    CHECK_ERR(heap_check(&h), KEEL_OK);
    CHECK(heap_alloc(&h, 8 * MIB) == NULL); /* the callback refuses; no damage */
    CHECK(a.refusals == 1);
    CHECK_ERR(heap_check(&h), KEEL_OK);
    CHECK_ERR(heap_free(&h, big), KEEL_OK);
    CHECK_ERR(heap_free(&h, q), KEEL_OK);

    /* Explicit regions: one far away opens a segment, contiguous ones extend it. */
    uint8_t *far = aligned_alloc(4096, 64 * KIB);
    CHECK_ERR(heap_add_region(&h, far, 32 * KIB), KEEL_OK);
    CHECK_ERR(heap_add_region(&h, far + 32 * KIB, 32 * KIB), KEEL_OK);
    CHECK(h.segment_count == 2);
    struct heap_stats st;
    heap_get_stats(&h, &st);
    CHECK(st.bytes_mapped == a.used + 64 * KIB);
    CHECK_ERR(heap_check(&h), KEEL_OK);

    /* Nested use of the heap from inside the grow callback does not recurse. */
    heap_set_grow(&h, NULL, NULL, 0);
    CHECK(heap_alloc(&h, 16 * MIB) == NULL);
    free(far);
    free(a.base);

    /* Failure injection: exactly the N-th allocating call fails. */
    uint8_t *region = aligned_alloc(4096, 64 * KIB);
    struct alloc_fail fail;
    CHECK_ERR(heap_init(&h, region, 64 * KIB), KEEL_OK);
    heap_set_fail(&h, &fail);
    alloc_fail_arm(&fail, 3);
    void *got[6];
    for (int i = 0; i < 6; i++) {
        got[i] = i % 2 ? heap_alloc(&h, 64) : heap_calloc(&h, 2, 3000);
        CHECK((got[i] == NULL) == (i == 2));
    }
    CHECK(fail.failed == 1 && fail.count == 6);
    for (int i = 0; i < 6; i++) {
        CHECK_ERR(heap_free(&h, got[i]), KEEL_OK);
    }
    CHECK_ERR(heap_check(&h), KEEL_OK);
    free(region);
}

int main(void)
{
    test_basics();
    test_exhaustion();
    test_growth();
    const uint64_t seeds[] = {1, 0x5eed, 0xdeadbeef, 42};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        random_run(seeds[i], 20000, i % 2 == 1);
    }
    return test_finish("heap");
}

/* SPDX-License-Identifier: MIT */
/* The kernel heap: size-class slabs for small blocks, boundary tags for large ones. */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/alloc_fail.h>

/*
 * docs/heap.md describes the design. In short: the heap manages memory it is given
 * (a region at init, more through heap_add_region() or the grow callback); blocks up
 * to HEAP_SMALL_MAX bytes come from HEAP_SLAB_BYTES slabs of equal objects with an
 * allocation bitmap, larger ones from a boundary-tag allocator with binned free
 * lists. All metadata lives inside the managed memory, except struct heap itself.
 * Every result is at least HEAP_ALIGN-aligned. The heap is not thread-safe.
 */
#define HEAP_ALIGN 16u
#define HEAP_SMALL_MAX 2048u
#define HEAP_SLAB_BYTES 8192u
#define HEAP_CLASS_COUNT 14u
#define HEAP_BIN_COUNT 64u
#define HEAP_SEGMENT_MAX 16u
/* The smallest region heap_init() or heap_add_region() accepts. */
#define HEAP_REGION_MIN 256u

/*
 * Asked for at least `bytes` more bytes (a multiple of 4096) when an allocation does
 * not fit. Returns KEEL_OK with *new_region pointing at `bytes` fresh bytes, which
 * the heap now owns, or an error. Memory that starts where the heap's last region
 * ends extends that region, so the kernel maps more pages right after the heap's
 * end; memory elsewhere becomes a new segment (at most HEAP_SEGMENT_MAX in all).
 * The callback may use the heap itself (to grow the frame allocator's storage, say),
 * but such nested allocations do not grow the heap again.
 */
typedef int (*heap_grow_fn)(void *ctx, size_t bytes, void **new_region);

/* Told about each misuse that heap_free() or heap_realloc() detects; err is KEEL_E_HEAP_*. */
typedef void (*heap_misuse_fn)(void *ctx, int err, const void *ptr);

struct heap_stats {
    size_t bytes_mapped; /* every byte the heap was given */
    size_t bytes_in_use; /* usable bytes of live allocations (class or block size) */
    size_t bytes_peak;   /* the largest bytes_in_use seen */
    size_t slab_bytes;   /* bytes held by slabs, used or not */
    size_t live_count;   /* live allocations */
    size_t grow_count;   /* successful calls of the grow callback */
    size_t misuse_count; /* misuses detected */
};

struct heap_segment {
    uintptr_t base;
    uintptr_t end;
};

struct heap_block;
struct heap_slab;

/* Read-only for callers. */
struct heap {
    struct heap_segment segments[HEAP_SEGMENT_MAX];
    size_t segment_count;
    struct heap_block *bins[HEAP_BIN_COUNT];     /* free large blocks by floor(log2(size)) */
    uint64_t bin_mask;                           /* bit i set: bins[i] is not empty */
    struct heap_slab *partial[HEAP_CLASS_COUNT]; /* slabs with a free object, per class */
    heap_grow_fn grow;
    void *grow_ctx;
    size_t grow_min;
    bool in_grow;
    heap_misuse_fn misuse;
    void *misuse_ctx;
    struct alloc_fail *fail;
    struct heap_stats stats;
};

/*
 * Starts a heap on [region, region + bytes). `region` must be HEAP_ALIGN-aligned and
 * `bytes` at least HEAP_REGION_MIN (4 KiB or more is sensible: a slab is 8 KiB).
 * Returns KEEL_OK or KEEL_E_HEAP_REGION / KEEL_E_INVALID.
 */
int heap_init(struct heap *h, void *region, size_t bytes);

/*
 * Gives the heap [region, region + bytes): extends a segment that ends at `region`,
 * or starts a new one. Fails with KEEL_E_HEAP_REGION when the region is misaligned,
 * too small, overlaps the heap, or no segment slot is left.
 */
int heap_add_region(struct heap *h, void *region, size_t bytes);

/* Installs the grow callback; each call asks for at least `min_bytes`. NULL removes it. */
void heap_set_grow(struct heap *h, heap_grow_fn grow, void *ctx, size_t min_bytes);

void heap_set_misuse(struct heap *h, heap_misuse_fn misuse, void *ctx);

/* Attaches a failure-injection counter: each allocating call counts once. NULL detaches. */
void heap_set_fail(struct heap *h, struct alloc_fail *fail);

/* malloc: NULL when out of memory; a zero size gives a unique minimal block. */
void *heap_alloc(struct heap *h, size_t size);

/* calloc: zeroed; NULL when count * size overflows or memory runs out. */
void *heap_calloc(struct heap *h, size_t count, size_t size);

/*
 * realloc: NULL `ptr` allocates; the contents up to the smaller size are kept. On
 * failure (or a bad `ptr`, which is reported) returns NULL and leaves `ptr` alone.
 * A zero size shrinks to a minimal block rather than freeing.
 */
void *heap_realloc(struct heap *h, void *ptr, size_t size);

/* A block whose address is a multiple of `align` (a power of two; NULL otherwise). */
void *heap_alloc_aligned(struct heap *h, size_t size, size_t align);

/*
 * free: NULL is fine. A pointer this heap did not hand out, or one already freed, is
 * reported to the misuse callback and returned as KEEL_E_HEAP_BAD_POINTER,
 * KEEL_E_HEAP_DOUBLE_FREE or KEEL_E_HEAP_CORRUPT; the heap is left unchanged.
 */
int heap_free(struct heap *h, void *ptr);

/* Bytes usable at `ptr` (at least what was asked for), or 0 for a bad pointer. */
size_t heap_usable_size(struct heap *h, const void *ptr);

void heap_get_stats(const struct heap *h, struct heap_stats *out);

/*
 * Walks every block and slab and verifies tags, sizes, boundary flags, footers, the
 * free lists and the statistics. Linear in the heap's size; for tests and audits.
 */
int heap_check(const struct heap *h);

#endif

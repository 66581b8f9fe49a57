/* SPDX-License-Identifier: MIT */
/* The kernel heap: bitmap slabs for small blocks on top of a boundary-tag block allocator. */
#include <string.h>

#include <keel/errors.h>
#include <keel/heap.h>

/*
 * Layout (docs/heap.md has the full picture). A segment is a run of blocks ending in
 * a 16-byte epilogue header of size 0. Each block starts with a 16-byte header: its
 * size with flags in the low bits, then a tag, the block's own address XORed with a
 * constant that says live or free. Free blocks also hold free-list links and repeat
 * their size in their last word (the footer), so that a block being freed can find
 * and merge its free predecessor. A slab is a live block with B_SLAB, exactly
 * HEAP_SLAB_BYTES long and aligned to that size, whose payload starts with struct
 * heap_slab; an object finds its slab by rounding its address down.
 *
 * Only current headers carry valid tags: a header that disappears into a merged
 * block has its tag cleared, and so does a released slab. That is what lets free()
 * tell a large block from a slab object, and notice double frees, by looking at
 * the tag before the pointer and then at the slab base.
 */

#define HDR 16u
#define MIN_BLOCK 48u /* header, two links, footer, rounded to HEAP_ALIGN */
#define GROW_GRANULE 4096u

#define B_INUSE 1u
#define B_PREV_INUSE 2u
#define B_SLAB 4u
#define B_FLAGS 15u

#define TAG_LIVE UINT64_C(0x6b65656c2d6c6976) /* "keel-liv" */
#define TAG_FREE UINT64_C(0x6b65656c2d667265) /* "keel-fre" */
#define TAG_SLAB UINT64_C(0x6b65656c2d736c62) /* "keel-slb" */

#define SLAB_WORDS 8u
#define BIN_SCAN_MAX 16u

struct heap_block {
    uint64_t size_flags;
    uint64_t tag;
    struct heap_block *next; /* free blocks only */
    struct heap_block *prev;
};

struct heap_slab {
    uint64_t tag;
    struct heap_slab *next; /* in the class's partial list while free_count > 0 */
    struct heap_slab *prev;
    uint32_t obj_size;
    uint16_t class_index;
    uint16_t obj_count;
    uint16_t free_count;
    uint16_t first_off;
    uint16_t hint; /* no free object in used[] words below this one */
    uint16_t reserved;
    uint64_t used[SLAB_WORDS]; /* bit set: object allocated; bits past obj_count stay set */
};

_Static_assert(sizeof(struct heap_block) <= MIN_BLOCK - 8, "free block fits before its footer");
_Static_assert((HEAP_SLAB_BYTES - HDR - sizeof(struct heap_slab)) / HEAP_ALIGN <= SLAB_WORDS * 64,
               "the bitmap covers the smallest class");

/*
 * Two classes per doubling above 64 bytes bound internal waste to a third. Each
 * object is aligned to the largest power of two that divides its class size, since
 * slabs are HEAP_SLAB_BYTES-aligned and the first object is placed to match.
 */
static const uint16_t class_sizes[HEAP_CLASS_COUNT] = {
    16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};

enum kind {
    KIND_LARGE,
    KIND_SMALL,
};

struct found {
    enum kind kind;
    struct heap_block *block; /* KIND_LARGE */
    struct heap_slab *slab;   /* KIND_SMALL */
    size_t index;
};

static unsigned log2_floor(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

static size_t bsize(const struct heap_block *b)
{
    return (size_t)(b->size_flags & ~(uint64_t)B_FLAGS);
}

static uint64_t tag_for(const void *p, uint64_t tag)
{
    return (uint64_t)(uintptr_t)p ^ tag;
}

static struct heap_block *block_at(uintptr_t a)
{
    return (struct heap_block *)a;
}

static struct heap_block *next_block(const struct heap_block *b)
{
    return block_at((uintptr_t)b + bsize(b));
}

static uint64_t *footer(const struct heap_block *b)
{
    return (uint64_t *)((uintptr_t)b + bsize(b) - sizeof(uint64_t));
}

static size_t align_up(size_t x, size_t a)
{
    return (x + (a - 1)) & ~(a - 1);
}

/* The largest power of two that divides x. */
static size_t low_bit(size_t x)
{
    return x & (~x + 1);
}

static size_t class_index(size_t size)
{
    if (size <= 64) {
        return (size - 1) / 16;
    }
    unsigned k = log2_floor(size - 1);
    size_t base = (size_t)1 << k;
    return 4 + (k - 6) * 2 + (size > base + base / 2);
}

static void report(struct heap *h, int err, const void *ptr)
{
    h->stats.misuse_count++;
    if (h->misuse != NULL) {
        h->misuse(h->misuse_ctx, err, ptr);
    }
}

static void note_alloc(struct heap *h, size_t usable)
{
    h->stats.bytes_in_use += usable;
    h->stats.live_count++;
    if (h->stats.bytes_in_use > h->stats.bytes_peak) {
        h->stats.bytes_peak = h->stats.bytes_in_use;
    }
}

static void note_free(struct heap *h, size_t usable)
{
    h->stats.bytes_in_use -= usable;
    h->stats.live_count--;
}

/* Free lists: one per floor(log2(size)), newest first, with a mask of non-empty bins. */

static void bin_insert(struct heap *h, struct heap_block *b)
{
    unsigned i = log2_floor(bsize(b));
    b->prev = NULL;
    b->next = h->bins[i];
    if (b->next != NULL) {
        b->next->prev = b;
    }
    h->bins[i] = b;
    h->bin_mask |= UINT64_C(1) << i;
}

static void bin_remove(struct heap *h, struct heap_block *b)
{
    unsigned i = log2_floor(bsize(b));
    if (b->prev != NULL) {
        b->prev->next = b->next;
    } else {
        h->bins[i] = b->next;
    }
    if (b->next != NULL) {
        b->next->prev = b->prev;
    }
    if (h->bins[i] == NULL) {
        h->bin_mask &= ~(UINT64_C(1) << i);
    }
}

/* Makes [b, b + size) one free block on its list; its successor's header must be valid. */
static void make_free(struct heap *h, struct heap_block *b, size_t size, bool prev_inuse)
{
    b->size_flags = size | (prev_inuse ? B_PREV_INUSE : 0);
    b->tag = tag_for(b, TAG_FREE);
    *footer(b) = size;
    next_block(b)->size_flags &= ~(uint64_t)B_PREV_INUSE;
    bin_insert(h, b);
}

/* Frees block b (not on any list), merging it with free neighbours. */
static void release(struct heap *h, struct heap_block *b)
{
    size_t size = bsize(b);
    bool prev_inuse = (b->size_flags & B_PREV_INUSE) != 0;
    struct heap_block *next = next_block(b);

    if ((next->size_flags & B_INUSE) == 0) {
        bin_remove(h, next);
        size += bsize(next);
        next->tag = 0;
    }
    if (!prev_inuse) {
        uint64_t prev_size = *(const uint64_t *)((uintptr_t)b - sizeof(uint64_t));
        struct heap_block *prev = block_at((uintptr_t)b - prev_size);
        bin_remove(h, prev);
        b->tag = 0;
        size += prev_size;
        prev_inuse = (prev->size_flags & B_PREV_INUSE) != 0;
        b = prev;
    }
    make_free(h, b, size, prev_inuse);
}

/* Marks the free block b (on no list) live with `need` bytes; the tail goes back free. */
static void take(struct heap *h, struct heap_block *b, size_t need)
{
    size_t size = bsize(b);
    uint64_t prev_flag = b->size_flags & B_PREV_INUSE;

    if (size - need >= MIN_BLOCK) {
        b->size_flags = need | prev_flag | B_INUSE;
        make_free(h, next_block(b), size - need, true);
    } else {
        b->size_flags = size | prev_flag | B_INUSE;
        next_block(b)->size_flags |= B_PREV_INUSE;
    }
    b->tag = tag_for(b, TAG_LIVE);
}

/* Splits the live block b down to `need` bytes when the rest makes a block of its own. */
static void trim(struct heap *h, struct heap_block *b, size_t need)
{
    size_t size = bsize(b);
    if (size - need < MIN_BLOCK) {
        return;
    }
    b->size_flags = need | (b->size_flags & (B_FLAGS & ~(uint64_t)B_SLAB));
    struct heap_block *rest = next_block(b);
    rest->size_flags = (size - need) | B_PREV_INUSE | B_INUSE;
    release(h, rest);
}

/*
 * Where in b a block of `need` bytes fits whose header address plus `skew` is a
 * multiple of `align` (skew HDR aligns the payload, 0 the header), or 0.
 */
static uintptr_t aligned_fit(const struct heap_block *b, size_t need, size_t align, size_t skew)
{
    uintptr_t start = (uintptr_t)b;
    uintptr_t end = start + bsize(b);
    uintptr_t at = ((start + skew + (align - 1)) & ~(uintptr_t)(align - 1)) - skew;

    if (at < start) {
        return 0;
    }
    /* A gap in front must be able to stand as a free block of its own. */
    if (at != start && at - start < MIN_BLOCK) {
        at += align;
    }
    if (at < start || at > end || end - at < need) {
        return 0;
    }
    return at;
}

static struct heap_block *find_block(struct heap *h, size_t need, size_t align, size_t skew)
{
    unsigned first = log2_floor(need);

    if (align <= HEAP_ALIGN) {
        /* A bounded first fit in the bin `need` falls in; every larger bin fits at once. */
        unsigned tries = 0;
        for (struct heap_block *b = h->bins[first]; b != NULL && tries < BIN_SCAN_MAX;
             b = b->next, tries++) {
            if (bsize(b) >= need) {
                bin_remove(h, b);
                take(h, b, need);
                return b;
            }
        }
        uint64_t above = first >= 63 ? 0 : h->bin_mask & ~((UINT64_C(2) << first) - 1);
        if (above == 0) {
            return NULL;
        }
        struct heap_block *b = h->bins[__builtin_ctzll(above)];
        bin_remove(h, b);
        take(h, b, need);
        return b;
    }
    /* Aligned requests are rare: first fit over every list that might hold one. */
    for (unsigned i = first; i < HEAP_BIN_COUNT; i++) {
        if ((h->bin_mask & (UINT64_C(1) << i)) == 0) {
            continue;
        }
        for (struct heap_block *b = h->bins[i]; b != NULL; b = b->next) {
            uintptr_t at = aligned_fit(b, need, align, skew);
            if (at == 0) {
                continue;
            }
            bin_remove(h, b);
            size_t gap = at - (uintptr_t)b;
            struct heap_block *nb = block_at(at);
            if (gap > 0) {
                nb->size_flags = bsize(b) - gap;
                make_free(h, b, gap, (b->size_flags & B_PREV_INUSE) != 0);
            }
            take(h, nb, need);
            return nb;
        }
    }
    return NULL;
}

static bool try_grow(struct heap *h, size_t want)
{
    if (h->grow == NULL || h->in_grow) {
        return false;
    }
    if (want < h->grow_min) {
        want = h->grow_min;
    }
    if (want > SIZE_MAX - GROW_GRANULE) {
        return false;
    }
    want = align_up(want, GROW_GRANULE);
    void *region = NULL;
    h->in_grow = true;
    int err = h->grow(h->grow_ctx, want, &region);
    h->in_grow = false;
    if (err != KEEL_OK || region == NULL || heap_add_region(h, region, want) != KEEL_OK) {
        return false;
    }
    h->stats.grow_count++;
    return true;
}

/*
 * A live block of at least `need` bytes (header included) whose header address plus
 * `skew` is a multiple of `align`: skew HDR aligns the payload, skew 0 the header.
 */
static struct heap_block *alloc_block(struct heap *h, size_t need, size_t align, size_t skew)
{
    struct heap_block *b = find_block(h, need, align, skew);
    if (b == NULL && need <= SIZE_MAX / 2 - align && try_grow(h, need + align + MIN_BLOCK + HDR)) {
        b = find_block(h, need, align, skew);
    }
    return b;
}

static void partial_push(struct heap *h, struct heap_slab *s)
{
    struct heap_slab **head = &h->partial[s->class_index];
    s->prev = NULL;
    s->next = *head;
    if (*head != NULL) {
        (*head)->prev = s;
    }
    *head = s;
}

static void partial_remove(struct heap *h, struct heap_slab *s)
{
    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        h->partial[s->class_index] = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    s->next = NULL;
    s->prev = NULL;
}

static struct heap_slab *slab_new(struct heap *h, size_t ci)
{
    /* The slab's block header sits at the aligned base, so slabs pack back to back. */
    struct heap_block *b = alloc_block(h, HEAP_SLAB_BYTES, HEAP_SLAB_BYTES, 0);
    if (b == NULL) {
        return NULL;
    }
    b->size_flags |= B_SLAB;
    h->stats.slab_bytes += bsize(b);

    uintptr_t base = (uintptr_t)b;
    struct heap_slab *s = (struct heap_slab *)(base + HDR);
    uint32_t size = class_sizes[ci];
    memset(s, 0, sizeof(*s));
    s->tag = tag_for(s, TAG_SLAB);
    s->obj_size = size;
    s->class_index = (uint16_t)ci;
    s->first_off = (uint16_t)align_up(HDR + sizeof(*s), low_bit(size));
    s->obj_count = (uint16_t)((HEAP_SLAB_BYTES - s->first_off) / size);
    s->free_count = s->obj_count;
    for (size_t i = s->obj_count; i < SLAB_WORDS * 64; i++) {
        s->used[i / 64] |= UINT64_C(1) << (i % 64);
    }
    partial_push(h, s);
    return s;
}

static void *slab_alloc(struct heap *h, size_t ci)
{
    struct heap_slab *s = h->partial[ci];
    if (s == NULL) {
        s = slab_new(h, ci);
        if (s == NULL) {
            return NULL;
        }
    }
    size_t w = s->hint;
    while (s->used[w] == UINT64_MAX) {
        w++;
    }
    unsigned bit = (unsigned)__builtin_ctzll(~s->used[w]);
    s->used[w] |= UINT64_C(1) << bit;
    s->hint = (uint16_t)w;
    s->free_count--;
    if (s->free_count == 0) {
        partial_remove(h, s);
    }
    note_alloc(h, s->obj_size);
    return (void *)((uintptr_t)s - HDR + s->first_off + (w * 64 + bit) * s->obj_size);
}

static void slab_free(struct heap *h, struct heap_slab *s, size_t index)
{
    s->used[index / 64] &= ~(UINT64_C(1) << (index % 64));
    if (index / 64 < s->hint) {
        s->hint = (uint16_t)(index / 64);
    }
    note_free(h, s->obj_size);
    s->free_count++;
    if (s->free_count == 1) {
        partial_push(h, s);
    }
    /* Keep one empty slab per class so that an alloc/free loop does not churn slabs. */
    bool alone = h->partial[s->class_index] == s && s->next == NULL;
    if (s->free_count == s->obj_count && !alone) {
        partial_remove(h, s);
        s->tag = 0;
        struct heap_block *b = block_at((uintptr_t)s - HDR);
        b->size_flags &= ~(uint64_t)B_SLAB;
        h->stats.slab_bytes -= bsize(b);
        release(h, b);
    }
}

/* The segment holding [a, a + len), or NULL. */
static const struct heap_segment *segment_of(const struct heap *h, uintptr_t a, size_t len)
{
    for (size_t i = 0; i < h->segment_count; i++) {
        const struct heap_segment *s = &h->segments[i];
        if (a >= s->base && a <= s->end && len <= s->end - a) {
            return s;
        }
    }
    return NULL;
}

/* Says what `ptr` is, without changing anything: a live large block or a live object. */
static int classify(const struct heap *h, const void *ptr, struct found *f)
{
    uintptr_t a = (uintptr_t)ptr;

    if (a % HEAP_ALIGN != 0 || a < HDR) {
        return KEEL_E_HEAP_BAD_POINTER;
    }
    const struct heap_segment *seg = segment_of(h, a - HDR, 2 * HDR);
    if (seg != NULL) {
        struct heap_block *b = block_at(a - HDR);
        if (b->tag == tag_for(b, TAG_LIVE)) {
            size_t size = bsize(b);
            if ((b->size_flags & B_SLAB) != 0) {
                return KEEL_E_HEAP_BAD_POINTER;
            }
            if ((b->size_flags & B_INUSE) == 0 || size < MIN_BLOCK ||
                size > seg->end - HDR - (uintptr_t)b ||
                (next_block(b)->size_flags & B_PREV_INUSE) == 0) {
                return KEEL_E_HEAP_CORRUPT;
            }
            f->kind = KIND_LARGE;
            f->block = b;
            return KEEL_OK;
        }
        if (b->tag == tag_for(b, TAG_FREE)) {
            return KEEL_E_HEAP_DOUBLE_FREE;
        }
    }
    uintptr_t base = a & ~(uintptr_t)(HEAP_SLAB_BYTES - 1);
    if (segment_of(h, base, HEAP_SLAB_BYTES) != NULL) {
        struct heap_slab *s = (struct heap_slab *)(base + HDR);
        if (s->tag == tag_for(s, TAG_SLAB)) {
            if (s->class_index >= HEAP_CLASS_COUNT || s->obj_size != class_sizes[s->class_index]) {
                return KEEL_E_HEAP_CORRUPT;
            }
            size_t off = a - base;
            if (off < s->first_off || (off - s->first_off) % s->obj_size != 0) {
                return KEEL_E_HEAP_BAD_POINTER;
            }
            size_t index = (off - s->first_off) / s->obj_size;
            if (index >= s->obj_count) {
                return KEEL_E_HEAP_BAD_POINTER;
            }
            if ((s->used[index / 64] & (UINT64_C(1) << (index % 64))) == 0) {
                return KEEL_E_HEAP_DOUBLE_FREE;
            }
            f->kind = KIND_SMALL;
            f->slab = s;
            f->index = index;
            return KEEL_OK;
        }
    }
    return KEEL_E_HEAP_BAD_POINTER;
}

/* Header plus payload, rounded; 0 when the size cannot be served at all. */
static size_t large_need(size_t size)
{
    if (size > SIZE_MAX / 2) {
        return 0;
    }
    size_t need = align_up(size + HDR, HEAP_ALIGN);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

static void *alloc_any(struct heap *h, size_t size, size_t align)
{
    if (size == 0) {
        size = 1;
    }
    if (size <= HEAP_SMALL_MAX && align <= HEAP_SMALL_MAX) {
        size_t ci = class_index(size);
        while (ci < HEAP_CLASS_COUNT && low_bit(class_sizes[ci]) < align) {
            ci++;
        }
        if (ci < HEAP_CLASS_COUNT) {
            return slab_alloc(h, ci);
        }
    }
    size_t need = large_need(size);
    if (need == 0) {
        return NULL;
    }
    struct heap_block *b = alloc_block(h, need, align, HDR);
    if (b == NULL) {
        return NULL;
    }
    note_alloc(h, bsize(b) - HDR);
    return (void *)((uintptr_t)b + HDR);
}

static void free_found(struct heap *h, const struct found *f)
{
    if (f->kind == KIND_SMALL) {
        slab_free(h, f->slab, f->index);
    } else {
        note_free(h, bsize(f->block) - HDR);
        release(h, f->block);
    }
}

int heap_add_region(struct heap *h, void *region, size_t bytes)
{
    uintptr_t r = (uintptr_t)region;

    bytes &= ~(size_t)(HEAP_ALIGN - 1);
    if (r == 0 || r % HEAP_ALIGN != 0 || bytes < HEAP_REGION_MIN || bytes > UINTPTR_MAX - r) {
        return KEEL_E_HEAP_REGION;
    }
    for (size_t i = 0; i < h->segment_count; i++) {
        if (r < h->segments[i].end && h->segments[i].base < r + bytes) {
            return KEEL_E_HEAP_REGION;
        }
    }
    for (size_t i = 0; i < h->segment_count; i++) {
        struct heap_segment *s = &h->segments[i];
        if (s->end != r) {
            continue;
        }
        /* The old epilogue becomes the header of the new space, then merges backwards. */
        struct heap_block *b = block_at(s->end - HDR);
        uint64_t prev_flag = b->size_flags & B_PREV_INUSE;
        s->end += bytes;
        struct heap_block *epilogue = block_at(s->end - HDR);
        epilogue->size_flags = B_INUSE;
        epilogue->tag = 0;
        b->size_flags = bytes | prev_flag | B_INUSE;
        release(h, b);
        h->stats.bytes_mapped += bytes;
        return KEEL_OK;
    }
    if (h->segment_count == HEAP_SEGMENT_MAX) {
        return KEEL_E_HEAP_REGION;
    }
    h->segments[h->segment_count++] = (struct heap_segment){.base = r, .end = r + bytes};
    struct heap_block *epilogue = block_at(r + bytes - HDR);
    epilogue->size_flags = B_INUSE;
    epilogue->tag = 0;
    make_free(h, block_at(r), bytes - HDR, true);
    h->stats.bytes_mapped += bytes;
    return KEEL_OK;
}

int heap_init(struct heap *h, void *region, size_t bytes)
{
    if (h == NULL) {
        return KEEL_E_INVALID;
    }
    memset(h, 0, sizeof(*h));
    return heap_add_region(h, region, bytes);
}

void heap_set_grow(struct heap *h, heap_grow_fn grow, void *ctx, size_t min_bytes)
{
    h->grow = grow;
    h->grow_ctx = ctx;
    h->grow_min = min_bytes;
}

void heap_set_misuse(struct heap *h, heap_misuse_fn misuse, void *ctx)
{
    h->misuse = misuse;
    h->misuse_ctx = ctx;
}

void heap_set_fail(struct heap *h, struct alloc_fail *fail)
{
    h->fail = fail;
}

void *heap_alloc(struct heap *h, size_t size)
{
    if (alloc_fail_hit(h->fail)) {
        return NULL;
    }
    return alloc_any(h, size, HEAP_ALIGN);
}

void *heap_alloc_aligned(struct heap *h, size_t size, size_t align)
{
    if (align == 0 || (align & (align - 1)) != 0 || align > SIZE_MAX / 4) {
        return NULL;
    }
    if (alloc_fail_hit(h->fail)) {
        return NULL;
    }
    return alloc_any(h, size, align < HEAP_ALIGN ? HEAP_ALIGN : align);
}

void *heap_calloc(struct heap *h, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        return NULL;
    }
    void *p = heap_alloc(h, count * size);
    if (p != NULL) {
        memset(p, 0, count * size);
    }
    return p;
}

int heap_free(struct heap *h, void *ptr)
{
    struct found f;

    if (ptr == NULL) {
        return KEEL_OK;
    }
    int err = classify(h, ptr, &f);
    if (err != KEEL_OK) {
        report(h, err, ptr);
        return err;
    }
    free_found(h, &f);
    return KEEL_OK;
}

void *heap_realloc(struct heap *h, void *ptr, size_t size)
{
    struct found f;

    if (ptr == NULL) {
        return heap_alloc(h, size);
    }
    int err = classify(h, ptr, &f);
    if (err != KEEL_OK) {
        report(h, err, ptr);
        return NULL;
    }
    if (alloc_fail_hit(h->fail)) {
        return NULL;
    }
    if (size == 0) {
        size = 1;
    }
    size_t old_usable;
    if (f.kind == KIND_SMALL) {
        old_usable = f.slab->obj_size;
        if (size <= old_usable) {
            return ptr;
        }
    } else {
        struct heap_block *b = f.block;
        size_t need = large_need(size);
        if (need == 0) {
            return NULL;
        }
        old_usable = bsize(b) - HDR;
        struct heap_block *next = next_block(b);
        if (need > bsize(b) && (next->size_flags & B_INUSE) == 0 &&
            bsize(b) + bsize(next) >= need) {
            /* Grow in place by swallowing the free successor. */
            bin_remove(h, next);
            next->tag = 0;
            b->size_flags += bsize(next);
            next_block(b)->size_flags |= B_PREV_INUSE;
        }
        if (need <= bsize(b)) {
            trim(h, b, need);
            note_free(h, old_usable);
            note_alloc(h, bsize(b) - HDR);
            return ptr;
        }
    }
    void *fresh = alloc_any(h, size, HEAP_ALIGN);
    if (fresh == NULL) {
        return NULL;
    }
    memcpy(fresh, ptr, old_usable);
    free_found(h, &f);
    return fresh;
}

size_t heap_usable_size(struct heap *h, const void *ptr)
{
    struct found f;

    if (ptr == NULL || classify(h, ptr, &f) != KEEL_OK) {
        return 0;
    }
    return f.kind == KIND_SMALL ? f.slab->obj_size : bsize(f.block) - HDR;
}

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
    *out = h->stats;
}

/*
 * Set bits of a word. Not __builtin_popcountll: without a POPCNT instruction the
 * compiler calls a libgcc helper, and the kernel links no libgcc.
 */
static unsigned bit_count(uint64_t x)
{
    unsigned n = 0;

    for (; x != 0; x &= x - 1) {
        n++;
    }
    return n;
}

static int check_slab(const struct heap_slab *s, size_t *live, size_t *in_use)
{
    if (s->tag != tag_for(s, TAG_SLAB) || s->class_index >= HEAP_CLASS_COUNT ||
        s->obj_size != class_sizes[s->class_index] ||
        s->first_off + (size_t)s->obj_count * s->obj_size > HEAP_SLAB_BYTES) {
        return KEEL_E_HEAP_CORRUPT;
    }
    size_t used = 0;
    for (size_t w = 0; w < SLAB_WORDS; w++) {
        used += bit_count(s->used[w]);
    }
    used -= SLAB_WORDS * 64 - s->obj_count;
    if (used != (size_t)s->obj_count - s->free_count) {
        return KEEL_E_HEAP_CORRUPT;
    }
    *live += used;
    *in_use += used * s->obj_size;
    return KEEL_OK;
}

int heap_check(const struct heap *h)
{
    size_t live = 0;
    size_t in_use = 0;
    size_t slab_bytes = 0;
    size_t mapped = 0;
    size_t free_blocks = 0;

    for (size_t i = 0; i < h->segment_count; i++) {
        const struct heap_segment *seg = &h->segments[i];
        const struct heap_block *b = block_at(seg->base);
        bool prev_inuse = true;
        mapped += seg->end - seg->base;
        for (;;) {
            size_t size = bsize(b);
            if (((b->size_flags & B_PREV_INUSE) != 0) != prev_inuse) {
                return KEEL_E_HEAP_CORRUPT;
            }
            if (size == 0) {
                if ((uintptr_t)b != seg->end - HDR || (b->size_flags & B_INUSE) == 0) {
                    return KEEL_E_HEAP_CORRUPT;
                }
                break;
            }
            if (size % HEAP_ALIGN != 0 || size < MIN_BLOCK ||
                size > seg->end - HDR - (uintptr_t)b) {
                return KEEL_E_HEAP_CORRUPT;
            }
            if ((b->size_flags & B_INUSE) != 0) {
                if (b->tag != tag_for(b, TAG_LIVE)) {
                    return KEEL_E_HEAP_CORRUPT;
                }
                if ((b->size_flags & B_SLAB) != 0) {
                    const struct heap_slab *s = (const void *)((uintptr_t)b + HDR);
                    if (check_slab(s, &live, &in_use) != KEEL_OK) {
                        return KEEL_E_HEAP_CORRUPT;
                    }
                    slab_bytes += size;
                } else {
                    live++;
                    in_use += size - HDR;
                }
                prev_inuse = true;
            } else {
                if (b->tag != tag_for(b, TAG_FREE) || *footer(b) != size || !prev_inuse) {
                    return KEEL_E_HEAP_CORRUPT;
                }
                free_blocks++;
                prev_inuse = false;
            }
            b = next_block(b);
        }
    }
    size_t listed = 0;
    for (unsigned i = 0; i < HEAP_BIN_COUNT; i++) {
        if ((h->bins[i] == NULL) != ((h->bin_mask & (UINT64_C(1) << i)) == 0)) {
            return KEEL_E_HEAP_CORRUPT;
        }
        const struct heap_block *prev = NULL;
        for (const struct heap_block *b = h->bins[i]; b != NULL; b = b->next) {
            if (++listed > free_blocks || b->prev != prev || log2_floor(bsize(b)) != i ||
                b->tag != tag_for(b, TAG_FREE) || (b->size_flags & B_INUSE) != 0) {
                return KEEL_E_HEAP_CORRUPT;
            }
            prev = b;
        }
    }
    for (size_t c = 0; c < HEAP_CLASS_COUNT; c++) {
        const struct heap_slab *prev = NULL;
        size_t n = 0;
        for (const struct heap_slab *s = h->partial[c]; s != NULL; s = s->next) {
            if (++n > h->stats.bytes_mapped / HEAP_SLAB_BYTES || s->prev != prev ||
                s->tag != tag_for(s, TAG_SLAB) || s->class_index != c || s->free_count == 0) {
                return KEEL_E_HEAP_CORRUPT;
            }
            prev = s;
        }
    }
    if (listed != free_blocks || live != h->stats.live_count || in_use != h->stats.bytes_in_use ||
        slab_bytes != h->stats.slab_bytes || mapped != h->stats.bytes_mapped) {
        return KEEL_E_HEAP_CORRUPT;
    }
    return KEEL_OK;
}

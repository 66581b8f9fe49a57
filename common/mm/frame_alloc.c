/* SPDX-License-Identifier: MIT */
/* The physical frame allocator: owned and free extents over RAM, with exact accounting. */
#include <string.h>

#include <keel/errors.h>
#include <keel/frame_alloc.h>

/*
 * RAM is one sorted array of extents, each free or owned. Every operation changes
 * the owner of a range that lies inside one extent, which splits it into at most
 * three pieces and may merge them with the neighbours; set_owner() does that through
 * a small window of at most five extents, so that there is one place where the
 * array changes shape and one place that checks for room before anything changes.
 */

#define WINDOW_MAX 5u

static const char *const owner_names[FRAME_OWNER_COUNT] = {
    [FRAME_OWNER_FREE] = "free",
    [FRAME_OWNER_KERNEL] = "kernel",
    [FRAME_OWNER_MODULES] = "modules",
    [FRAME_OWNER_BOOT_INFO] = "boot_info",
    [FRAME_OWNER_BOOT_PAGE_TABLES] = "boot_page_tables",
    [FRAME_OWNER_PAGE_TABLES] = "page_tables",
    [FRAME_OWNER_HEAP] = "heap",
    [FRAME_OWNER_STACKS] = "stacks",
    [FRAME_OWNER_CPU_START] = "cpu_start",
};

const char *frame_owner_name(uint32_t owner)
{
    if (owner >= FRAME_OWNER_COUNT) {
        return "unknown";
    }
    return owner_names[owner];
}

static uint64_t extent_end(const struct frame_extent *e)
{
    return e->pfn + e->count;
}

static bool owner_is_valid(uint32_t owner)
{
    return owner > FRAME_OWNER_FREE && owner < FRAME_OWNER_COUNT;
}

static void account(struct frame_alloc *fa, uint32_t owner, uint64_t count, bool add)
{
    uint64_t *counter = owner == FRAME_OWNER_FREE ? &fa->frames_free : &fa->frames_by_owner[owner];
    if (add) {
        *counter += count;
    } else {
        *counter -= count;
    }
}

/* Index of the extent that contains `pfn`, or -1 (binary search over the sorted array). */
static ptrdiff_t find_extent(const struct frame_alloc *fa, uint64_t pfn)
{
    size_t lo = 0;
    size_t hi = fa->extent_count;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (fa->extents[mid].pfn <= pfn) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0 || pfn >= extent_end(&fa->extents[lo - 1])) {
        return -1;
    }
    return (ptrdiff_t)(lo - 1);
}

/* Appends a run to the window, merging it into the last entry when they touch and agree. */
static inline void window_push(struct frame_extent *win, size_t *n, uint64_t pfn, uint64_t count,
                               uint32_t owner)
{
    if (count == 0) {
        return;
    }
    if (*n > 0 && extent_end(&win[*n - 1]) == pfn && win[*n - 1].owner == owner) {
        win[*n - 1].count += count;
        return;
    }
    win[*n].pfn = pfn;
    win[*n].count = count;
    win[*n].owner = owner;
    win[*n].reserved = 0;
    (*n)++;
}

/*
 * Gives [pfn, pfn + count), which lies inside extent `idx`, to `owner`. Either the
 * whole change happens or, when the array has no room for the pieces, nothing does.
 */
static int set_owner(struct frame_alloc *fa, size_t idx, uint64_t pfn, uint64_t count,
                     uint32_t owner)
{
    struct frame_extent win[WINDOW_MAX];
    size_t n = 0;
    const uint64_t old_pfn = fa->extents[idx].pfn;
    const uint64_t old_end = extent_end(&fa->extents[idx]);
    const uint32_t old_owner = fa->extents[idx].owner;
    size_t first = idx > 0 ? idx - 1 : idx;
    size_t last = idx + 1 < fa->extent_count ? idx + 1 : idx;

    if (first < idx) {
        const struct frame_extent *p = &fa->extents[first];
        window_push(win, &n, p->pfn, p->count, p->owner);
    }
    window_push(win, &n, old_pfn, pfn - old_pfn, old_owner);
    window_push(win, &n, pfn, count, owner);
    window_push(win, &n, pfn + count, old_end - (pfn + count), old_owner);
    if (last > idx) {
        const struct frame_extent *x = &fa->extents[last];
        window_push(win, &n, x->pfn, x->count, x->owner);
    }

    size_t old_n = last - first + 1;
    if (fa->extent_count - old_n + n > fa->extent_cap) {
        return KEEL_E_FRAME_EXTENTS_FULL;
    }
    size_t tail = fa->extent_count - (last + 1);
    memmove(&fa->extents[first + n], &fa->extents[last + 1], tail * sizeof(win[0]));
    memcpy(&fa->extents[first], win, n * sizeof(win[0]));
    fa->extent_count = fa->extent_count - old_n + n;

    account(fa, old_owner, count, false);
    account(fa, owner, count, true);
    return KEEL_OK;
}

/*
 * Asks the grow callback for more room once the spare slots run low. Called only at
 * the end of an operation, when the array is consistent, because the callback may
 * come back into the allocator through the heap.
 */
static void maybe_grow(struct frame_alloc *fa)
{
    if (fa->grow == NULL || fa->in_grow || fa->extent_cap - fa->extent_count >= FRAME_ALLOC_SPARE) {
        return;
    }
    fa->in_grow = true;
    (void)fa->grow(fa->grow_ctx, fa, fa->extent_cap * 2);
    fa->in_grow = false;
}

/* Appends an initial extent, clipped so that it starts at or after everything before it. */
static int init_append(struct frame_alloc *fa, uint64_t start, uint64_t end, uint32_t owner)
{
    if (fa->extent_count > 0) {
        uint64_t prev_end = extent_end(&fa->extents[fa->extent_count - 1]);
        /* Owned ranges are rounded outward, so two may share a page; the first keeps it. */
        if (start < prev_end) {
            start = prev_end;
        }
    }
    if (start < 1) {
        start = 1; /* page 0 is never RAM to the allocator */
    }
    if (end <= start) {
        return KEEL_OK;
    }
    struct frame_extent *prev = fa->extent_count > 0 ? &fa->extents[fa->extent_count - 1] : NULL;
    if (prev != NULL && extent_end(prev) == start && prev->owner == owner) {
        prev->count += end - start;
    } else if (fa->extent_count < fa->extent_cap) {
        fa->extents[fa->extent_count++] =
            (struct frame_extent){.pfn = start, .count = end - start, .owner = owner};
    } else {
        return KEEL_E_FRAME_EXTENTS_FULL;
    }
    fa->frames_total += end - start;
    account(fa, owner, end - start, true);
    return KEEL_OK;
}

int frame_alloc_init(struct frame_alloc *fa, const struct bi_mem_range *mem, size_t mem_count,
                     struct frame_extent *storage, size_t storage_cap)
{
    if (fa == NULL || (mem == NULL && mem_count > 0) || storage == NULL) {
        return KEEL_E_INVALID;
    }
    *fa = (struct frame_alloc){
        .extents = storage,
        .extent_cap = storage_cap,
    };

    uint64_t prev_base = 0;
    for (size_t i = 0; i < mem_count; i++) {
        const struct bi_mem_range *r = &mem[i];
        uint32_t owner;

        if (r->size == 0) {
            continue;
        }
        if (r->size - 1 > UINT64_MAX - r->base || (i > 0 && r->base < prev_base)) {
            return KEEL_E_FRAME_MAP;
        }
        prev_base = r->base;
        switch (r->type) {
        case BI_MEM_USABLE:
            owner = FRAME_OWNER_FREE;
            break;
        case BI_MEM_KERNEL:
            owner = FRAME_OWNER_KERNEL;
            break;
        case BI_MEM_MODULE:
            owner = FRAME_OWNER_MODULES;
            break;
        case BI_MEM_BOOT_INFO:
        case BI_MEM_BOOTLOADER_RECLAIMABLE:
            /* The loader's own memory goes with the boot info at the reclaim step. */
            owner = FRAME_OWNER_BOOT_INFO;
            break;
        default:
            continue;
        }
        /* Frame numbers of the last byte avoid overflow for a range that ends at 2^64. */
        uint64_t first = r->base / PAGE_SIZE;
        uint64_t last = (r->base + (r->size - 1)) / PAGE_SIZE;
        uint64_t start;
        uint64_t end;
        if (owner == FRAME_OWNER_FREE) {
            start = first + (r->base % PAGE_SIZE != 0);
            end = last + ((r->base + (r->size - 1)) % PAGE_SIZE == PAGE_SIZE - 1);
        } else {
            start = first;
            end = last + 1;
        }
        int err = init_append(fa, start, end, owner);
        if (err != KEEL_OK) {
            return err;
        }
    }
    return KEEL_OK;
}

/*
 * Checks that [pfn, pfn + count), starting in extent `idx`, is RAM owned by `expect`,
 * and says which rule a bad range breaks. Touching extents never share an owner, so a
 * range that passes lies inside extent `idx`; the walk past it only picks the error.
 */
static int check_range(const struct frame_alloc *fa, size_t idx, uint64_t pfn, uint64_t count,
                       uint32_t expect)
{
    size_t i = idx;

    for (;;) {
        const struct frame_extent *e = &fa->extents[i];
        if (e->owner != expect) {
            if (expect == FRAME_OWNER_FREE) {
                return KEEL_E_FRAME_NOT_FREE;
            }
            return e->owner == FRAME_OWNER_FREE ? KEEL_E_FRAME_DOUBLE_FREE
                                                : KEEL_E_FRAME_WRONG_OWNER;
        }
        if (count <= extent_end(e) - pfn) {
            return KEEL_OK;
        }
        i++;
        if (i >= fa->extent_count || fa->extents[i].pfn != extent_end(e)) {
            return KEEL_E_FRAME_NOT_RAM;
        }
    }
}

/*
 * Hands [base, base + count frames) from `from` to `to`, exactly one of which is
 * FRAME_OWNER_FREE (a reserve or a free), or changes nothing.
 */
static int change_owner(struct frame_alloc *fa, paddr_t base, uint64_t count, enum frame_owner from,
                        enum frame_owner to)
{
    enum frame_owner owner = from == FRAME_OWNER_FREE ? to : from;

    if (!owner_is_valid(owner) || (from != FRAME_OWNER_FREE && to != FRAME_OWNER_FREE) ||
        count == 0 || base.pa % PAGE_SIZE != 0) {
        return KEEL_E_INVALID;
    }
    uint64_t pfn = base.pa / PAGE_SIZE;
    ptrdiff_t idx = find_extent(fa, pfn);
    if (idx < 0) {
        return KEEL_E_FRAME_NOT_RAM;
    }
    int err = check_range(fa, (size_t)idx, pfn, count, from);
    if (err != KEEL_OK) {
        return err;
    }
    return set_owner(fa, (size_t)idx, pfn, count, to);
}

int frame_alloc_reserve(struct frame_alloc *fa, paddr_t base, uint64_t count,
                        enum frame_owner owner)
{
    int err = change_owner(fa, base, count, FRAME_OWNER_FREE, owner);
    if (err == KEEL_OK) {
        maybe_grow(fa);
    }
    return err;
}

static bool window_reaches(const struct frame_alloc *fa, uint64_t pfn, uint64_t count)
{
    return fa->window(fa->window_ctx, pfn * PAGE_SIZE, count * PAGE_SIZE);
}

/*
 * The first run of `count` frames at or after *start (aligned, with room for the run
 * below `end`) that the window reaches, or any run when none is set: true with *start
 * moved there. The stride between candidates starts at `align` and doubles on each
 * miss, the last candidate being the last run that fits; after a hit, halving the gap
 * to the last miss finds where the window begins. Every run handed back was checked,
 * so a window of another shape only costs frames passed over, never a frame outside.
 */
static bool window_run(const struct frame_alloc *fa, uint64_t *start, uint64_t end, uint64_t count,
                       uint64_t align)
{
    uint64_t last = (end - count) & ~(align - 1);
    uint64_t stride = align;
    uint64_t miss = 0;
    bool missed = false;

    if (fa->window == NULL) {
        return true;
    }
    for (uint64_t pfn = *start;;) {
        if (window_reaches(fa, pfn, count)) {
            while (missed) {
                uint64_t mid = miss + (((pfn - miss) / 2) & ~(align - 1));
                if (mid == miss) {
                    break;
                }
                if (window_reaches(fa, mid, count)) {
                    pfn = mid;
                } else {
                    miss = mid;
                }
            }
            *start = pfn;
            return true;
        }
        if (pfn == last) {
            return false;
        }
        miss = pfn;
        missed = true;
        pfn = stride > last - pfn ? last : pfn + stride;
        stride = stride <= UINT64_MAX / 2 ? stride * 2 : stride;
    }
}

/* The lowest fitting run that ends at or below frame `limit_pfn` (exclusive). */
static int alloc_run_below(struct frame_alloc *fa, uint64_t count, uint64_t align,
                           enum frame_owner owner, uint64_t limit_pfn, paddr_t *out)
{
    if (!owner_is_valid(owner) || count == 0 || align == 0 || (align & (align - 1)) != 0 ||
        out == NULL) {
        return KEEL_E_INVALID;
    }
    if (alloc_fail_hit(fa->fail)) {
        return KEEL_E_ALLOC_INJECTED;
    }
    for (size_t i = 0; i < fa->extent_count && fa->extents[i].pfn < limit_pfn; i++) {
        const struct frame_extent *e = &fa->extents[i];
        if (e->owner != FRAME_OWNER_FREE) {
            continue;
        }
        uint64_t end = extent_end(e) < limit_pfn ? extent_end(e) : limit_pfn;
        uint64_t start = (e->pfn + (align - 1)) & ~(align - 1);
        if (start < e->pfn || start >= end || end - start < count ||
            !window_run(fa, &start, end, count, align)) {
            continue;
        }
        int err = set_owner(fa, i, start, count, owner);
        if (err != KEEL_OK) {
            return err;
        }
        fa->alloc_calls++;
        *out = pa_init(start * PAGE_SIZE);
        maybe_grow(fa);
        return KEEL_OK;
    }
    return KEEL_E_NO_MEMORY;
}

int frame_alloc_run(struct frame_alloc *fa, uint64_t count, uint64_t align, enum frame_owner owner,
                    paddr_t *out)
{
    return alloc_run_below(fa, count, align, owner, UINT64_MAX, out);
}

int frame_alloc_below(struct frame_alloc *fa, paddr_t limit, enum frame_owner owner, paddr_t *out)
{
    return alloc_run_below(fa, 1, 1, owner, limit.pa / PAGE_SIZE, out);
}

int frame_alloc_one(struct frame_alloc *fa, enum frame_owner owner, paddr_t *out)
{
    return frame_alloc_run(fa, 1, 1, owner, out);
}

int frame_free(struct frame_alloc *fa, paddr_t base, uint64_t count, enum frame_owner owner)
{
    int err = change_owner(fa, base, count, owner, FRAME_OWNER_FREE);

    if (err == KEEL_OK) {
        fa->free_calls++;
        maybe_grow(fa);
    }
    return err;
}

void frame_alloc_set_window(struct frame_alloc *fa,
                            bool (*window)(void *ctx, uint64_t pa, uint64_t len), void *ctx)
{
    fa->window = window;
    fa->window_ctx = ctx;
}

void frame_alloc_set_fail(struct frame_alloc *fa, struct alloc_fail *fail)
{
    fa->fail = fail;
}

void frame_alloc_set_grow(struct frame_alloc *fa, frame_grow_fn grow, void *ctx)
{
    fa->grow = grow;
    fa->grow_ctx = ctx;
}

int frame_alloc_move_storage(struct frame_alloc *fa, struct frame_extent *new_storage,
                             size_t new_cap)
{
    if (new_storage == NULL || new_cap < fa->extent_count) {
        return KEEL_E_INVALID;
    }
    memmove(new_storage, fa->extents, fa->extent_count * sizeof(*new_storage));
    fa->extents = new_storage;
    fa->extent_cap = new_cap;
    return KEEL_OK;
}

int frame_alloc_check(const struct frame_alloc *fa)
{
    uint64_t by_owner[FRAME_OWNER_COUNT] = {0};
    uint64_t total = 0;

    if (fa->extent_count > fa->extent_cap) {
        return KEEL_E_FRAME_CORRUPT;
    }
    for (size_t i = 0; i < fa->extent_count; i++) {
        const struct frame_extent *e = &fa->extents[i];
        if (e->count == 0 || e->pfn == 0 || e->owner >= FRAME_OWNER_COUNT ||
            e->count > UINT64_MAX - e->pfn) {
            return KEEL_E_FRAME_CORRUPT;
        }
        if (i > 0) {
            const struct frame_extent *p = &fa->extents[i - 1];
            if (extent_end(p) > e->pfn || (extent_end(p) == e->pfn && p->owner == e->owner)) {
                return KEEL_E_FRAME_CORRUPT;
            }
        }
        by_owner[e->owner] += e->count;
        total += e->count;
    }
    uint64_t owned = 0;
    for (uint32_t o = 1; o < FRAME_OWNER_COUNT; o++) {
        if (by_owner[o] != fa->frames_by_owner[o]) {
            return KEEL_E_FRAME_CORRUPT;
        }
        owned += fa->frames_by_owner[o];
    }
    if (fa->frames_by_owner[FRAME_OWNER_FREE] != 0 ||
        by_owner[FRAME_OWNER_FREE] != fa->frames_free || total != fa->frames_total ||
        fa->frames_total != fa->frames_free + owned) {
        return KEEL_E_FRAME_CORRUPT;
    }
    return KEEL_OK;
}

int frame_alloc_owner_of(const struct frame_alloc *fa, paddr_t pa)
{
    ptrdiff_t idx = find_extent(fa, pa.pa / PAGE_SIZE);
    return idx < 0 ? -1 : (int)fa->extents[idx].owner;
}

/* SPDX-License-Identifier: MIT */
/* Host test of the frame allocator: fixed cases plus random runs against a per-frame model. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/frame_alloc.h>

#include "../test_util.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

/*
 * The fake RAM of the random runs: 16 MiB of physical space with usable ranges,
 * holes, a reserved gap, ACPI memory, UEFI runtime-services and loader memory, and the
 * ranges the allocator starts out owning.
 * Small enough that the model can afford one byte per frame and a full scan per step.
 */
static const struct bi_mem_range fake_map[] = {
    {.base = 0x0, .size = 0x9f000, .type = BI_MEM_USABLE},
    {.base = 0x9f000, .size = 0x61000, .type = BI_MEM_RESERVED},
    {.base = 0x100000, .size = 0x100000, .type = BI_MEM_USABLE},
    {.base = 0x200000, .size = 0x200000, .type = BI_MEM_KERNEL},
    {.base = 0x400000, .size = 0x300000, .type = BI_MEM_USABLE},
    {.base = 0x700000, .size = 0x10000, .type = BI_MEM_BOOT_INFO},
    {.base = 0x710000, .size = 0xf0000, .type = BI_MEM_USABLE},
    {.base = 0x800000, .size = 0x80000, .type = BI_MEM_MODULE},
    {.base = 0x880000, .size = 0x180000, .type = BI_MEM_USABLE},
    /* a hole: 0xa00000 .. 0xc00000 */
    {.base = 0xc00000, .size = 0x100000, .type = BI_MEM_USABLE},
    {.base = 0xd00000, .size = 0x3000, .type = BI_MEM_ACPI_RECLAIMABLE},
    {.base = 0xd03000, .size = 0x1fd000, .type = BI_MEM_USABLE},
    /* UEFI: runtime-services memory, never handed out, and the loader's own, held as boot info */
    {.base = 0xf00000, .size = 0x40000, .type = BI_MEM_EFI_RUNTIME},
    {.base = 0xf40000, .size = 0x40000, .type = BI_MEM_BOOTLOADER_RECLAIMABLE},
    {.base = 0xf80000, .size = 0x80000, .type = BI_MEM_USABLE},
};
#define FAKE_FRAMES (0x1000000 / PAGE_SIZE)
#define NOT_RAM 0xff

static uint8_t model[FAKE_FRAMES];

struct live {
    uint64_t pfn;
    uint64_t count;
    uint32_t owner;
};

static void model_init(void)
{
    memset(model, NOT_RAM, sizeof(model));
    for (size_t i = 0; i < sizeof(fake_map) / sizeof(fake_map[0]); i++) {
        const struct bi_mem_range *r = &fake_map[i];
        uint8_t owner;
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
            owner = FRAME_OWNER_BOOT_INFO;
            break;
        default:
            continue;
        }
        for (uint64_t f = r->base / PAGE_SIZE; f < (r->base + r->size) / PAGE_SIZE; f++) {
            model[f] = owner;
        }
    }
    model[0] = NOT_RAM;
}

/* The frame the allocator must pick: the lowest aligned free run below the limit. */
static int64_t model_lowest_fit(uint64_t count, uint64_t align, uint64_t limit_pfn)
{
    uint64_t end = limit_pfn < FAKE_FRAMES ? limit_pfn : FAKE_FRAMES;
    for (uint64_t start = align; start + count <= end; start += align) {
        bool ok = true;
        for (uint64_t f = start; f < start + count; f++) {
            if (model[f] != FRAME_OWNER_FREE) {
                ok = false;
                start = ((f + align) & ~(align - 1)) - align; /* skip past the busy frame */
                break;
            }
        }
        if (ok) {
            return (int64_t)start;
        }
    }
    /* Frame 0 is never RAM, so start at `align`; align 1 also covers frame 1 this way. */
    return -1;
}

/* The error frame_free (expect = owner) or frame_alloc_reserve (expect = free) must give. */
static int model_check_range(uint64_t pfn, uint64_t count, uint8_t expect)
{
    for (uint64_t f = pfn; f < pfn + count; f++) {
        if (f >= FAKE_FRAMES || model[f] == NOT_RAM) {
            return KEEL_E_FRAME_NOT_RAM;
        }
        if (model[f] != expect) {
            if (expect == FRAME_OWNER_FREE) {
                return KEEL_E_FRAME_NOT_FREE;
            }
            return model[f] == FRAME_OWNER_FREE ? KEEL_E_FRAME_DOUBLE_FREE
                                                : KEEL_E_FRAME_WRONG_OWNER;
        }
    }
    return KEEL_OK;
}

static void model_set(uint64_t pfn, uint64_t count, uint8_t owner)
{
    for (uint64_t f = pfn; f < pfn + count; f++) {
        model[f] = owner;
    }
}

/* Counters and every frame's owner agree with the model. */
static void compare_with_model(const struct frame_alloc *fa, bool every_frame)
{
    uint64_t by_owner[FRAME_OWNER_COUNT] = {0};
    uint64_t total = 0;
    for (uint64_t f = 0; f < FAKE_FRAMES; f++) {
        if (model[f] != NOT_RAM) {
            by_owner[model[f]]++;
            total++;
        }
    }
    CHECK_ERR(frame_alloc_check(fa), KEEL_OK);
    CHECK(fa->frames_total == total);
    CHECK(fa->frames_free == by_owner[FRAME_OWNER_FREE]);
    for (uint32_t o = 1; o < FRAME_OWNER_COUNT; o++) {
        CHECK(fa->frames_by_owner[o] == by_owner[o]);
    }
    if (every_frame) {
        bool same = true;
        for (uint64_t f = 0; f < FAKE_FRAMES; f++) {
            int want = model[f] == NOT_RAM ? -1 : model[f];
            if (frame_alloc_owner_of(fa, pa_init(f * PAGE_SIZE)) != want) {
                same = false;
            }
        }
        CHECK(same);
    }
}

struct grow_ctx {
    struct frame_extent *owned; /* storage we allocated, freed on the next move */
    unsigned calls;
    bool fail;
};

static int grow_cb(void *ctx, struct frame_alloc *fa, size_t min_cap)
{
    struct grow_ctx *g = ctx;
    g->calls++;
    if (g->fail) {
        return KEEL_E_NO_MEMORY;
    }
    struct frame_extent *fresh = malloc(min_cap * sizeof(*fresh));
    if (fresh == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    int err = frame_alloc_move_storage(fa, fresh, min_cap);
    if (err != KEEL_OK) {
        free(fresh);
        return err;
    }
    free(g->owned);
    g->owned = fresh;
    return KEEL_OK;
}

static const uint32_t random_owners[] = {
    FRAME_OWNER_PAGE_TABLES,
    FRAME_OWNER_HEAP,
    FRAME_OWNER_STACKS,
    FRAME_OWNER_BOOT_PAGE_TABLES,
};

/*
 * One random run. With `use_grow` the allocator's storage grows through the callback;
 * without it the test moves the storage itself whenever an operation reports that it
 * is full, and checks that the failed operation changed nothing.
 */
/* Windows: [lo, hi) of physical memory, the shape of a boot 1:1 window in the tests. */
struct window {
    uint64_t lo, hi;
};

static bool in_window(void *ctx, uint64_t pa, uint64_t len)
{
    const struct window *w = ctx;
    return pa >= w->lo && len <= w->hi - w->lo && pa - w->lo <= w->hi - w->lo - len;
}

static void random_run(uint64_t seed, unsigned steps, bool use_grow)
{
    struct frame_alloc fa;
    static struct frame_extent initial[24];
    struct frame_extent *moved = NULL;
    struct grow_ctx g = {0};
    struct alloc_fail fail = {0};
    struct live *lives = calloc(FAKE_FRAMES, sizeof(*lives));
    size_t live_count = 0;
    uint64_t rng = seed;
    unsigned allocs = 0, frees = 0, bad = 0, full = 0, injected = 0, nomem = 0;
    /* A window with only an upper end: the lowest fit below it is still exact. */
    struct window below = {0, UINT64_MAX};
    uint64_t limit_pfn = UINT64_MAX;

    model_init();
    CHECK_ERR(frame_alloc_init(&fa, fake_map, sizeof(fake_map) / sizeof(fake_map[0]), initial,
                               sizeof(initial) / sizeof(initial[0])),
              KEEL_OK);
    compare_with_model(&fa, true);
    if (use_grow) {
        frame_alloc_set_grow(&fa, grow_cb, &g);
    }
    frame_alloc_set_fail(&fa, &fail);

    for (unsigned step = 0; step < steps; step++) {
        uint64_t r = test_rand(&rng);
        unsigned op = (unsigned)(r % 100);
        int err = KEEL_OK;

        if (op < 40) {
            /* Allocate: mostly single frames, some aligned runs. */
            uint64_t count = 1;
            uint64_t align = 1;
            if (op >= 20) {
                count = 1 + test_rand(&rng) % (op < 35 ? 8 : 128);
                align = UINT64_C(1) << (test_rand(&rng) % 8);
            }
            uint32_t owner = random_owners[test_rand(&rng) % 4];
            int64_t want = model_lowest_fit(count, align, limit_pfn);
            paddr_t pa = pa_init(0);
            struct frame_alloc before = fa;
            err = frame_alloc_run(&fa, count, align, owner, &pa);
            if (err == KEEL_E_ALLOC_INJECTED) {
                injected++;
                CHECK(fa.extent_count == before.extent_count &&
                      fa.frames_free == before.frames_free);
            } else if (want < 0) {
                CHECK_ERR(err, KEEL_E_NO_MEMORY);
                nomem++;
            } else if (err == KEEL_E_FRAME_EXTENTS_FULL) {
                full++;
            } else {
                CHECK_ERR(err, KEEL_OK);
                uint64_t pfn = pa.pa / PAGE_SIZE;
                CHECK(pa.pa % PAGE_SIZE == 0);
                CHECK(pfn == (uint64_t)want);
                CHECK(pfn % align == 0);
                CHECK(pfn != 0);
                CHECK(pfn + count <= limit_pfn);
                CHECK_ERR(model_check_range(pfn, count, FRAME_OWNER_FREE), KEEL_OK);
                model_set(pfn, count, (uint8_t)owner);
                lives[live_count++] = (struct live){.pfn = pfn, .count = count, .owner = owner};
                allocs++;
            }
        } else if (op < 75 && live_count > 0) {
            /* Free a live allocation, whole or a piece of it (pieces stay live). */
            size_t i = test_rand(&rng) % live_count;
            struct live l = lives[i];
            uint64_t off = 0;
            uint64_t count = l.count;
            if (l.count > 1 && test_rand(&rng) % 4 == 0) {
                off = test_rand(&rng) % l.count;
                count = 1 + test_rand(&rng) % (l.count - off);
            }
            err = frame_free(&fa, pa_init((l.pfn + off) * PAGE_SIZE), count, l.owner);
            if (err == KEEL_E_FRAME_EXTENTS_FULL) {
                full++;
            } else {
                CHECK_ERR(err, KEEL_OK);
                model_set(l.pfn + off, count, FRAME_OWNER_FREE);
                lives[i] = lives[--live_count];
                if (off > 0) {
                    lives[live_count++] = (struct live){l.pfn, off, l.owner};
                }
                if (off + count < l.count) {
                    lives[live_count++] =
                        (struct live){l.pfn + off + count, l.count - off - count, l.owner};
                }
                frees++;
            }
        } else if (op < 92) {
            /* A free or a reserve of a random range: the model says which error is due. */
            uint64_t pfn = test_rand(&rng) % (FAKE_FRAMES + 64);
            uint64_t count = 1 + test_rand(&rng) % 16;
            bool reserve = op >= 88;
            uint32_t owner = reserve ? random_owners[test_rand(&rng) % 4]
                                     : 1 + (uint32_t)(test_rand(&rng) % (FRAME_OWNER_COUNT - 1));
            uint8_t expect = reserve ? FRAME_OWNER_FREE : (uint8_t)owner;
            int want = model_check_range(pfn, count, expect);
            paddr_t pa = pa_init(pfn * PAGE_SIZE);
            err = reserve ? frame_alloc_reserve(&fa, pa, count, owner)
                          : frame_free(&fa, pa, count, owner);
            if (err == KEEL_E_FRAME_EXTENTS_FULL && want == KEEL_OK) {
                full++;
            } else {
                CHECK_ERR(err, want);
                if (want == KEEL_OK) {
                    /* A valid free here may cut into live records; keep them in step. */
                    model_set(pfn, count, reserve ? (uint8_t)owner : FRAME_OWNER_FREE);
                    if (reserve) {
                        lives[live_count++] = (struct live){pfn, count, owner};
                    } else {
                        for (size_t i = 0; i < live_count;) {
                            struct live l = lives[i];
                            if (l.pfn + l.count <= pfn || l.pfn >= pfn + count) {
                                i++;
                                continue;
                            }
                            lives[i] = lives[--live_count];
                            if (l.pfn < pfn) {
                                lives[live_count++] = (struct live){l.pfn, pfn - l.pfn, l.owner};
                            }
                            if (l.pfn + l.count > pfn + count) {
                                lives[live_count++] = (struct live){
                                    pfn + count, l.pfn + l.count - (pfn + count), l.owner};
                            }
                        }
                    }
                } else {
                    bad++;
                }
            }
        } else if (op < 95) {
            /* Move the window's end around: none, or somewhere inside the fake RAM. */
            bool none = test_rand(&rng) % 3 == 0;
            limit_pfn = none ? UINT64_MAX : test_rand(&rng) % FAKE_FRAMES;
            below.hi = none ? UINT64_MAX : limit_pfn * PAGE_SIZE;
            frame_alloc_set_window(&fa, none ? NULL : in_window, &below);
        } else if (op < 97) {
            alloc_fail_arm(&fail, 1 + test_rand(&rng) % 4);
        }
        if (err == KEEL_E_FRAME_EXTENTS_FULL && !use_grow) {
            size_t cap = fa.extent_cap * 2;
            struct frame_extent *fresh = malloc(cap * sizeof(*fresh));
            CHECK_ERR(frame_alloc_move_storage(&fa, fresh, cap), KEEL_OK);
            free(moved);
            moved = fresh;
        }
        compare_with_model(&fa, step % 32 == 0);
    }
    compare_with_model(&fa, true);
    CHECK(allocs > steps / 10 && frees > steps / 10 && bad > steps / 50);
    CHECK(injected > 0);
    CHECK(use_grow ? g.calls > 0 && full == 0 : full > 0);
    printf("seed %llu (%s): %u allocs, %u frees, %u rejected, %u out of memory, "
           "%u injected, %u full, %zu extents at the end (cap %zu)\n",
           (unsigned long long)seed, use_grow ? "grow callback" : "manual moves", allocs, frees,
           bad, nomem, injected, full, fa.extent_count, fa.extent_cap);
    free(moved);
    free(g.owned);
    free(lives);
}

static void test_init_rounding(void)
{
    struct frame_extent st[16];
    struct frame_alloc fa;
    const struct bi_mem_range map[] = {
        {.base = 0x0, .size = 0x3800, .type = BI_MEM_USABLE},       /* frames 1, 2 */
        {.base = 0x3800, .size = 0x1000, .type = BI_MEM_BOOT_INFO}, /* frames 3, 4 */
        {.base = 0x4800, .size = 0x800, .type = BI_MEM_MODULE},     /* shares frame 4 */
        {.base = 0x5000, .size = 0x2100, .type = BI_MEM_USABLE},    /* frames 5, 6 */
        {.base = 0x7100, .size = 0x100, .type = BI_MEM_RESERVED},   /* not RAM */
        {.base = 0x10000, .size = 0x10000, .type = BI_MEM_KERNEL},  /* frames 16..31 */
        {.base = 0x20000, .size = 0x1000, .type = BI_MEM_KERNEL},   /* merges */
        {.base = 0x21000, .size = 0x800, .type = BI_MEM_USABLE},    /* nothing whole */
    };
    CHECK_ERR(frame_alloc_init(&fa, map, 8, st, 16), KEEL_OK);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0)) == -1);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x1000)) == FRAME_OWNER_FREE);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x2fff)) == FRAME_OWNER_FREE);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x3000)) == FRAME_OWNER_BOOT_INFO);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x4000)) == FRAME_OWNER_BOOT_INFO);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x5000)) == FRAME_OWNER_FREE);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x6000)) == FRAME_OWNER_FREE);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x7000)) == -1);
    CHECK(frame_alloc_owner_of(&fa, pa_init(0x21000)) == -1);
    CHECK(fa.frames_total == 2 + 2 + 2 + 17);
    CHECK(fa.frames_free == 4);
    CHECK(fa.frames_by_owner[FRAME_OWNER_KERNEL] == 17);
    CHECK(fa.frames_by_owner[FRAME_OWNER_MODULES] == 0);
    CHECK(fa.extent_count == 4);

    /* Four free frames, then no more; page 0 never appears. */
    paddr_t pa;
    for (int i = 0; i < 4; i++) {
        CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa), KEEL_OK);
        CHECK(pa.pa != 0);
    }
    CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa), KEEL_E_NO_MEMORY);
    CHECK(fa.frames_free == 0 && fa.frames_by_owner[FRAME_OWNER_PAGE_TABLES] == 4);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);

    /* Unsorted, wrapping and too-large maps are refused. */
    const struct bi_mem_range unsorted[] = {
        {.base = 0x100000, .size = 0x1000, .type = BI_MEM_USABLE},
        {.base = 0x1000, .size = 0x1000, .type = BI_MEM_USABLE},
    };
    CHECK_ERR(frame_alloc_init(&fa, unsorted, 2, st, 16), KEEL_E_FRAME_MAP);
    const struct bi_mem_range wraps[] = {
        {.base = UINT64_MAX - 0xfff, .size = 0x2000, .type = BI_MEM_USABLE},
    };
    CHECK_ERR(frame_alloc_init(&fa, wraps, 1, st, 16), KEEL_E_FRAME_MAP);
    const struct bi_mem_range top[] = {
        {.base = UINT64_MAX - 0x1fff, .size = 0x2000, .type = BI_MEM_USABLE},
    };
    CHECK_ERR(frame_alloc_init(&fa, top, 1, st, 16), KEEL_OK);
    CHECK(fa.frames_total == 2);
    CHECK_ERR(frame_alloc_init(&fa, fake_map, sizeof(fake_map) / sizeof(fake_map[0]), st, 4),
              KEEL_E_FRAME_EXTENTS_FULL);
    CHECK_ERR(frame_alloc_init(&fa, NULL, 0, st, 4), KEEL_OK);
    CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_HEAP, &pa), KEEL_E_NO_MEMORY);
}

static void test_reserve_and_contract(void)
{
    struct frame_extent st[64];
    struct frame_alloc fa;
    paddr_t pa;

    CHECK_ERR(frame_alloc_init(&fa, fake_map, sizeof(fake_map) / sizeof(fake_map[0]), st, 64),
              KEEL_OK);
    /* The live boot page tables: free RAM becomes owned, once. */
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x120000), 6, FRAME_OWNER_BOOT_PAGE_TABLES),
              KEEL_OK);
    CHECK(fa.frames_by_owner[FRAME_OWNER_BOOT_PAGE_TABLES] == 6);
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x125000), 2, FRAME_OWNER_BOOT_PAGE_TABLES),
              KEEL_E_FRAME_NOT_FREE);
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x1ff000), 2, FRAME_OWNER_STACKS),
              KEEL_E_FRAME_NOT_FREE); /* runs into the kernel */
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x9e000), 2, FRAME_OWNER_STACKS),
              KEEL_E_FRAME_NOT_RAM); /* runs into the reserved gap */
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0xa00000), 1, FRAME_OWNER_STACKS),
              KEEL_E_FRAME_NOT_RAM);
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x0), 1, FRAME_OWNER_STACKS), KEEL_E_FRAME_NOT_RAM);
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x120800), 1, FRAME_OWNER_STACKS), KEEL_E_INVALID);
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0x300000), 1, FRAME_OWNER_FREE), KEEL_E_INVALID);

    /* The contract on free: right owner, RAM, not free already; state unchanged otherwise. */
    struct frame_alloc before = fa;
    struct frame_extent before_extents[64];
    memcpy(before_extents, st, sizeof(st));
    CHECK_ERR(frame_free(&fa, pa_init(0x120000), 6, FRAME_OWNER_PAGE_TABLES),
              KEEL_E_FRAME_WRONG_OWNER);
    CHECK_ERR(frame_free(&fa, pa_init(0x120000), 7, FRAME_OWNER_BOOT_PAGE_TABLES),
              KEEL_E_FRAME_DOUBLE_FREE);
    CHECK_ERR(frame_free(&fa, pa_init(0x300000), 1, FRAME_OWNER_HEAP), KEEL_E_FRAME_WRONG_OWNER);
    CHECK_ERR(frame_free(&fa, pa_init(0x110000), 1, FRAME_OWNER_HEAP), KEEL_E_FRAME_DOUBLE_FREE);
    CHECK_ERR(frame_free(&fa, pa_init(0xb00000), 1, FRAME_OWNER_HEAP), KEEL_E_FRAME_NOT_RAM);
    CHECK_ERR(frame_free(&fa, pa_init(0x3ff000), 2, FRAME_OWNER_KERNEL), KEEL_E_FRAME_DOUBLE_FREE);
    CHECK_ERR(frame_free(&fa, pa_init(0x9ff000), 2, FRAME_OWNER_HEAP), KEEL_E_FRAME_DOUBLE_FREE);
    CHECK(memcmp(&before, &fa, sizeof(fa)) == 0);
    CHECK(memcmp(before_extents, st, sizeof(st)) == 0);

    /* The kernel frees the boot-info pages and the loader's own at the end of init. */
    CHECK(fa.frames_by_owner[FRAME_OWNER_BOOT_INFO] == 16 + 64);
    CHECK_ERR(frame_free(&fa, pa_init(0x700000), 16, FRAME_OWNER_BOOT_INFO), KEEL_OK);
    CHECK_ERR(frame_free(&fa, pa_init(0x700000), 1, FRAME_OWNER_BOOT_INFO),
              KEEL_E_FRAME_DOUBLE_FREE);
    CHECK_ERR(frame_free(&fa, pa_init(0xf40000), 64, FRAME_OWNER_BOOT_INFO), KEEL_OK);
    CHECK(fa.frames_by_owner[FRAME_OWNER_BOOT_INFO] == 0);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);

    /* Aligned runs and the limit. */
    CHECK_ERR(frame_alloc_run(&fa, 3, 0, FRAME_OWNER_HEAP, &pa), KEEL_E_INVALID);
    CHECK_ERR(frame_alloc_run(&fa, 3, 3, FRAME_OWNER_HEAP, &pa), KEEL_E_INVALID);
    CHECK_ERR(frame_alloc_run(&fa, 0, 1, FRAME_OWNER_HEAP, &pa), KEEL_E_INVALID);
    CHECK_ERR(frame_alloc_run(&fa, 0x401, 1, FRAME_OWNER_HEAP, &pa), KEEL_E_NO_MEMORY);
    CHECK_ERR(frame_alloc_run(&fa, 0x400, 0x400, FRAME_OWNER_HEAP, &pa), KEEL_OK);
    CHECK(pa.pa == 0x400000);
    CHECK_ERR(frame_free(&fa, pa, 0x400, FRAME_OWNER_HEAP), KEEL_OK);
    CHECK_ERR(frame_alloc_run(&fa, 256, 256, FRAME_OWNER_HEAP, &pa), KEEL_OK);
    CHECK(pa.pa == 0x400000);
    struct window w = {0, 0x80000};
    frame_alloc_set_window(&fa, in_window, &w);
    for (int i = 0; i < 200; i++) {
        if (frame_alloc_one(&fa, FRAME_OWNER_STACKS, &pa) != KEEL_OK) {
            CHECK(i == 0x7f); /* frames 1..0x7f lie below the window's end */
            break;
        }
        CHECK(pa.pa < 0x80000);
    }
    /* A window above the lowest free frames (RAM from 0, a window that starts higher):
     * the frames below it are passed over, not handed out. */
    w = (struct window){0x540000, 0x580000};
    CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_STACKS, &pa), KEEL_OK);
    CHECK(pa.pa == 0x540000); /* the lowest it reaches: the window starts once here */
    CHECK_ERR(frame_alloc_run(&fa, 16, 16, FRAME_OWNER_STACKS, &pa), KEEL_OK);
    CHECK(pa.pa == 0x550000);
    /* One that reaches no free frame: out of memory, not a frame outside it. */
    w = (struct window){0x5000000, 0x6000000};
    CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_STACKS, &pa), KEEL_E_NO_MEMORY);
    frame_alloc_set_window(&fa, NULL, NULL);
    CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_STACKS, &pa), KEEL_OK);
    CHECK(pa.pa == 0x80000);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
    CHECK(strcmp(frame_owner_name(FRAME_OWNER_BOOT_PAGE_TABLES), "boot_page_tables") == 0);
    CHECK(strcmp(frame_owner_name(99), "unknown") == 0);
}

/* A machine with a lot of RAM costs no more to set up than a small one. */
static void test_huge_maps(void)
{
    static struct frame_extent st[BI_MEM_MAX];
    static struct bi_mem_range map[BI_MEM_MAX];
    struct frame_alloc fa;
    const uint64_t sizes[] = {128 * MIB, 64 * GIB, 1024 * GIB};

    for (size_t s = 0; s < 3; s++) {
        /* A PC-like map: low memory, the kernel, modules, a PCI hole, the rest above 4 GiB. */
        size_t n = 0;
        uint64_t ram = sizes[s];
        map[n++] = (struct bi_mem_range){0x1000, 0x9e000, BI_MEM_USABLE, 0};
        map[n++] = (struct bi_mem_range){0xf0000, 0x10000, BI_MEM_RESERVED, 0};
        map[n++] = (struct bi_mem_range){0x100000, 0x100000, BI_MEM_USABLE, 0};
        map[n++] = (struct bi_mem_range){0x200000, 0x200000, BI_MEM_KERNEL, 0};
        map[n++] = (struct bi_mem_range){0x400000, 0x100000, BI_MEM_MODULE, 0};
        map[n++] = (struct bi_mem_range){0x500000, 0x1000, BI_MEM_BOOT_INFO, 0};
        uint64_t low_end = ram < 3 * GIB ? ram : 3 * GIB;
        map[n++] = (struct bi_mem_range){0x501000, low_end - 0x501000, BI_MEM_USABLE, 0};
        if (ram > 3 * GIB) {
            map[n++] = (struct bi_mem_range){3 * GIB, GIB, BI_MEM_RESERVED, 0};
            map[n++] = (struct bi_mem_range){4 * GIB, ram - 3 * GIB, BI_MEM_USABLE, 0};
        }
        CHECK_ERR(frame_alloc_init(&fa, map, n, st, BI_MEM_MAX), KEEL_OK);
        CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
        /* One extent per map entry at most: nothing in the setup was per frame. */
        CHECK(fa.extent_count <= n);
        uint64_t usable =
            0x9e000 + 0x100000 + (low_end - 0x501000) + (ram > 3 * GIB ? ram - 3 * GIB : 0);
        CHECK(fa.frames_free == usable / PAGE_SIZE);
        paddr_t pa;
        CHECK_ERR(frame_alloc_run(&fa, 1u << 18, 1u << 18, FRAME_OWNER_HEAP, &pa),
                  s == 0 ? KEEL_E_NO_MEMORY : KEEL_OK);
        CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
        printf("huge map %llu MiB: %zu map entries, %zu extents, %llu frames\n",
               (unsigned long long)(ram / MIB), n, fa.extent_count,
               (unsigned long long)fa.frames_total);
    }

    /* The largest map a boot_info can hold: alternating usable and reserved ranges. */
    for (size_t i = 0; i < BI_MEM_MAX; i++) {
        map[i] = (struct bi_mem_range){(i + 1) * GIB, GIB / 2,
                                       i % 2 == 0 ? BI_MEM_USABLE : BI_MEM_RESERVED, 0};
    }
    CHECK_ERR(frame_alloc_init(&fa, map, BI_MEM_MAX, st, BI_MEM_MAX), KEEL_OK);
    CHECK(fa.extent_count == BI_MEM_MAX / 2);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
}

static void test_fail_injection(void)
{
    struct frame_extent st[64];
    struct frame_alloc fa;
    struct alloc_fail fail;
    paddr_t pa;

    CHECK_ERR(frame_alloc_init(&fa, fake_map, sizeof(fake_map) / sizeof(fake_map[0]), st, 64),
              KEEL_OK);
    frame_alloc_set_fail(&fa, &fail);
    for (uint64_t n = 1; n <= 6; n++) {
        alloc_fail_arm(&fail, n);
        uint64_t free_before = fa.frames_free;
        for (uint64_t i = 1; i <= 8; i++) {
            int err = i % 2 ? frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa)
                            : frame_alloc_run(&fa, 4, 4, FRAME_OWNER_STACKS, &pa);
            CHECK_ERR(err, i == n ? KEEL_E_ALLOC_INJECTED : KEEL_OK);
        }
        CHECK(fail.count == 8 && fail.failed == 1);
        /* Exactly one allocation is missing from the accounting: the one that failed. */
        uint64_t missing = n % 2 ? 1 : 4;
        CHECK(free_before - fa.frames_free == 4 * 1 + 4 * 4 - missing);
        CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
    }
    /* Reserve and free never count as allocations. */
    alloc_fail_arm(&fail, 1);
    CHECK_ERR(frame_alloc_reserve(&fa, pa_init(0xc00000), 1, FRAME_OWNER_STACKS), KEEL_OK);
    CHECK_ERR(frame_free(&fa, pa_init(0xc00000), 1, FRAME_OWNER_STACKS), KEEL_OK);
    CHECK(fail.count == 0);
    alloc_fail_arm(&fail, 0);
    for (int i = 0; i < 10; i++) {
        CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa), KEEL_OK);
    }
    frame_alloc_set_fail(&fa, NULL);
    CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa), KEEL_OK);
}

/* frame_alloc_below: the lowest free frame under the limit, and none when all are taken. */
static void test_below(void)
{
    struct frame_extent st[64];
    struct frame_alloc fa;
    struct alloc_fail fail;
    paddr_t pa;
    const struct bi_mem_range map[] = {
        {.base = 0x0, .size = 0x3000, .type = BI_MEM_USABLE},
        {.base = 0x3000, .size = 0x9d000, .type = BI_MEM_RESERVED},
        {.base = 0x100000, .size = 0x100000, .type = BI_MEM_USABLE},
    };

    CHECK_ERR(frame_alloc_init(&fa, map, 3, st, 64), KEEL_OK);
    /* Page 0 is never RAM: below 1 MiB there are frames 1 and 2 only. */
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x100000), FRAME_OWNER_CPU_START, &pa), KEEL_OK);
    CHECK(pa.pa == 0x1000);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x100000), FRAME_OWNER_CPU_START, &pa), KEEL_OK);
    CHECK(pa.pa == 0x2000);
    CHECK(fa.frames_by_owner[FRAME_OWNER_CPU_START] == 2);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x100000), FRAME_OWNER_CPU_START, &pa),
              KEEL_E_NO_MEMORY);
    /* A limit inside a free extent: only the frames wholly below it. */
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x101fff), FRAME_OWNER_CPU_START, &pa), KEEL_OK);
    CHECK(pa.pa == 0x100000);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x101fff), FRAME_OWNER_CPU_START, &pa),
              KEEL_E_NO_MEMORY);
    /* The allocator's early window applies too: nothing below the limit is inside it. */
    struct window w = {.lo = 0x101000, .hi = 0x200000};
    frame_alloc_set_window(&fa, in_window, &w);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x101000), FRAME_OWNER_CPU_START, &pa),
              KEEL_E_NO_MEMORY);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x200000), FRAME_OWNER_CPU_START, &pa), KEEL_OK);
    CHECK(pa.pa == 0x101000);
    CHECK_ERR(frame_free(&fa, pa, 1, FRAME_OWNER_CPU_START), KEEL_OK);
    frame_alloc_set_window(&fa, NULL, NULL);
    /* Freed, the first frame is the next one handed out; an injected failure counts. */
    CHECK_ERR(frame_free(&fa, pa_init(0x1000), 1, FRAME_OWNER_CPU_START), KEEL_OK);
    frame_alloc_set_fail(&fa, &fail);
    alloc_fail_arm(&fail, 1);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x100000), FRAME_OWNER_CPU_START, &pa),
              KEEL_E_ALLOC_INJECTED);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x100000), FRAME_OWNER_CPU_START, &pa), KEEL_OK);
    CHECK(pa.pa == 0x1000 && fail.count == 2);
    CHECK_ERR(frame_alloc_below(&fa, pa_init(0x100000), FRAME_OWNER_FREE, &pa), KEEL_E_INVALID);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
}

static void test_storage(void)
{
    struct frame_extent small[8];
    struct frame_alloc fa;
    paddr_t pa;
    const struct bi_mem_range map[] = {{0x100000, 0x1000000, BI_MEM_USABLE, 0}};

    CHECK_ERR(frame_alloc_init(&fa, map, 1, small, 8), KEEL_OK);
    /* Checkerboard: every other frame freed, so each free makes a hole of its own. */
    for (int i = 0; i < 10; i++) {
        CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_HEAP, &pa), KEEL_OK);
    }
    bool was_full = false;
    for (int i = 0; i < 5; i++) {
        size_t before = fa.extent_count;
        paddr_t at = pa_init(0x100000 + (uint64_t)(2 * i) * PAGE_SIZE);
        int err = frame_free(&fa, at, 1, FRAME_OWNER_HEAP);
        CHECK_ERR(err, before + 2 <= 8 ? KEEL_OK : KEEL_E_FRAME_EXTENTS_FULL);
        if (err != KEEL_OK) {
            /* Full: the operation changed nothing; more room makes it go through. */
            was_full = true;
            CHECK(fa.extent_count == before);
            CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
            struct frame_extent *big = malloc(64 * sizeof(*big));
            CHECK_ERR(frame_alloc_move_storage(&fa, big, 4), KEEL_E_INVALID);
            CHECK_ERR(frame_alloc_move_storage(&fa, big, 64), KEEL_OK);
            CHECK(fa.extents == big);
            memset(small, 0xa5, sizeof(small)); /* the old storage is really unused now */
            CHECK_ERR(frame_free(&fa, at, 1, FRAME_OWNER_HEAP), KEEL_OK);
            CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
            for (int j = i + 1; j < 5; j++) {
                at = pa_init(0x100000 + (uint64_t)(2 * j) * PAGE_SIZE);
                CHECK_ERR(frame_free(&fa, at, 1, FRAME_OWNER_HEAP), KEEL_OK);
            }
            CHECK(fa.extent_count == 11);
            free(big);
            break;
        }
    }
    CHECK(was_full);

    /* The grow callback moves the storage before it runs out, and may fail harmlessly. */
    struct grow_ctx g = {0};
    CHECK_ERR(frame_alloc_init(&fa, map, 1, small, 8), KEEL_OK);
    frame_alloc_set_grow(&fa, grow_cb, &g);
    for (int i = 0; i < 400; i++) {
        CHECK_ERR(frame_alloc_one(&fa, FRAME_OWNER_PAGE_TABLES, &pa), KEEL_OK);
    }
    for (int i = 0; i < 200; i++) {
        CHECK_ERR(frame_free(&fa, pa_init(0x100000 + (uint64_t)(2 * i) * PAGE_SIZE), 1,
                             FRAME_OWNER_PAGE_TABLES),
                  KEEL_OK);
    }
    CHECK(fa.extent_count == 401);
    CHECK(fa.extent_cap >= fa.extent_count + FRAME_ALLOC_SPARE);
    CHECK(g.calls >= 5);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);

    /* A failing callback is asked again later and the allocator works on in its room. */
    g.fail = true;
    unsigned calls = g.calls;
    size_t cap = fa.extent_cap;
    for (int i = 0; i < 4000 && fa.extent_count + 2 <= cap; i++) {
        CHECK_ERR(frame_alloc_one(&fa, i % 2 ? FRAME_OWNER_STACKS : FRAME_OWNER_HEAP, &pa),
                  KEEL_OK);
    }
    CHECK(fa.extent_count + 2 > cap && fa.extent_cap == cap);
    CHECK(g.calls > calls + 2);
    CHECK_ERR(frame_alloc_check(&fa), KEEL_OK);
    free(g.owned);
}

int main(void)
{
    test_init_rounding();
    test_reserve_and_contract();
    test_huge_maps();
    test_fail_injection();
    test_below();
    test_storage();
    const uint64_t seeds[] = {1, 0x5eed, 0xdeadbeef, 42};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        random_run(seeds[i], 20000, i % 2 == 0);
    }
    return test_finish("frame_alloc");
}

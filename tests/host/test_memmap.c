/* SPDX-License-Identifier: MIT */
/* memmap_normalise: hand-written cases, then randomised inputs against a page-level model. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/memmap.h>

#include "test_util.h"

#define PAGE 4096u
#define MODEL_PAGES 512u /* the random cases live in the first 2 MiB */

static struct bi_mem_range out[BI_MEM_MAX];
static size_t out_count;

static int norm(const struct bi_mem_range *in, size_t n)
{
    return memmap_normalise(in, n, out, BI_MEM_MAX, &out_count);
}

#define R(b, s, t, src)                                                                            \
    {                                                                                              \
        (b), (s), (t), (src)                                                                       \
    }

static void hand_cases(void)
{
    const uint32_t U = BI_MEM_USABLE, RS = BI_MEM_RESERVED, K = BI_MEM_KERNEL;
    const uint32_t S1 = BI_SRC_MB2_MMAP, S2 = BI_SRC_FDT_MEMORY;

    struct bi_mem_range low[] = {R(0, 0xa0000, U, S1)};
    CHECK_ERR(norm(low, 1), KEEL_OK);
    CHECK(out_count == 1 && out[0].base == 0x1000 && out[0].size == 0x9f000);

    struct bi_mem_range inward[] = {R(0x1800, 0x2000, U, S1)};
    CHECK_ERR(norm(inward, 1), KEEL_OK);
    CHECK(out_count == 1 && out[0].base == 0x2000 && out[0].size == 0x1000);

    struct bi_mem_range tiny[] = {R(0x1800, 0x1000, U, S1)};
    CHECK_ERR(norm(tiny, 1), KEEL_E_MEM_NO_USABLE);
    CHECK_ERR(norm(NULL, 0), KEEL_E_MEM_NO_USABLE);

    /* Reserved rounds outward and wins: it splits usable RAM. */
    struct bi_mem_range split[] = {R(0x100000, 0x100000, U, S1), R(0x150800, 0x10, RS, S1)};
    CHECK_ERR(norm(split, 2), KEEL_OK);
    CHECK(out_count == 3);
    CHECK(out[0].base == 0x100000 && out[0].size == 0x50000 && out[0].type == U);
    CHECK(out[1].base == 0x150000 && out[1].size == 0x1000 && out[1].type == RS);
    CHECK(out[2].base == 0x151000 && out[2].size == 0xaf000 && out[2].type == U);

    /* Same type and source merge across inputs; a different source does not. */
    struct bi_mem_range adj[] = {R(0x200000, 0x1000, U, S1), R(0x100000, 0x100000, U, S1),
                                 R(0x201000, 0x1000, U, S2)};
    CHECK_ERR(norm(adj, 3), KEEL_OK);
    CHECK(out_count == 2);
    CHECK(out[0].base == 0x100000 && out[0].size == 0x101000 && out[0].source == S1);
    CHECK(out[1].base == 0x201000 && out[1].source == S2);

    /* Precedence by enum value: the kernel beats usable, reserved beats the kernel. */
    struct bi_mem_range prec[] = {R(0x100000, 0x400000, U, S1),
                                  R(0x200000, 0x100000, K, BI_SRC_KERNEL),
                                  R(0x280000, 0x1000, RS, S1)};
    CHECK_ERR(norm(prec, 3), KEEL_OK);
    CHECK(out_count == 5);
    CHECK(out[1].type == K && out[1].size == 0x80000 && out[2].type == RS && out[3].type == K &&
          out[3].base == 0x281000);

    /* Ranges that end exactly at 2^64 are fine; ones that go past it wrap. */
    struct bi_mem_range top[] = {R(0x1000, 0x1000, U, S1), R(0xfffffffffffff800, 0x800, RS, S1)};
    CHECK_ERR(norm(top, 2), KEEL_OK);
    CHECK(out_count == 2 && out[1].base == 0xfffffffffffff000 && out[1].size == 0x1000);
    struct bi_mem_range wrap[] = {R(0x1000, 0x1000, U, S1), R(0xfffffffffffff800, 0x801, RS, S1)};
    CHECK_ERR(norm(wrap, 2), KEEL_E_MEM_WRAP);
    struct bi_mem_range top_usable[] = {R(0xffffffffffffe000, 0x2000, U, S1)};
    CHECK_ERR(norm(top_usable, 1), KEEL_OK);
    CHECK(out_count == 1 && out[0].size == 0x2000);

    /* A reserved range over the whole address space leaves nothing usable. */
    struct bi_mem_range all[] = {R(0x1000, 0x1000, U, S1), R(0, UINT64_MAX, RS, S1)};
    CHECK_ERR(norm(all, 2), KEEL_E_MEM_NO_USABLE);

    struct bi_mem_range zero[] = {R(0x1000, 0x1000, U, S1), R(0x5000, 0, RS, S1)};
    CHECK_ERR(norm(zero, 2), KEEL_E_MEM_ZERO_SIZE);
    struct bi_mem_range type0[] = {R(0x1000, 0x1000, 0, S1)};
    CHECK_ERR(norm(type0, 1), KEEL_E_MEM_TYPE);
    struct bi_mem_range type11[] = {R(0x1000, 0x1000, BI_MEM_TYPE_MAX + 1, S1)};
    CHECK_ERR(norm(type11, 1), KEEL_E_MEM_TYPE);

    struct bi_mem_range many[] = {R(0x1000, 0x1000, U, S1), R(0x3000, 0x1000, U, S1),
                                  R(0x5000, 0x1000, U, S1)};
    CHECK_ERR(memmap_normalise(many, 3, out, 2, &out_count), KEEL_E_MEM_TOO_MANY);
    CHECK_ERR(memmap_normalise(many, 3, out, 3, &out_count), KEEL_OK);
}

/* The model: the type and source of each page, straight from the definition. */
static void model(const struct bi_mem_range *in, size_t n, uint32_t *type, uint32_t *source)
{
    for (uint32_t p = 0; p < MODEL_PAGES; p++) {
        uint64_t lo = (uint64_t)p * PAGE, hi = lo + PAGE;
        type[p] = 0;
        source[p] = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t b = in[i].base, e = in[i].base + in[i].size;
            bool covers =
                in[i].type == BI_MEM_USABLE ? (p != 0 && b <= lo && hi <= e) : (b < hi && lo < e);
            if (covers &&
                (in[i].type > type[p] || (in[i].type == type[p] && in[i].source < source[p]))) {
                type[p] = in[i].type;
                source[p] = in[i].source;
            }
        }
    }
}

static void random_case(uint64_t *seed, bool *all_ok)
{
    struct bi_mem_range in[48];
    size_t n = 1 + test_rand(seed) % 40;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = test_rand(seed);
        /* Mostly usable RAM with a scatter of everything else, at odd alignments. */
        in[i].type = r % 3 == 0 ? (uint32_t)(1 + test_rand(seed) % BI_MEM_TYPE_MAX) : BI_MEM_USABLE;
        in[i].source = (uint32_t)(1 + test_rand(seed) % 3);
        uint64_t gran = (r >> 8) % 2 ? 1 : 512;
        in[i].base = (test_rand(seed) % (MODEL_PAGES * PAGE - 0x40000)) / gran * gran;
        in[i].size = 1 + test_rand(seed) % (in[i].type == BI_MEM_USABLE ? 0x40000 : 0x6000);
    }
    int err = norm(in, n);

    uint32_t type[MODEL_PAGES], source[MODEL_PAGES];
    model(in, n, type, source);
    bool any_usable = false;
    for (uint32_t p = 0; p < MODEL_PAGES; p++) {
        any_usable |= type[p] == BI_MEM_USABLE;
    }
    if (!any_usable) {
        CHECK_ERR(err, KEEL_E_MEM_NO_USABLE);
        return;
    }
    CHECK_ERR(err, KEEL_OK);
    if (err != KEEL_OK) {
        *all_ok = false;
        return;
    }

    /* Sorted, disjoint, merged, page-aligned, page 0 never usable. */
    for (size_t i = 0; i < out_count; i++) {
        CHECK(out[i].size != 0);
        CHECK(out[i].base % PAGE == 0 && out[i].size % PAGE == 0);
        CHECK(!(out[i].type == BI_MEM_USABLE && out[i].base == 0));
        if (i > 0) {
            uint64_t prev_end = out[i - 1].base + out[i - 1].size;
            CHECK(prev_end <= out[i].base);
            CHECK(!(prev_end == out[i].base && out[i - 1].type == out[i].type &&
                    out[i - 1].source == out[i].source));
        }
    }

    /* Page by page, the output is exactly the model. */
    uint32_t got_type[MODEL_PAGES], got_source[MODEL_PAGES];
    memset(got_type, 0, sizeof(got_type));
    memset(got_source, 0, sizeof(got_source));
    for (size_t i = 0; i < out_count; i++) {
        for (uint64_t a = out[i].base; a < out[i].base + out[i].size; a += PAGE) {
            CHECK(a / PAGE < MODEL_PAGES);
            if (a / PAGE < MODEL_PAGES) {
                got_type[a / PAGE] = out[i].type;
                got_source[a / PAGE] = out[i].source;
            }
        }
    }
    bool same = true;
    for (uint32_t p = 0; p < MODEL_PAGES; p++) {
        same &= got_type[p] == type[p] && got_source[p] == source[p];
    }
    CHECK(same);

    /* The two stated safety properties, checked on the inputs' own bytes. */
    for (size_t i = 0; i < n; i++) {
        if (in[i].type == BI_MEM_USABLE) {
            continue;
        }
        for (size_t j = 0; j < out_count; j++) {
            bool overlap =
                out[j].base < in[i].base + in[i].size && in[i].base < out[j].base + out[j].size;
            CHECK(!(overlap && out[j].type == BI_MEM_USABLE));
        }
    }
    for (size_t j = 0; j < out_count; j++) {
        if (out[j].type != BI_MEM_USABLE) {
            continue;
        }
        for (uint64_t a = out[j].base; a < out[j].base + out[j].size; a += PAGE) {
            bool from_usable = false;
            for (size_t i = 0; i < n && !from_usable; i++) {
                from_usable = in[i].type == BI_MEM_USABLE && in[i].base <= a &&
                              a + PAGE <= in[i].base + in[i].size;
            }
            CHECK(from_usable);
        }
    }

    /* The input order does not matter. */
    struct bi_mem_range saved[BI_MEM_MAX];
    size_t saved_count = out_count;
    memcpy(saved, out, sizeof(saved));
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = test_rand(seed) % (i + 1);
        struct bi_mem_range t = in[i];
        in[i] = in[j];
        in[j] = t;
    }
    CHECK_ERR(norm(in, n), KEEL_OK);
    CHECK(out_count == saved_count && memcmp(out, saved, saved_count * sizeof(out[0])) == 0);
}

/*
 * The overlap rule (keel/memmap.h), pair by pair, written out here again as the spec:
 * each pair of claimed types is tried sharing one byte (the rule's answer), touching
 * without sharing one (always allowed), and with usable RAM under both (no claim).
 */
static void overlap_rule(void)
{
    const uint32_t U = BI_MEM_USABLE, RS = BI_MEM_RESERVED;
    const uint32_t S1 = BI_SRC_MB2_MMAP, S2 = BI_SRC_FDT_MEMORY;
    enum { K, I, M, F, RSV, AR, AN, BD, N };
    static const uint32_t type_of[N] = {
        BI_MEM_KERNEL,   BI_MEM_BOOT_INFO,        BI_MEM_MODULE,   BI_MEM_FRAMEBUFFER,
        BI_MEM_RESERVED, BI_MEM_ACPI_RECLAIMABLE, BI_MEM_ACPI_NVS, BI_MEM_BAD};
    static const int kernel_row[N] = {KEEL_OK,
                                      KEEL_E_OVERLAP_INFO_KERNEL,
                                      KEEL_E_MODULE_OVERLAPS_KERNEL,
                                      KEEL_E_FB_PLACEMENT,
                                      KEEL_E_OVERLAP_KERNEL_RESERVED,
                                      KEEL_E_OVERLAP_KERNEL_RESERVED,
                                      KEEL_E_OVERLAP_KERNEL_RESERVED,
                                      KEEL_E_OVERLAP_KERNEL_RESERVED};
    static const int info_row[N] = {KEEL_E_OVERLAP_INFO_KERNEL,
                                    KEEL_OK,
                                    KEEL_E_OVERLAP_MODULE_INFO,
                                    KEEL_E_FB_PLACEMENT,
                                    KEEL_OK,
                                    KEEL_OK,
                                    KEEL_OK,
                                    KEEL_OK};
    static const int module_row[N] = {
        KEEL_E_MODULE_OVERLAPS_KERNEL,  KEEL_E_OVERLAP_MODULE_INFO,
        KEEL_E_OVERLAP_MODULES,         KEEL_E_FB_PLACEMENT,
        KEEL_E_OVERLAP_MODULE_RESERVED, KEEL_E_OVERLAP_MODULE_RESERVED,
        KEEL_E_OVERLAP_MODULE_RESERVED, KEEL_E_OVERLAP_MODULE_RESERVED};
    unsigned pairs = 0;

    for (int a = 0; a < N; a++) {
        for (int b = 0; b < N; b++) {
            int want = a == K   ? kernel_row[b]
                       : a == I ? info_row[b]
                       : a == M ? module_row[b]
                       : b == K ? kernel_row[a]
                       : b == I ? info_row[a]
                       : b == M ? module_row[a]
                                : KEEL_OK;
            if (a == b && (a == K || a == I)) {
                continue; /* there is one kernel image and one loader structure */
            }
            struct bi_mem_range share[] = {R(0x100000, 0x100000, U, S1),
                                           R(0x120000, 0x1001, type_of[a], S1),
                                           R(0x121000, 0x1000, type_of[b], S2)};
            struct bi_mem_range touch[] = {R(0x100000, 0x100000, U, S1),
                                           R(0x120000, 0x1000, type_of[a], S1),
                                           R(0x121000, 0x1000, type_of[b], S2)};
            CHECK_ERR(memmap_check_overlaps(share, 3), want);
            CHECK_ERR(memmap_check_overlaps(touch, 3), KEEL_OK);
            pairs++;
        }
    }
    CHECK(pairs == N * N - 2);
    /* Usable and bootloader-reclaimable RAM are no claims. */
    struct bi_mem_range ram[] = {R(0x100000, 0x100000, U, S1),
                                 R(0x100000, 0x100000, BI_MEM_BOOTLOADER_RECLAIMABLE, S2),
                                 R(0x100000, 0x1000, BI_MEM_KERNEL, S1)};
    CHECK_ERR(memmap_check_overlaps(ram, 3), KEEL_OK);
    /* A bad entry is named before any pair, even one the rule refuses. */
    struct bi_mem_range bad[] = {R(0x100000, 0x1000, BI_MEM_KERNEL, S1),
                                 R(0x100000, 0x1000, RS, S1),
                                 R(0xfffffffffffff000, 0x2000, RS, S1)};
    CHECK_ERR(memmap_check_overlaps(bad, 3), KEEL_E_MEM_WRAP);
}

int main(void)
{
    hand_cases();
    overlap_rule();
    bool all_ok = true;
    const uint64_t seeds[] = {1, 42, 0xdeadbeef, 0x123456789};
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        uint64_t seed = seeds[s];
        for (int i = 0; i < 2500; i++) {
            random_case(&seed, &all_ok);
        }
    }
    printf("10000 random cases, all %s\n", all_ok ? "normalised" : "NOT normalised");
    return test_finish("test_memmap");
}

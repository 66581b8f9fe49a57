/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the ACPI walk, with the input as physical memory and the RSDP at its
 * start. Each input is walked twice: as it is, and with its checksums repaired (the
 * RSDP's two, the root table's and every MADT's). A mutation almost always breaks a
 * checksum, and the walk stops there; the repaired copy lets it reach the checks behind.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/shim.h>

#include "acpi.h"

#define MEM_PA 0xe0000u

struct blob {
    const uint8_t *data;
    size_t len;
};

static const void *fuzz_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct blob *b = ctx;
    if (pa < MEM_PA || pa - MEM_PA > b->len || len > b->len - (pa - MEM_PA)) {
        return NULL;
    }
    return b->data + (pa - MEM_PA);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Sets the byte at `at` so that the `len` bytes at `t` sum to zero. */
static void fix_sum(uint8_t *t, uint32_t len, uint32_t at)
{
    uint8_t sum = 0;
    t[at] = 0;
    for (uint32_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + t[i]);
    }
    t[at] = (uint8_t)-sum;
}

/* The SDT at `pa` when all of its `length` bytes are in the blob, else NULL. */
static uint8_t *sdt_at(const struct blob *b, uint64_t pa, uint32_t *length)
{
    const uint8_t *h = fuzz_phys_ptr((void *)b, pa, 36);
    if (h == NULL || le32(h + 4) < 36 || le32(h + 4) > (1u << 20)) {
        return NULL;
    }
    *length = le32(h + 4);
    return (uint8_t *)fuzz_phys_ptr((void *)b, pa, *length);
}

/* Repairs the checksums the walk checks, innermost first (tables may share bytes). */
static void repair(struct blob *b, uint8_t *mem)
{
    if (b->len < 20) {
        return;
    }
    uint64_t root_pa = le32(mem + 16);
    uint32_t entry_size = 4;
    uint32_t rsdp_len = 0;
    if (mem[15] >= 2 && b->len >= 36 && le32(mem + 20) >= 36 && le32(mem + 20) <= b->len) {
        rsdp_len = le32(mem + 20);
        uint64_t xsdt = le32(mem + 24) | (uint64_t)le32(mem + 28) << 32;
        if (xsdt != 0) {
            root_pa = xsdt;
            entry_size = 8;
        }
    }
    uint32_t root_len;
    uint8_t *root = sdt_at(b, root_pa, &root_len);
    if (root != NULL) {
        for (uint32_t off = 36; off + entry_size <= root_len; off += entry_size) {
            uint64_t pa = le32(root + off);
            if (entry_size == 8) {
                pa |= (uint64_t)le32(root + off + 4) << 32;
            }
            uint32_t len;
            uint8_t *t = sdt_at(b, pa, &len);
            if (t != NULL && memcmp(t, "APIC", 4) == 0) {
                fix_sum(t, len, 9);
            }
        }
        fix_sum(root, root_len, 9);
    }
    fix_sum(mem, 20, 8);
    if (rsdp_len != 0) {
        fix_sum(mem, rsdp_len, 32);
    }
}

static void walk(const struct blob *b)
{
    static struct boot_info bi;
    struct shim_env env = {.phys_ptr = fuzz_phys_ptr, .ctx = (void *)b};
    memset(&bi, 0, sizeof(bi));
    (void)acpi_scan(MEM_PA, &env, &bi);
    if (bi.cpu_count > BI_CPU_MAX) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct blob b = {data, size};
    walk(&b);
    uint8_t *mem = malloc(size != 0 ? size : 1);
    memcpy(mem, data, size);
    struct blob fixed = {mem, size};
    repair(&fixed, mem);
    if (memcmp(mem, data, size) != 0) {
        walk(&fixed);
    }
    free(mem);
    return 0;
}

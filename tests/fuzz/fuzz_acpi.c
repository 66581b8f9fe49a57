/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the ACPI walk, with the input as physical memory and the RSDP at its start. */
#include <stddef.h>
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    struct blob b = {data, size};
    struct shim_env env = {.phys_ptr = fuzz_phys_ptr, .ctx = &b};
    memset(&bi, 0, sizeof(bi));
    (void)acpi_scan(MEM_PA, &env, &bi);
    if (bi.cpu_count > BI_CPU_MAX) {
        __builtin_trap();
    }
    return 0;
}

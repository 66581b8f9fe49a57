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
    /* The UEFI shims read the console from SPCR behind the same RSDP. */
    struct bi_console con;
    (void)acpi_spcr_console(MEM_PA, &env, &con);
    if (bi.cpu_count > BI_CPU_MAX || bi.cpu_total < bi.cpu_count) {
        __builtin_trap();
    }
    for (uint32_t i = 0; i < bi.cpu_count; i++) {
        for (uint32_t j = 0; j < i; j++) {
            if (bi.cpus[i].id == bi.cpus[j].id) {
                __builtin_trap(); /* each APIC ID once */
            }
        }
        if ((bi.cpus[i].flags & (BI_CPU_ENABLED | BI_CPU_ONLINE_CAPABLE)) == 0) {
            __builtin_trap(); /* a CPU with neither flag is not recorded */
        }
    }
    return 0;
}

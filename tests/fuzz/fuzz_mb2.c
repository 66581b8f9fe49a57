/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the multiboot2 parser and shim (and the ACPI walk behind its RSDP tag). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/shim.h>

#include "multiboot2.h"

#define INFO_PA 0x10000u

struct blob {
    const uint8_t *data;
    size_t len;
};

static const void *fuzz_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct blob *b = ctx;
    if (pa < INFO_PA || pa - INFO_PA > b->len || len > b->len - (pa - INFO_PA)) {
        return NULL;
    }
    return b->data + (pa - INFO_PA);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    /* The parser insists on 8-byte alignment; give it an aligned copy. */
    uint64_t *copy = malloc(size + 8);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    struct blob b = {(const uint8_t *)copy, size};
    struct shim_env env = {
        .kernel_base = 0x200000,
        .kernel_size = 0x100000,
        .phys_ptr = fuzz_phys_ptr,
        .ctx = &b,
    };
    (void)shim_multiboot2(MB2_BOOTLOADER_MAGIC, copy, INFO_PA, size, &env, &bi);

    struct mb2_info mb;
    /* What the loader passes in registers is fixed above; its two refusals, once each. */
    if (size == 0) {
        (void)shim_multiboot2(MB2_BOOTLOADER_MAGIC, copy, INFO_PA + 4, size, &env, &bi);
        (void)shim_multiboot2(MB2_BOOTLOADER_MAGIC + 1, copy, INFO_PA + 4, size, &env, &bi);
        (void)mb2_parse(MB2_BOOTLOADER_MAGIC + 1, copy, size, &mb);
        (void)mb2_parse(MB2_BOOTLOADER_MAGIC, (const uint8_t *)copy + 4, size, &mb);
    }
    if (mb2_parse(MB2_BOOTLOADER_MAGIC, copy, size, &mb) == 0) {
        struct mb2_module mod;
        struct mb2_mem_entry e;
        uint32_t cursor = 0;
        while (mb2_next_module(&mb, &cursor, &mod)) {
            (void)strlen(mod.cmdline);
        }
        for (uint32_t i = 0; i < mb.mmap_count; i++) {
            mb2_mmap_entry(&mb, i, &e);
        }
        struct efi_mem_desc d;
        for (uint32_t i = 0; i < mb.efi_mmap.count; i++) {
            efi_memmap_desc(&mb.efi_mmap, i, &d);
        }
    }
    free(copy);
    return 0;
}

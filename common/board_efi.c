/* SPDX-License-Identifier: MIT */
/* The board layer for a UEFI boot: the boot identity map from the firmware's map, the console. */
#include <stdint.h>

#include <keel/addr.h>
#include <keel/arch.h>
#include <keel/board.h>
#include <keel/efi.h>
#include <keel/errors.h>
#include <keel/init.h>
#include <keel/page_table.h>

#include "acpi.h"
#include "efi_memmap.h"

static const void *early_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    return arch_early_phys_ptr(pa, len);
}

/* [base, base + size) as Normal memory, whole pages, page 0 never. */
static int map_normal(uint64_t base, uint64_t size)
{
    uint64_t lo = base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t hi = (base + size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);

    lo = lo < PAGE_SIZE ? PAGE_SIZE : lo;
    if (size == 0 || hi <= lo || arch_early_phys_ptr(lo, hi - lo) != NULL) {
        return KEEL_OK;
    }
    return arch_early_map(lo, hi - lo, PT_MEM_NORMAL);
}

/* Whether the memory of an EFI type is RAM that Keel may read before its own tables. */
static bool is_ram(uint32_t efi_type)
{
    switch (efi_type) {
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_BOOT_SERVICES_CODE:
    case EFI_BOOT_SERVICES_DATA:
    case EFI_RUNTIME_SERVICES_CODE:
    case EFI_RUNTIME_SERVICES_DATA:
    case EFI_CONVENTIONAL_MEMORY:
    case EFI_ACPI_RECLAIM_MEMORY:
    case EFI_ACPI_MEMORY_NVS:
        return true;
    default:
        return false;
    }
}

/*
 * RAM from the memory map ExitBootServices accepted, its buffer first. A range the arch
 * cannot map early (KEEL_E_BOOT_MAP_RANGE: x86_64 above 4 GiB) is not reachable before
 * the switch, as on every other door of that arch; a full pool is one warning.
 */
static void map_ram(const struct efi_handoff *h)
{
    struct efi_memmap m;
    uint32_t missed = 0;

    if (map_normal(h->memmap_pa, h->memmap_size) != KEEL_OK) {
        return;
    }
    const void *map = arch_early_phys_ptr(h->memmap_pa, h->memmap_size);
    if (map == NULL || efi_memmap_parse(map, h->memmap_size, h->descriptor_size,
                                        h->descriptor_version, &m) != KEEL_OK) {
        return; /* the shim reports the map */
    }
    for (uint32_t i = 0; i < m.count; i++) {
        struct efi_mem_desc d;
        efi_memmap_desc(&m, i, &d);
        if (is_ram(d.type) && map_normal(d.base, d.size) == KEEL_E_BOOT_MAP_FULL) {
            missed++;
        }
    }
    if (missed != 0) {
        kprintf("keel: warning: %s; %u memory ranges of the EFI map are not reachable before "
                "the switch\n",
                keel_strerror(KEEL_E_BOOT_MAP_FULL), (unsigned)missed);
    }
}

void board_efi_setup(uint64_t handoff_pa)
{
    const struct efi_handoff *h = arch_early_phys_ptr(handoff_pa, sizeof(*h));
    struct shim_env env = {.phys_ptr = early_phys_ptr};
    struct bi_console spcr;

    if (h == NULL || h->magic != EFI_HANDOFF_MAGIC) {
        return;
    }
    map_ram(h);
    /* The GOP's framebuffer, which firmware keeps in memory of its own (AAVMF: reserved). */
    if (h->gop_present != 0 && h->gop_base != 0 && h->gop_size != 0 &&
        arch_early_phys_ptr(h->gop_base, h->gop_size) == NULL) {
        uint64_t lo = h->gop_base & ~(uint64_t)(PAGE_SIZE - 1);
        uint64_t hi = (h->gop_base + h->gop_size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
        (void)arch_early_map(lo, hi - lo, PT_MEM_WC);
    }
    if (h->dtb != 0) {
        board_early_devices(h->dtb);
    } else if (h->rsdp != 0 && acpi_spcr_console(h->rsdp, &env, &spcr) == KEEL_OK &&
               spcr.kind != BI_CONSOLE_NONE) {
        board_early_start_uart(&spcr);
    }
}

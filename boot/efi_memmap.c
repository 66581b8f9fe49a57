/* SPDX-License-Identifier: MIT */
/* The UEFI memory map: the checks of the whole map, the walker and the one type table. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/efi.h>
#include <keel/errors.h>

#include "bytes.h"
#include "efi_memmap.h"

#define EFI_PAGE_SHIFT 12u
#define DESC_TYPE 0u
#define DESC_PHYSICAL 8u
#define DESC_PAGES 24u

static const uint8_t type_table[] = {
    [EFI_RESERVED_MEMORY] = BI_MEM_RESERVED,
    [EFI_LOADER_CODE] = BI_MEM_BOOTLOADER_RECLAIMABLE,
    [EFI_LOADER_DATA] = BI_MEM_BOOTLOADER_RECLAIMABLE,
    [EFI_BOOT_SERVICES_CODE] = BI_MEM_USABLE,
    [EFI_BOOT_SERVICES_DATA] = BI_MEM_USABLE,
    [EFI_RUNTIME_SERVICES_CODE] = BI_MEM_EFI_RUNTIME,
    [EFI_RUNTIME_SERVICES_DATA] = BI_MEM_EFI_RUNTIME,
    [EFI_CONVENTIONAL_MEMORY] = BI_MEM_USABLE,
    [EFI_UNUSABLE_MEMORY] = BI_MEM_BAD,
    [EFI_ACPI_RECLAIM_MEMORY] = BI_MEM_ACPI_RECLAIMABLE,
    [EFI_ACPI_MEMORY_NVS] = BI_MEM_ACPI_NVS,
    [EFI_MEMORY_MAPPED_IO] = BI_MEM_RESERVED,
    [EFI_MEMORY_MAPPED_IO_PORT_SPACE] = BI_MEM_RESERVED,
    [EFI_PAL_CODE] = BI_MEM_RESERVED,
    [EFI_PERSISTENT_MEMORY] = BI_MEM_RESERVED,
    [EFI_UNACCEPTED_MEMORY] = BI_MEM_RESERVED,
};

uint32_t efi_memmap_type(uint32_t efi_type)
{
    return efi_type < sizeof(type_table) ? type_table[efi_type] : BI_MEM_RESERVED;
}

void efi_memmap_desc(const struct efi_memmap *m, uint32_t index, struct efi_mem_desc *d)
{
    const uint8_t *p = m->map + (size_t)index * m->desc_size;
    d->type = load_le32(p + DESC_TYPE);
    d->base = load_le64(p + DESC_PHYSICAL);
    d->size = load_le64(p + DESC_PAGES) << EFI_PAGE_SHIFT;
}

/* Whether the descriptors [a] and [b] (checked: non-empty, no wrap) share a byte. */
static bool overlap(const struct efi_mem_desc *a, const struct efi_mem_desc *b)
{
    return a->base <= b->base + (b->size - 1) && b->base <= a->base + (a->size - 1);
}

/*
 * Firmware maps are sorted in practice, and in a sorted map an overlap shows between
 * neighbours, so that case costs one pass; an unsorted map is checked pair by pair
 * (4096 descriptors at most).
 */
static int check_overlaps(const struct efi_memmap *m)
{
    struct efi_mem_desc a;
    struct efi_mem_desc b;
    bool sorted = true;
    for (uint32_t i = 1; i < m->count && sorted; i++) {
        efi_memmap_desc(m, i - 1, &a);
        efi_memmap_desc(m, i, &b);
        if (b.base < a.base) {
            sorted = false;
        } else if (overlap(&a, &b)) {
            return KEEL_E_EFI_OVERLAP;
        }
    }
    for (uint32_t i = 0; i < m->count && !sorted; i++) {
        efi_memmap_desc(m, i, &a);
        for (uint32_t j = i + 1; j < m->count; j++) {
            efi_memmap_desc(m, j, &b);
            if (overlap(&a, &b)) {
                return KEEL_E_EFI_OVERLAP;
            }
        }
    }
    return KEEL_OK;
}

int efi_memmap_parse(const void *map, uint64_t size, uint64_t desc_size, uint32_t desc_version,
                     struct efi_memmap *out)
{
    memset(out, 0, sizeof(*out));
    if (desc_size < EFI_MEMMAP_MIN_DESC || desc_size % 8 != 0) {
        return KEEL_E_EFI_DESC_SIZE;
    }
    if (desc_version != EFI_MEMORY_DESCRIPTOR_VERSION) {
        return KEEL_E_EFI_DESC_VERSION;
    }
    if (size % desc_size != 0) {
        return KEEL_E_EFI_MAP_PARTIAL;
    }
    if (size == 0) {
        return KEEL_E_EFI_MAP_EMPTY;
    }
    if (size / desc_size > EFI_MEMMAP_MAX_DESC) {
        return KEEL_E_EFI_MAP_TOO_MANY;
    }
    if (map == NULL) {
        return KEEL_E_EFI_UNREACHABLE;
    }
    out->map = map;
    out->desc_size = desc_size;
    out->count = (uint32_t)(size / desc_size);
    for (uint32_t i = 0; i < out->count; i++) {
        const uint8_t *p = out->map + (size_t)i * desc_size;
        uint64_t pages = load_le64(p + DESC_PAGES);
        uint64_t base = load_le64(p + DESC_PHYSICAL);
        if (pages == 0) {
            return KEEL_E_MEM_ZERO_SIZE;
        }
        if (pages > (UINT64_MAX >> EFI_PAGE_SHIFT) ||
            (pages << EFI_PAGE_SHIFT) - 1 > UINT64_MAX - base) {
            return KEEL_E_EFI_PAGES;
        }
    }
    return check_overlaps(out);
}

int efi_memmap_add(const struct efi_memmap *m, struct shim_ranges *rs, uint32_t source)
{
    struct efi_mem_desc d;
    int err = KEEL_OK;
    for (uint32_t i = 0; i < m->count && err == KEEL_OK; i++) {
        efi_memmap_desc(m, i, &d);
        err = shim_add_range(rs, d.base, d.size, efi_memmap_type(d.type), source);
    }
    return err;
}

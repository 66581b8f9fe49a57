/* SPDX-License-Identifier: MIT */
/* The EFI memory-map parser: its checks one by one, its walker and the one type table. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/efi.h>
#include <keel/errors.h>

#include "efi_memmap.h"
#include "multiboot2.h"
#include "test_util.h"

#define DESC 48u /* what OVMF and AAVMF report */
#define MAX_DESCS (EFI_MEMMAP_MAX_DESC + 1)

static uint8_t map[MAX_DESCS * DESC];

static void put_desc(uint32_t stride, uint32_t i, uint32_t type, uint64_t base, uint64_t pages)
{
    uint8_t *p = map + (size_t)i * stride;
    memset(p, 0, stride);
    memcpy(p, &type, 4); /* the host tests run on little-endian machines */
    memcpy(p + 8, &base, 8);
    memcpy(p + 16, &base, 8); /* VirtualStart: unused by Keel */
    memcpy(p + 24, &pages, 8);
}

/* `count` descriptors of one page each, every other page, sorted. */
static void sparse_map(uint32_t stride, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        put_desc(stride, i, EFI_CONVENTIONAL_MEMORY, (uint64_t)(2 * i + 1) * EFI_PAGE_SIZE, 1);
    }
}

static int parse(uint32_t stride, uint32_t count, uint32_t version, struct efi_memmap *m)
{
    return efi_memmap_parse(map, (uint64_t)count * stride, stride, version, m);
}

static void good_maps(void)
{
    struct efi_memmap m;
    struct efi_mem_desc d;

    /* The stride is DescriptorSize, never the 40 bytes of the structure. */
    put_desc(DESC, 0, EFI_BOOT_SERVICES_CODE, 0, 1);
    put_desc(DESC, 1, EFI_LOADER_DATA, 0x1000, 0x8d);
    put_desc(DESC, 2, EFI_RUNTIME_SERVICES_DATA, 0x1eaa0000, 0x102);
    CHECK_ERR(parse(DESC, 3, 1, &m), KEEL_OK);
    CHECK(m.count == 3 && m.desc_size == DESC);
    efi_memmap_desc(&m, 2, &d);
    CHECK(d.type == EFI_RUNTIME_SERVICES_DATA && d.base == 0x1eaa0000 && d.size == 0x102000);
    efi_memmap_desc(&m, 1, &d);
    CHECK(d.type == EFI_LOADER_DATA && d.base == 0x1000 && d.size == 0x8d000);
    for (uint32_t stride = 40; stride <= 128; stride += 8) {
        sparse_map(stride, 10);
        CHECK_ERR(parse(stride, 10, 1, &m), KEEL_OK);
        efi_memmap_desc(&m, 9, &d);
        CHECK(m.count == 10 && d.base == 19 * EFI_PAGE_SIZE && d.size == EFI_PAGE_SIZE);
    }
    /* A descriptor ending exactly at 2^64, touching neighbours, an unsorted map. */
    put_desc(DESC, 0, EFI_RESERVED_MEMORY, UINT64_MAX - 0xfff, 1);
    put_desc(DESC, 1, EFI_CONVENTIONAL_MEMORY, 0x2000, 2);
    put_desc(DESC, 2, EFI_CONVENTIONAL_MEMORY, 0x1000, 1);
    put_desc(DESC, 3, EFI_CONVENTIONAL_MEMORY, 0x4000, 1);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_OK);
    /* Exactly 4096 descriptors. */
    sparse_map(DESC, EFI_MEMMAP_MAX_DESC);
    CHECK_ERR(parse(DESC, EFI_MEMMAP_MAX_DESC, 1, &m), KEEL_OK);
    CHECK(m.count == EFI_MEMMAP_MAX_DESC);
}

static void bad_maps(void)
{
    struct efi_memmap m;

    sparse_map(DESC, 4);
    CHECK_ERR(parse(32, 4, 1, &m), KEEL_E_EFI_DESC_SIZE);
    CHECK_ERR(parse(0, 4, 1, &m), KEEL_E_EFI_DESC_SIZE);
    CHECK_ERR(efi_memmap_parse(map, 4 * 44, 44, 1, &m), KEEL_E_EFI_DESC_SIZE);
    CHECK_ERR(efi_memmap_parse(map, 4 * 52, 52, 1, &m), KEEL_E_EFI_DESC_SIZE);
    CHECK_ERR(parse(DESC, 4, 2, &m), KEEL_E_EFI_DESC_VERSION);
    CHECK_ERR(parse(DESC, 4, 0, &m), KEEL_E_EFI_DESC_VERSION);
    CHECK_ERR(efi_memmap_parse(map, 4 * DESC - 8, DESC, 1, &m), KEEL_E_EFI_MAP_PARTIAL);
    CHECK_ERR(efi_memmap_parse(map, 40, DESC, 1, &m), KEEL_E_EFI_MAP_PARTIAL);
    CHECK_ERR(parse(DESC, 0, 1, &m), KEEL_E_EFI_MAP_EMPTY);
    CHECK_ERR(efi_memmap_parse(NULL, 4 * DESC, DESC, 1, &m), KEEL_E_EFI_UNREACHABLE);
    sparse_map(DESC, MAX_DESCS);
    CHECK_ERR(parse(DESC, MAX_DESCS, 1, &m), KEEL_E_EFI_MAP_TOO_MANY);
    CHECK_ERR(efi_memmap_parse(map, UINT64_MAX - UINT64_MAX % DESC, DESC, 1, &m),
              KEEL_E_EFI_MAP_TOO_MANY);

    sparse_map(DESC, 4);
    put_desc(DESC, 2, EFI_CONVENTIONAL_MEMORY, 0x100000, 0);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_MEM_ZERO_SIZE);
    put_desc(DESC, 2, EFI_CONVENTIONAL_MEMORY, 0x100000, UINT64_C(1) << 52);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_PAGES);
    put_desc(DESC, 2, EFI_CONVENTIONAL_MEMORY, 0, UINT64_MAX);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_PAGES);
    put_desc(DESC, 2, EFI_CONVENTIONAL_MEMORY, UINT64_MAX - 0xfff, 2);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_PAGES);

    /* Overlaps: neighbours in a sorted map, and the first and last of an unsorted one. */
    sparse_map(DESC, 4);
    put_desc(DESC, 1, EFI_CONVENTIONAL_MEMORY, 0x1000, 2);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_OVERLAP);
    sparse_map(DESC, 4);
    put_desc(DESC, 0, EFI_CONVENTIONAL_MEMORY, 0x7000, 1);
    put_desc(DESC, 3, EFI_CONVENTIONAL_MEMORY, 0x6000, 2);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_OVERLAP);
    put_desc(DESC, 3, EFI_CONVENTIONAL_MEMORY, 0x6000, 1);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_OK);
    /* A descriptor inside another, and two with the same base. */
    sparse_map(DESC, 4);
    put_desc(DESC, 0, EFI_CONVENTIONAL_MEMORY, 0x1000, 0x100);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_OVERLAP);
    put_desc(DESC, 0, EFI_CONVENTIONAL_MEMORY, 0x3000, 1);
    CHECK_ERR(parse(DESC, 4, 1, &m), KEEL_E_EFI_OVERLAP);
}

static void types(void)
{
    static const struct {
        uint32_t efi;
        uint32_t bi;
    } table[] = {
        {EFI_RESERVED_MEMORY, BI_MEM_RESERVED},
        {EFI_LOADER_CODE, BI_MEM_BOOTLOADER_RECLAIMABLE},
        {EFI_LOADER_DATA, BI_MEM_BOOTLOADER_RECLAIMABLE},
        {EFI_BOOT_SERVICES_CODE, BI_MEM_USABLE},
        {EFI_BOOT_SERVICES_DATA, BI_MEM_USABLE},
        {EFI_RUNTIME_SERVICES_CODE, BI_MEM_EFI_RUNTIME},
        {EFI_RUNTIME_SERVICES_DATA, BI_MEM_EFI_RUNTIME},
        {EFI_CONVENTIONAL_MEMORY, BI_MEM_USABLE},
        {EFI_UNUSABLE_MEMORY, BI_MEM_BAD},
        {EFI_ACPI_RECLAIM_MEMORY, BI_MEM_ACPI_RECLAIMABLE},
        {EFI_ACPI_MEMORY_NVS, BI_MEM_ACPI_NVS},
        {EFI_MEMORY_MAPPED_IO, BI_MEM_RESERVED},
        {EFI_MEMORY_MAPPED_IO_PORT_SPACE, BI_MEM_RESERVED},
        {EFI_PAL_CODE, BI_MEM_RESERVED},
        {EFI_PERSISTENT_MEMORY, BI_MEM_RESERVED},
        {EFI_UNACCEPTED_MEMORY, BI_MEM_RESERVED},
        {16, BI_MEM_RESERVED},
        {0x70000000, BI_MEM_RESERVED}, /* the OEM range */
        {0x80000000, BI_MEM_RESERVED}, /* the OS-vendor range */
        {UINT32_MAX, BI_MEM_RESERVED},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (efi_memmap_type(table[i].efi) != table[i].bi) {
            fprintf(stderr, "EFI type %u\n", (unsigned)table[i].efi);
        }
        CHECK(efi_memmap_type(table[i].efi) == table[i].bi);
    }
    CHECK(strcmp(bi_mem_type_name(BI_MEM_EFI_RUNTIME), "efi_runtime") == 0);
}

/* The EFI map of a multiboot2 fixture from GRUB EFI on OVMF: parsed, walked, its types. */
static void real_map(const char *path)
{
    size_t size;
    uint8_t *raw = test_read_file(path, &size);
    uint64_t *aligned = calloc(1, size + 8);
    memcpy(aligned, raw, size);
    free(raw);
    struct mb2_info mb;
    CHECK_ERR(mb2_parse(MB2_BOOTLOADER_MAGIC, aligned, size, &mb), KEEL_OK);
    const uint8_t *efi = mb.efi_mmap.map;
    uint64_t efi_size = (uint64_t)mb.efi_mmap.count * mb.efi_mmap.desc_size;
    struct efi_memmap m;
    CHECK_ERR(efi_memmap_parse(efi, efi_size, mb.efi_mmap.desc_size, 1, &m), KEEL_OK);
    CHECK(m.desc_size == DESC);
    uint64_t bytes[BI_MEM_TYPE_MAX + 1] = {0};
    struct efi_mem_desc d;
    for (uint32_t i = 0; i < m.count; i++) {
        efi_memmap_desc(&m, i, &d);
        bytes[efi_memmap_type(d.type)] += d.size;
    }
    printf("%s: %u descriptors, %llu MiB usable, %llu KiB runtime\n", path, m.count,
           (unsigned long long)(bytes[BI_MEM_USABLE] >> 20),
           (unsigned long long)(bytes[BI_MEM_EFI_RUNTIME] >> 10));
    CHECK(m.count > 100);
    CHECK(bytes[BI_MEM_USABLE] > (UINT64_C(256) << 20));
    CHECK(bytes[BI_MEM_EFI_RUNTIME] > 0 && bytes[BI_MEM_BOOTLOADER_RECLAIMABLE] > 0);
    CHECK(bytes[BI_MEM_ACPI_RECLAIMABLE] > 0 && bytes[BI_MEM_ACPI_NVS] > 0);
    /* Every length that is not a whole number of descriptors is refused. */
    for (uint64_t len = 1; len < efi_size; len += 7) {
        int err = efi_memmap_parse(efi, len, DESC, 1, &m);
        CHECK(len % DESC == 0 ? err == KEEL_OK : err == KEEL_E_EFI_MAP_PARTIAL);
    }
    free(aligned);
}

int main(int argc, char **argv)
{
    good_maps();
    bad_maps();
    types();
    for (int i = 1; i < argc; i++) {
        real_map(argv[i]);
    }
    return test_finish("test_efi_memmap");
}

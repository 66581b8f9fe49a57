/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the EFI memory-map parser. The input is DescriptorSize and
 * DescriptorVersion (u32 each, little-endian) and then the map's bytes, as GetMemoryMap
 * returns them (the seeds are OVMF's maps from the GRUB EFI fixtures). A map the parser
 * accepts must keep its promises, and then goes through the normaliser as a shim's would.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/memmap.h>

#include "efi_memmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bi_mem_range out[BI_MEM_MAX];
    if (size == 0) {
        /* Two refusals no input reaches: more descriptors than libFuzzer's -max_len
         * holds, and a map out of reach (the UEFI shim passes NULL when phys_ptr finds no
         * mapping for it). */
        static uint8_t many[(EFI_MEMMAP_MAX_DESC + 1) * EFI_MEMMAP_MIN_DESC];
        struct efi_memmap m;
        if (efi_memmap_parse(many, sizeof(many), EFI_MEMMAP_MIN_DESC, 1, &m) !=
                KEEL_E_EFI_MAP_TOO_MANY ||
            efi_memmap_parse(NULL, EFI_MEMMAP_MIN_DESC, EFI_MEMMAP_MIN_DESC, 1, &m) !=
                KEEL_E_EFI_UNREACHABLE) {
            abort();
        }
    }
    if (size < 8) {
        return 0;
    }
    uint32_t desc_size;
    uint32_t version;
    memcpy(&desc_size, data, 4);
    memcpy(&version, data + 4, 4);
    /* A copy of exactly the map's bytes, so that ASan sees any read past its end. */
    size_t len = size - 8;
    uint8_t *map = malloc(len != 0 ? len : 1);
    memcpy(map, data + 8, len);

    struct efi_memmap m;
    if (efi_memmap_parse(map, len, desc_size, version, &m) == KEEL_OK) {
        if (m.count == 0 || m.count > EFI_MEMMAP_MAX_DESC || m.desc_size < EFI_MEMMAP_MIN_DESC ||
            (uint64_t)m.count * m.desc_size != len) {
            abort();
        }
        struct efi_mem_desc a;
        struct efi_mem_desc b;
        for (uint32_t i = 0; i < m.count; i++) {
            efi_memmap_desc(&m, i, &a);
            uint32_t t = efi_memmap_type(a.type);
            if (a.size == 0 || a.size - 1 > UINT64_MAX - a.base || t < BI_MEM_USABLE ||
                t > BI_MEM_TYPE_MAX) {
                abort();
            }
            for (uint32_t j = i + 1; j < m.count && m.count <= 256; j++) {
                efi_memmap_desc(&m, j, &b);
                if (a.base <= b.base + (b.size - 1) && b.base <= a.base + (a.size - 1)) {
                    abort(); /* an overlap the parser let through */
                }
            }
        }
        struct shim_ranges rs;
        size_t count;
        shim_ranges_init(&rs);
        if (efi_memmap_add(&m, &rs, BI_SRC_EFI_MMAP) != KEEL_OK ||
            memmap_check_overlaps(rs.range, rs.count) != KEEL_OK) {
            abort(); /* descriptors that passed are valid, firmware-only ranges */
        }
        (void)memmap_normalise(rs.range, rs.count, out, BI_MEM_MAX, &count);
        /* The shims add other ranges first, so the scratch array can be full; a fresh one
         * holds every map the parser accepts. Half the slots the map needs: */
        shim_ranges_init(&rs);
        rs.cap = m.count / 2;
        if (efi_memmap_add(&m, &rs, BI_SRC_EFI_MMAP) != KEEL_E_MEM_TOO_MANY) {
            abort();
        }
    }
    free(map);
    return 0;
}

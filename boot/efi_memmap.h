/* SPDX-License-Identifier: MIT */
/* The UEFI memory map (GetMemoryMap's result): checked as a whole, then walked by its stride. */
#ifndef KEEL_BOOT_EFI_MEMMAP_H
#define KEEL_BOOT_EFI_MEMMAP_H

#include <stdint.h>

#include "shim_internal.h"

#define EFI_MEMMAP_MIN_DESC 40u   /* type, pad, physical, virtual, pages, attribute */
#define EFI_MEMMAP_MAX_DESC 4096u /* a real map holds a few hundred; more is refused */

/* A map that passed efi_memmap_parse: `count` descriptors of `desc_size` bytes at `map`. */
struct efi_memmap {
    const uint8_t *map;
    uint64_t desc_size;
    uint32_t count;
};

/* One descriptor as a byte range, with its raw EFI memory type. */
struct efi_mem_desc {
    uint32_t type; /* enum efi_memory_type, or any value a firmware put there */
    uint64_t base;
    uint64_t size; /* NumberOfPages x 4 KiB, > 0 */
};

/*
 * Checks the map of `size` bytes at `map`, as GetMemoryMap described it: DescriptorSize
 * (`desc_size`) at least 40 and a multiple of 8 (firmware pads: OVMF and AAVMF report
 * 48), DescriptorVersion 1, a whole number of descriptors, 1 to 4096 of them, every
 * NumberOfPages non-zero and x 4 KiB inside the address space, and no two descriptors
 * sharing a page. Returns KEEL_OK or the rule's own KEEL_E_EFI_* error
 * (KEEL_E_MEM_ZERO_SIZE for a descriptor of zero pages). Reads only [map, map + size).
 */
int efi_memmap_parse(const void *map, uint64_t size, uint64_t desc_size, uint32_t desc_version,
                     struct efi_memmap *out);

/* Descriptor `index` (< count) of a parsed map. */
void efi_memmap_desc(const struct efi_memmap *m, uint32_t index, struct efi_mem_desc *d);

/*
 * The boot_info type of an EFI memory type, the one table both shims use: conventional
 * and boot-services memory are usable once ExitBootServices has run; loader code and
 * data are bootloader-reclaimable (the kernel, its modules and the loader's structure
 * lying there keep their own types, which outrank it); runtime-services code and data
 * are BI_MEM_EFI_RUNTIME; ACPI reclaim and NVS keep their ACPI types; unusable memory
 * is bad; MMIO, port space, PAL code, persistent, unaccepted, reserved and any unknown
 * type are reserved.
 */
uint32_t efi_memmap_type(uint32_t efi_type);

/* Adds every descriptor of a parsed map to `rs` with its boot_info type and `source`. */
int efi_memmap_add(const struct efi_memmap *m, struct shim_ranges *rs, uint32_t source);

#endif

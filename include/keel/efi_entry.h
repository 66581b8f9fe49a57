/* SPDX-License-Identifier: MIT */
/* Keel's EFI entry, arch-neutral: from the firmware's handles to a complete handoff. */
#ifndef KEEL_EFI_ENTRY_H
#define KEEL_EFI_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/efi.h>

/* ExitBootServices calls before the entry gives up: the map may change between two calls. */
#define EFI_EXIT_ATTEMPTS_MAX 8u

/*
 * Keel's own EFI application (common/efi_entry.c). In order: the loaded image and its
 * LoadOptions, keel.cfg and the module files from the volume the image came from, the
 * GOP's current mode, the ACPI RSDP and DTB from the configuration table, then
 * GetMemoryMap and ExitBootServices. Called by the arch's EFI entry on the firmware's
 * stack and identity map, with the kernel mapped at its link address.
 *
 * Returns KEEL_OK with boot services over and *out the handoff for the UEFI shim. On an
 * error *gone says whether ExitBootServices has been called: if not, the error line has
 * been printed on the firmware's console and the caller goes back to the firmware; if
 * so, nothing can print it yet, and the caller hands it to keel_main
 * (keel_entry.error).
 */
int efi_boot(efi_handle image, struct efi_system_table *st, struct efi_handoff **out, bool *gone);

/*
 * GRUB's multiboot2 with boot services kept (the header's EFI boot services tag): the
 * information structure at `mbi_pa` names the system table and GRUB's image handle
 * but holds no memory map. Keel calls GetMemoryMap and ExitBootServices itself and
 * makes a copy of the structure with the EFI memory map tag (17) added, the tag GRUB
 * adds when it leaves boot services itself; *out_pa is the copy, for the multiboot2
 * shim. Errors as efi_boot's; before ExitBootServices they are printed when the
 * structure named a valid system table.
 */
int efi_mb2_boot(uint32_t magic, uint64_t mbi_pa, uint64_t *out_pa, bool *gone);

#endif

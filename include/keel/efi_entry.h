/* SPDX-License-Identifier: MIT */
/* Keel's EFI entry, arch-neutral: from the firmware's handles to a complete handoff. */
#ifndef KEEL_EFI_ENTRY_H
#define KEEL_EFI_ENTRY_H

#include <keel/efi.h>

/* ExitBootServices calls before the entry gives up: the map may change between two calls. */
#define EFI_EXIT_ATTEMPTS_MAX 8u

/*
 * Everything Keel asks of the firmware (common/efi_entry.c), in order: the loaded
 * image and its LoadOptions, keel.cfg and the module files from the volume the image
 * came from, the GOP's current mode, the ACPI RSDP and DTB from the configuration
 * table, then GetMemoryMap and ExitBootServices. Called by the arch's EFI entry on the
 * firmware's stack and identity map, with the kernel mapped at its link address.
 *
 * On KEEL_OK boot services are over, and *out is the handoff for the UEFI shim (its
 * entry_error may still hold an error met after ExitBootServices was first called).
 * Any other return means the boot services are still running: the error line has been
 * printed on the firmware's console, and the caller goes back to the firmware.
 */
int efi_boot(efi_handle image, struct efi_system_table *st, struct efi_handoff **out);

#endif

/* SPDX-License-Identifier: MIT */
/* ACPI table walk that the multiboot2 shim uses to find and count the CPUs in the MADT. */
#ifndef KEEL_BOOT_ACPI_H
#define KEEL_BOOT_ACPI_H

#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/shim.h>

/*
 * From the RSDP at physical `rsdp_pa`, follows the XSDT (revision >= 2) or the RSDT
 * to the MADT and records the enabled or online-capable Local APIC and x2APIC IDs in
 * bi->cpu_ids (at most BI_CPU_MAX; duplicates once), bi->cpu_count and
 * bi->cpu_method = BI_CPU_METHOD_ACPI_MADT. Every table it reads is checked for
 * signature, length and checksum. When env->phys_ptr cannot reach a table the CPU
 * count stays 0 (unknown) and the call succeeds. Sets bi->rsdp_revision.
 * Returns KEEL_OK, KEEL_E_ACPI_RSDP or KEEL_E_ACPI_TABLE.
 */
int acpi_scan(uint64_t rsdp_pa, const struct shim_env *env, struct boot_info *bi);

/*
 * The console the SPCR table names (a PL011 or an SBSA UART, a 16550 in MMIO or port
 * space): *out kind NONE when there is no SPCR, or one naming a UART Keel has no driver
 * for. A table that is not well formed is its error.
 */
int acpi_spcr_console(uint64_t rsdp_pa, const struct shim_env *env, struct bi_console *out);

#endif

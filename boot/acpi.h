/* SPDX-License-Identifier: MIT */
/* ACPI table walk that the multiboot2 and UEFI shims use to find the CPUs in the MADT. */
#ifndef KEEL_BOOT_ACPI_H
#define KEEL_BOOT_ACPI_H

#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/shim.h>

/*
 * From the RSDP at physical `rsdp_pa`, follows the XSDT (revision >= 2) or the RSDT
 * to the MADT and records its CPUs in bi->cpus (boot/cpus.h): every Local APIC and
 * Local x2APIC entry that is Enabled (BI_CPU_ENABLED) or Online Capable
 * (BI_CPU_ONLINE_CAPABLE, with error KEEL_E_CPU_DISABLED: not started), each APIC ID
 * once, method BI_CPU_METHOD_ACPI_MADT; entries with neither flag, and Local APIC ID
 * 0xff, are skipped. bi->intc_base gets the local APIC's base (the Local APIC Address
 * Override entry's when there is one). Every table it reads is checked for signature,
 * length and checksum, and every entry for the length of its type. When env->phys_ptr
 * cannot reach a table no CPU is recorded and the call succeeds. Sets
 * bi->rsdp_revision. Returns KEEL_OK, KEEL_E_ACPI_RSDP or KEEL_E_ACPI_TABLE.
 */
int acpi_scan(uint64_t rsdp_pa, const struct shim_env *env, struct boot_info *bi);

/*
 * The console the SPCR table names (a PL011 or an SBSA UART, a 16550 in MMIO or port
 * space): *out kind NONE when there is no SPCR, or one naming a UART Keel has no driver
 * for. A table that is not well formed is its error.
 */
int acpi_spcr_console(uint64_t rsdp_pa, const struct shim_env *env, struct bi_console *out);

#endif

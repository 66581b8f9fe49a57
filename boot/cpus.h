/* SPDX-License-Identifier: MIT */
/* The boot_info's CPU records, as the MADT reader and the /cpus reader fill them. */
#ifndef KEEL_BOOT_CPUS_H
#define KEEL_BOOT_CPUS_H

#include <stdint.h>

#include <keel/boot_info.h>

struct fdt;

/*
 * Records a CPU with hardware id `id`. A second record of an id already in cpus[] is
 * dropped (the MADT may list a CPU both as Local APIC and as x2APIC); a CPU past
 * BI_CPU_MAX is only counted in cpu_total. The machine's cpu_method is the first one
 * that is not NONE. Returns the record, or NULL when it was not kept.
 */
struct bi_cpu *cpus_add(struct boot_info *bi, uint64_t id, uint32_t method, uint32_t flags);

/*
 * After the loader's list is read: finds the boot CPU (the record whose id is
 * `boot_cpu_id`, wherever it sits) and marks it BI_CPU_BOOT in boot_cpu. A loader that
 * lists no CPUs gets the boot CPU as its one record; a list without it gets it added,
 * in the last slot when cpus[] is full, and cpu_error = KEEL_E_CPU_BOOT_UNLISTED.
 */
void cpus_finish(struct boot_info *bi, uint64_t boot_cpu_id);

/* CPUs the firmware described that cpus[] had no room for. */
static inline uint32_t cpus_left_out(const struct boot_info *bi)
{
    return bi->cpu_total > bi->cpu_count ? bi->cpu_total - bi->cpu_count : 0;
}

/*
 * The FDT shim's reader of /cpus and /psci (boot/fdt_cpus.c). Each cpu node
 * (device_type "cpu") gives one record: reg is the MPIDR affinity (/cpus'
 * #address-cells 1 or 2); status "fail" leaves it without BI_CPU_ENABLED; its
 * enable-method names how it is started: "psci" (through /psci's method, "hvc" or
 * "smc", in bi->psci_conduit) or "spin-table" (with a 64-bit cpu-release-addr). A CPU
 * Keel cannot start keeps its record with method NONE and its error set (the boot's
 * start stage says so); only a malformed tree fails: a cpu without reg or with a reg
 * of another length (KEEL_E_FDT_PROP), bad cells (KEEL_E_FDT_CELLS). No /cpus is no
 * error.
 */
int fdt_cpus_scan(const struct fdt *fdt, struct boot_info *bi);

#endif

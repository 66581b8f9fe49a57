/* SPDX-License-Identifier: MIT */
/* The kernel's side of Keel: the entry it provides, and everything Keel offers it. */
#ifndef KEEL_KERNEL_H
#define KEEL_KERNEL_H

/*
 * Keel's public headers, all of them C11 and C++ (docs/api.md): this one and the
 * four it includes. Everything else under Keel's include/ is its own and may change.
 */
#include <keel/boot_info.h>
#include <keel/cdefs.h>
#include <keel/exit.h>
#include <keel/kprintf.h>
#include <keel/memory.h>

KEEL_BEGIN_DECLS

/*
 * Provided by the kernel built on Keel. Keel calls it once, on the boot CPU, after the
 * memory sequence: on Keel's page tables, on the boot stack (km->boot_stack, with an
 * unmapped guard page below it), with the heap up and interrupts off. `bi` is the
 * normalised boot info (read-only; check bi->version against BOOT_INFO_VERSION), `km`
 * the memory result. Its return value is the exit code (arch_exit).
 */
int kernel_main(const struct boot_info *bi, const struct kernel_memory *km);

/* A CPU that Keel started, as kernel_ap_main sees it (docs/api.md). */
struct cpu {
    uint32_t index; /* 0: the boot CPU; 1, 2, ...: the others, in the firmware's order */
    uint32_t reserved;
    uint64_t id;        /* hardware id: the APIC ID, or the MPIDR affinity */
    struct stack stack; /* the stack it runs on, an unmapped guard page below it */
    uint64_t
        started_ticks; /* cycle-counter ticks from Keel's first start request to its check-in */
};

/*
 * Provided by the kernel built on Keel, beside kernel_main. Keel calls it once on each
 * secondary CPU that checked in, after the identity mappings were dropped and this
 * CPU flushed its TLB, before kernel_main runs on the boot CPU or while it does: on
 * Keel's page tables, on cpu->stack, with its own exception vectors and exception
 * stack, interrupts off. kmalloc, kfree, mm_free_bytes and the console (kprintf,
 * console_write) take locks and may be called from several CPUs at once. A CPU whose
 * kernel_ap_main returns is parked in Keel's park loop (interrupts off, wfe/pause).
 */
void kernel_ap_main(const struct cpu *cpu);

KEEL_END_DECLS

#endif

/* SPDX-License-Identifier: MIT */
/* Secondary CPUs: the start stage (common/smp.c), the per-CPU area and the arch's start hook. */
#ifndef KEEL_SMP_H
#define KEEL_SMP_H

#include <stdint.h>

#include <keel/arch.h>
#include <keel/boot_info.h>
#include <keel/cdefs.h>
#include <keel/kernel.h>
#include <keel/memory.h>

#define SMP_STACK_PAGES 8u     /* 32 KiB, as the boot stack: the stack kernel_ap_main runs on */
#define SMP_EXC_STACK_PAGES 2u /* the exception stack (aarch64 SP_EL1; x86_64 the IST stacks) */
#define SMP_CHECKIN_MS 2000u   /* how long the boot CPU waits for every CPU it started */
#define SMP_TLB_ACK_MS 1000u   /* how long smp_tlb_sync waits for every online CPU's flush */
#define SMP_ARCH_WORDS 32u

/* A CPU's state, changed only with atomic compare-and-swap (its own and the boot CPU's). */
enum smp_state {
    SMP_CPU_OFF = 0,
    SMP_CPU_STARTING = 1,  /* the start was requested; the boot CPU waits for it */
    SMP_CPU_ONLINE = 2,    /* it reached keel_ap_main in time and runs kernel_ap_main */
    SMP_CPU_ABANDONED = 3, /* the wait ran out (or the start failed): it is left out */
};

/*
 * The per-CPU area, on the heap: the kernel's struct cpu first, then what Keel keeps
 * for that CPU. The arch's per-CPU register (aarch64 TPIDR_EL1, x86_64 GS base) points
 * at it from the AP's entry on.
 */
struct percpu {
    struct cpu cpu;
    struct stack exception_stack;
    const struct bi_cpu *record;   /* its boot_info record */
    uint32_t state;                /* enum smp_state */
    uint32_t tlb_seen;             /* the TLB generation this CPU last flushed for (its own) */
    uint64_t arch[SMP_ARCH_WORDS]; /* the arch's own (aarch64: the AP's boot context) */
};

/* What the start stage did, for the report. */
struct smp_result {
    struct percpu *const *cpus; /* every CPU started or tried, cpus[0] the boot CPU */
    uint32_t count;             /* entries in cpus */
    uint32_t online;            /* CPUs that checked in, the boot CPU included */
    uint64_t first_start;       /* cycle counter at the first start request */
    uint64_t last_checkin;      /* ticks from first_start to the last check-in */
    uint32_t tlb_generation;    /* the TLB generation of the last smp_tlb_sync */
};

KEEL_BEGIN_DECLS

/*
 * The start stage (keel_main, after the memory sequence): for every CPU record but
 * the boot CPU's that can be started, a per-CPU area (kmalloc), a stack and an
 * exception stack (mm_stack_alloc, a guard page below each); then arch_cpu_start for
 * each of them, all before any waiting; then one wait, bounded by SMP_CHECKIN_MS on
 * the cycle counter, for them to check in. A CPU that cannot be started, whose start
 * fails, or that does not check in in time gets one line `keel: warning: cpu N (id
 * 0x...) did not start: WHY` and is left out; the boot goes on. Returns an error only
 * when an allocation failed (before any CPU was started).
 */
int smp_start(const struct boot_info *bi, const struct kernel_memory *km, struct smp_result *out);

/* The start stage's result (all zero before it ran). */
const struct smp_result *smp_result(void);

/*
 * The common C entry of a secondary CPU, called by the arch's AP entry on
 * pc->cpu.stack with the MMU on the kernel's table, the vectors and the per-CPU
 * register set. Checks in, then waits in Keel until the drop stage has removed the
 * identity mappings and flushes its own TLB (smp_tlb_sync), so that no code of the
 * kernel's runs on a CPU that may still hold them; then calls kernel_ap_main. When
 * that returns, or when the boot CPU had given up on the CPU, it parks in the common
 * park loop: interrupts off, polling the TLB generation and flushing its own TLB
 * when it moves (arch_tlb_flush_local), waiting between polls with arch_cpu_relax.
 */
noreturn void keel_ap_main(struct percpu *pc);

/*
 * The TLB contract's common half (docs/memory.md): after the live table lost
 * mappings (the builder already ran arch_tlb_invalidate on this CPU), makes every
 * other CPU drop its cached translations. Bumps the TLB generation, wakes the parked
 * CPUs (arch_cpu_wake) and waits, bounded by SMP_TLB_ACK_MS on the cycle counter,
 * until every online CPU has flushed for it. A CPU that does not confirm in time gets
 * one `keel: warning: cpu N (id 0x...) did not confirm the TLB flush ...` line.
 * Called on the boot CPU; with no secondary CPU online it only bumps the generation.
 */
void smp_tlb_sync(void);

/*
 * The index of the CPU this runs on (0 for the boot CPU), from the per-CPU register
 * (arch_percpu), checked against the CPUs the start stage made: a register the
 * firmware left holding anything else reads as the boot CPU. For fault lines; any
 * context, never fails.
 */
uint32_t smp_cpu_index(void);

/*
 * The arch hooks this stage calls (arch_cpu_prepare, arch_cpu_start,
 * arch_cpus_started, arch_percpu, arch_tlb_flush_local,
 * arch_cpu_relax, arch_cpu_wake) are in keel/arch.h.
 */

KEEL_END_DECLS

#endif

/* SPDX-License-Identifier: MIT */
/* x86_64's park-loop hooks: PAUSE between polls, a CR3 reload as the local TLB flush, GS base. */
#include <stdint.h>

#include <keel/arch.h>
#include <x86/cpu.h>

/* HLT would never wake with interrupts off: PAUSE ends by itself, so no wake-up is needed. */
void arch_cpu_relax(void)
{
    __asm__ volatile("cli\n\tpause" : : : "memory");
}

void arch_cpu_wake(void)
{
    /* x86 stores are seen in order (SDM vol. 3A, 9.2.2): nothing to make visible first. */
}

/* No Keel leaf is global (arch/pte.h), so a CR3 reload drops every translation. */
void arch_tlb_flush_local(void)
{
    x86_write_cr3(x86_read_cr3());
}

uint64_t arch_percpu(void)
{
    return x86_rdmsr(X86_MSR_GS_BASE);
}

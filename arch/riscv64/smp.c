/* SPDX-License-Identifier: MIT */
/* riscv64's CPU start hooks: parking; SBI HSM hart_start is not written yet. */
#include <keel/errors.h>
#include <keel/smp.h>

int arch_cpu_start(const struct boot_info *bi, const struct bi_cpu *rec, struct percpu *pc)
{
    (void)bi;
    (void)rec;
    (void)pc;
    return KEEL_E_CPU_UNSUPPORTED;
}

noreturn void arch_cpu_park(void)
{
    __asm__ volatile("csrci sstatus, 2" : : : "memory");
    for (;;) {
        __asm__ volatile("wfi" : : : "memory");
    }
}

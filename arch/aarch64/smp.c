/* SPDX-License-Identifier: MIT */
/* aarch64's CPU start hooks. */
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
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    for (;;) {
        __asm__ volatile("wfi" : : : "memory");
    }
}

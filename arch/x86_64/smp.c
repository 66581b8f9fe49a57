/* SPDX-License-Identifier: MIT */
/* x86_64's CPU start hook; INIT-SIPI-SIPI is not written yet (issue 11, step 4). */
#include <keel/errors.h>
#include <keel/smp.h>

int arch_cpu_start(const struct boot_info *bi, const struct bi_cpu *rec, struct percpu *pc)
{
    (void)bi;
    (void)rec;
    (void)pc;
    return KEEL_E_CPU_UNSUPPORTED;
}

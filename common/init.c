/* SPDX-License-Identifier: MIT */
/* The common init sequence: the same C code on every arch, in the order docs/boot-flow.md gives. */
#include <keel/arch.h>
#include <keel/init.h>
#include <keel/mm.h>
#include <keel/report.h>

#include "common.h"

noreturn void keel_start(struct boot_info *bi)
{
    static struct kernel_memory km;
    const char *phase;

    keel_summary(bi);
    int err = mm_kernel_init(bi, &km, &phase);

    if (err != KEEL_OK) {
        keel_fail_in(phase, err);
    }
    timeline_mark("init");
    arch_exit(kernel_main(bi, &km));
}

/* SPDX-License-Identifier: MIT */
/* The common init sequence: the same C code on every arch, in the order DESIGN.md gives. */
#include <keel/arch.h>
#include <keel/init.h>

#include "common.h"

noreturn void keel_start(struct boot_info *bi)
{
    /*
     * The memory sequence (frame allocator, page tables, heap, modules, reclaim)
     * comes here; until then the kernel runs on the entry code's boot mappings.
     */
    timeline_mark("init");
    arch_exit(kernel_main(bi));
}

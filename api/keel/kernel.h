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

KEEL_END_DECLS

#endif

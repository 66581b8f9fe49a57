/* SPDX-License-Identifier: MIT */
/* Leaving the machine with an exit code: the exit hook and the codes Keel itself uses. */
#ifndef KEEL_EXIT_H
#define KEEL_EXIT_H

#include <keel/cdefs.h>

/* Exit codes the kernel leaves QEMU with. docs/boot-report.md lists them. */
#define KEEL_EXIT_OK 0
#define KEEL_EXIT_BAD_INPUT 2 /* the loader, firmware or DTB gave bad input */
#define KEEL_EXIT_PANIC 3     /* a broken invariant inside Keel */
#define KEEL_EXIT_EXCEPTION 4 /* an unexpected CPU exception */

KEEL_BEGIN_DECLS

/*
 * Leave the machine with an exit code: under QEMU the process exits with it (the
 * mapping from the arch's exit device to the process status is in docs/targets.md).
 * Early; never returns; if no exit device answers, the CPU halts with interrupts off.
 * Returning from kernel_main does the same with its return value.
 */
KEEL_NORETURN void arch_exit(int code);

KEEL_END_DECLS

#endif

/* SPDX-License-Identifier: MIT */
/* Page faults: the arch decodes the exception, common code names the fault and exits. */
#ifndef KEEL_FAULT_H
#define KEEL_FAULT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* Exit codes of the named faults (docs/boot-report.md). */
#define KEEL_EXIT_FAULT_WRITE_RO 10  /* a write to a read-only page */
#define KEEL_EXIT_FAULT_EXEC_NX 11   /* an instruction fetch from a non-executable page */
#define KEEL_EXIT_FAULT_GUARD 12     /* an access to a stack's guard page: a stack overflow */
#define KEEL_EXIT_FAULT_RECLAIMED 13 /* an access to the boot info after it was reclaimed */
#define KEEL_EXIT_FAULT_UNMAPPED 14  /* any other access to an unmapped page */
#define KEEL_EXIT_FAULT_IDENTITY 15  /* an access through an identity mapping after its drop */

enum fault_access {
    FAULT_READ = 0,
    FAULT_WRITE = 1,
    FAULT_EXEC = 2,
};

struct fault {
    uint64_t addr; /* the faulting virtual address (CR2, FAR_EL1) */
    uint64_t pc;
    enum fault_access access;
    bool present; /* true: a permission fault on a mapped page; false: no translation */
};

/*
 * The first thing every arch's exception handler does (after its own exit-in-progress
 * check): makes the running CPU the one that reports. One report ends the boot, so a
 * second CPU that faults meanwhile waits here, interrupts off, for the first one's
 * exit; a fault on the reporting CPU while it reports leaves at once with
 * KEEL_EXIT_EXCEPTION, without a second line. Returns only to the one reporter.
 */
void fault_enter(void);

/*
 * The first step of an arch_exit that goes in stages (aarch64, riscv64): makes the
 * running CPU the one that exits. It returns to that CPU, again for a nested call on
 * it (a stage that faulted); another CPU's call waits here for good, interrupts off,
 * so that it cannot take a later stage (one that loses the code) while the first one's
 * stage ends the run. exit_is_mine: whether this CPU is the exiting one, which the
 * exception handlers ask before they go back into the exit.
 */
void exit_enter(void);
bool exit_is_mine(void);

/*
 * Called by the arch's exception handler for a page fault (x86_64 #PF; aarch64 data
 * and instruction aborts with a translation or permission fault status), on the
 * exception stack. Prints one "keel: fault: ..." line that names the kind of fault,
 * and exits with its code. Never returns.
 */
noreturn void keel_page_fault(const struct fault *f);

#endif

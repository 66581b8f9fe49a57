/* SPDX-License-Identifier: MIT */
/* The one-line report for an unexpected CPU exception, then exit with KEEL_EXIT_EXCEPTION. */
#include <stddef.h>
#include <stdint.h>

#include <keel/arch.h>

#include <a64/a64.h>

/* ESR_EL1.EC values (Arm ARM, "ESR_ELx"), named for the report. */
static const char *const ec_names[64] = {
    [0x00] = "unknown instruction",
    [0x01] = "wfi/wfe trap",
    [0x07] = "fp/simd access",
    [0x0e] = "illegal execution state",
    [0x15] = "svc",
    [0x16] = "hvc",
    [0x17] = "smc",
    [0x18] = "system register trap",
    [0x20] = "instruction abort from lower el",
    [0x21] = "instruction abort",
    [0x22] = "pc alignment",
    [0x24] = "data abort from lower el",
    [0x25] = "data abort",
    [0x26] = "sp alignment",
    [0x2c] = "fp exception",
    [0x2f] = "serror",
    [0x30] = "breakpoint",
    [0x31] = "breakpoint",
    [0x32] = "software step",
    [0x33] = "software step",
    [0x34] = "watchpoint",
    [0x35] = "watchpoint",
    [0x3c] = "brk",
};

/* Non-synchronous vectors (entry number modulo 4) have no class in ESR. */
static const char *const async_names[4] = {NULL, "irq", "fiq", "serror"};

/*
 * Uses only arch_console_putc, not kprintf: the fault may have happened inside the
 * common console code. A fault while reporting skips straight to the exit.
 */
noreturn void a64_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far,
                            uint64_t spsr)
{
    static volatile uint32_t depth;
    int code;

    (void)spsr;
    if (a64_exit_in_progress(&code)) {
        arch_exit(code);
    }
    depth++;
    if (depth > 1) {
        arch_exit(KEEL_EXIT_EXCEPTION);
    }

    uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
    const char *what = async_names[vector & 3];
    if (what == NULL) {
        what = ec_names[ec] != NULL ? ec_names[ec] : "synchronous";
    }
    a64_console_write("keel: exception: ");
    a64_console_write(what);
    a64_console_write(" (ESR ");
    a64_console_hex(esr);
    a64_console_write(", EC ");
    a64_console_hex(ec);
    a64_console_write(") at pc ");
    a64_console_hex(elr);
    a64_console_write(" addr ");
    a64_console_hex(far);
    a64_console_write("\n");
    arch_exit(KEEL_EXIT_EXCEPTION);
}

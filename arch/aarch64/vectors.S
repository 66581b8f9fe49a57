/* SPDX-License-Identifier: MIT */
/* The EL1 exception vector table: every entry reports the exception and ends the run. */

#include <a64/sysreg.h>

/*
 * Stack choice: the kernel runs with SPSel = 0, on SP_EL0 (the boot stack). Taking an
 * exception to EL1 switches to SP_EL1, which entry.S points at a stack of its own, so
 * a kernel stack overflow into an unmapped guard page is still reported. Each CPU has
 * its own: entry.S gives the boot CPU a64_exception_stack, smp_entry.S each secondary
 * CPU the exception stack of its per-CPU area. Keel treats every exception as fatal for
 * now, so SP_EL1 is still at the top of the CPU's own exception stack when the first
 * exception from SP_EL0 arrives (entries 0-3 leave it there). An exception taken on
 * SP_EL1 (entries 4-15: a fault inside the handler, or before the kernel moved to
 * SP_EL0) resets SP_EL1 to the top of the boot CPU's exception stack, so that it cannot
 * run off the stack it faulted on; it ends the run at once (a64_exception). The
 * entry's number goes to C in x0; the caller's x0 is lost, which costs nothing because
 * the report is one line built from system registers. Interrupt handling that must
 * return will replace the IRQ and FIQ entries.
 */

.macro vector_entry index
    .balign 0x80
    mov     x0, #\index
    .if \index < 4
    b       vector_own_stack
    .else
    b       vector_common
    .endif
.endm

    .text
    .balign 0x800
    .globl a64_vectors
a64_vectors:
    /* Current EL with SP_EL0: the kernel's own faults. */
    vector_entry 0      /* synchronous */
    vector_entry 1      /* IRQ */
    vector_entry 2      /* FIQ */
    vector_entry 3      /* SError */
    /* Current EL with SP_EL1: a fault inside the exception path itself. */
    vector_entry 4
    vector_entry 5
    vector_entry 6
    vector_entry 7
    /* Lower EL, AArch64. */
    vector_entry 8
    vector_entry 9
    vector_entry 10
    vector_entry 11
    /* Lower EL, AArch32. */
    vector_entry 12
    vector_entry 13
    vector_entry 14
    vector_entry 15

vector_common:
    ldr     x1, =a64_exception_stack_top
    mov     sp, x1
vector_own_stack:
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mrs     x3, far_el1
    mrs     x4, spsr_el1
    mov     x29, #0
    mov     x30, #0
    bl      a64_exception
    b       a64_halt

    .ltorg

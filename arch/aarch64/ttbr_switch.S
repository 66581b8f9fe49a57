/* SPDX-License-Identifier: MIT */
/* Loads a new translation table root into TTBR0_EL1 and TTBR1_EL1 without a TLB conflict. */

#include <a64/sysreg.h>

/*
 * void a64_ttbr_switch(uint64_t root, uint64_t kernel_to_phys)
 *   x0 = physical address of the new level-0 table, both halves: TTBR0 gets it and
 *        TTBR1 its upper half (A64_TTBR1_ROOT_OFFSET, a64/sysreg.h); ASID 0, CnP 0
 *   x1 = physical minus virtual address of the kernel image (added to a KERNEL_VBASE
 *        address it gives the identity alias of the same byte)
 *
 * The boot tables map the kernel with 2 MiB blocks and the identity window with blocks
 * and pages as the board layer's ranges allowed; the new table may map the same
 * addresses with other sizes. A TLB holding an
 * old block and a new page for one address may raise a TLB conflict abort on a lookup
 * (Arm ARM, "TLB conflict aborts"), so every half is switched while no access goes
 * through it: the lower half from the kernel half, then the kernel half from the new
 * table's identity alias of .text. Each TTBR write is followed by ISB (the walker
 * uses the new root from here on) and a full invalidation before the first access to
 * that half. Registers only: the stack is a kernel-half address, and during step 2
 * nothing may touch the kernel half until its stale entries are gone. Interrupts are
 * masked by the caller; nothing here can take a synchronous exception.
 */
    .text
    .balign 4
    .globl a64_ttbr_switch
    .type a64_ttbr_switch, %function
a64_ttbr_switch:
    /* The builder's table stores must be visible to the walker before the root is. */
    dsb     ishst

    /* Step 1, running in the kernel half: only the lower half changes. */
    msr     ttbr0_el1, x0
    isb
    tlbi    vmalle1
    dsb     ish
    isb

    /* Step 2, running from the identity alias in the new table: the kernel half. */
    adr     x2, 1f
    add     x2, x2, x1
    add     x0, x0, #A64_TTBR1_ROOT_OFFSET
    br      x2
1:  msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    dsb     ish
    isb
    ret                             /* to the caller's kernel-half address in x30 */
    .size a64_ttbr_switch, . - a64_ttbr_switch

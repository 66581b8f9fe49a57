/* SPDX-License-Identifier: MIT */
/* The secondary CPUs' entry: EL2 drop, the kernel's own table and MMU, SP_EL1, VBAR, TPIDR_EL1. */

#include <a64/el2.inc>
#include <a64/smp.h>
#include <a64/sysreg.h>

/*
 * A CPU that PSCI CPU_ON or a spin-table release starts arrives here at its physical
 * address, MMU and caches off, at EL2 or EL1. Its boot context (struct a64_ap_boot,
 * a64/smp.h) was cleaned to the point of coherency by the boot CPU, so it is read
 * with the MMU off into registers; nothing is written before the MMU is on. The
 * kernel's table maps this text 1:1 (the memory result's identity mapping), so the
 * instruction after SCTLR_EL1.M is still fetched from the same address.
 */
    .text
    .balign 4

    /* PSCI CPU_ON: x0 = the context's physical address (the context_id argument). */
    .globl a64_ap_entry_psci
a64_ap_entry_psci:
    mov     x19, x0
    b       ap_common

    /*
     * Spin-table: released with no argument. The CPU finds its context by MPIDR in
     * a64_spin_slots (physical through adrp: the MMU is off, so PC-relative is physical).
     */
    .globl a64_ap_entry_spin
a64_ap_entry_spin:
    mrs     x1, mpidr_el1
    ldr     x2, =A64_MPIDR_AFFINITY
    and     x1, x1, x2
    adrp    x3, a64_spin_slots
    add     x3, x3, :lo12:a64_spin_slots
    mov     x4, #A64_SPIN_SLOTS
1:  ldp     x5, x6, [x3], #16       /* {mpidr, context physical address} */
    cmp     x5, x1
    b.eq    2f
    subs    x4, x4, #1
    b.ne    1b
3:  wfe                             /* no slot for this CPU: it stays parked */
    b       3b
2:  cbz     x6, 3b
    mov     x19, x6

ap_common:
    mrs     x1, CurrentEL
    ubfx    x1, x1, #2, #2
    cmp     x1, #2
    b.ne    ap_el1
    a64_drop_to_el1 ap_el1

ap_el1:
    msr     daifset, #0xf
    ldr     x0, =A64_SCTLR_EL1_RES1
    msr     sctlr_el1, x0
    msr     cpacr_el1, xzr
    isb
    ldp     x1, x2, [x19, #A64_AP_MAIR]
    ldp     x3, x4, [x19, #A64_AP_TTBR0]
    ldp     x5, x20, [x19, #A64_AP_SCTLR]   /* SCTLR_EL1, the exception stack's top */
    ldp     x21, x22, [x19, #A64_AP_SP]     /* the stack's top, the per-CPU area */
    ldp     x23, x24, [x19, #A64_AP_VBAR]   /* VBAR_EL1, keel_ap_main */
    msr     mair_el1, x1
    msr     tcr_el1, x2
    msr     ttbr0_el1, x3
    msr     ttbr1_el1, x4
    isb
    tlbi    vmalle1
    ic      iallu
    dsb     nsh
    isb
    msr     sctlr_el1, x5
    isb

    /* The MMU is on with the kernel's table; everything from here is a kernel address. */
    mov     sp, x20                 /* SPSel = 1 at EL1h: SP_EL1, the exception stack */
    msr     spsel, #0
    mov     sp, x21                 /* SP_EL0: the stack kernel_ap_main runs on */
    msr     vbar_el1, x23
    msr     tpidr_el1, x22
    isb
    mov     x29, #0
    mov     x30, #0
    mov     x0, x22
    br      x24

    .ltorg

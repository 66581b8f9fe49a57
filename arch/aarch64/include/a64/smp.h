/* SPDX-License-Identifier: MIT */
/* The AP boot context that arch/aarch64/smp.c writes and smp_entry.S reads with the MMU off. */
#ifndef KEEL_A64_SMP_H
#define KEEL_A64_SMP_H

/* Byte offsets of struct a64_ap_boot's fields, for the assembly. */
#define A64_AP_MAIR 0
#define A64_AP_TCR 8
#define A64_AP_TTBR0 16
#define A64_AP_TTBR1 24
#define A64_AP_SCTLR 32
#define A64_AP_EXC_SP 40
#define A64_AP_SP 48
#define A64_AP_PERCPU 56
#define A64_AP_VBAR 64
#define A64_AP_ENTRY 72
#define A64_AP_SIZE 80

/* Spin-table CPUs find their context by MPIDR in a table of this many slots. */
#define A64_SPIN_SLOTS 512

#ifndef __ASSEMBLER__
#include <stdint.h>

struct a64_ap_boot {
    uint64_t mair, tcr, ttbr0, ttbr1, sctlr;
    uint64_t exc_sp, sp, percpu, vbar, entry;
};
_Static_assert(sizeof(struct a64_ap_boot) == A64_AP_SIZE, "a64_ap_boot layout");
_Static_assert(__builtin_offsetof(struct a64_ap_boot, vbar) == A64_AP_VBAR, "a64_ap_boot.vbar");
_Static_assert(__builtin_offsetof(struct a64_ap_boot, sctlr) == A64_AP_SCTLR, "a64_ap_boot.sctlr");

extern char a64_ap_entry_psci[], a64_ap_entry_spin[];
extern uint64_t a64_spin_slots[A64_SPIN_SLOTS][2];
#endif

#endif

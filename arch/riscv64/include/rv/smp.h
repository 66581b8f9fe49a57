/* SPDX-License-Identifier: MIT */
/* The hart boot context that arch/riscv64/smp.c writes and entry.S reads with paging off. */
#ifndef RV_SMP_H
#define RV_SMP_H

/* Byte offsets of struct rv_ap_boot's fields, for the assembly. */
#define RV_AP_SATP 0
#define RV_AP_SP 8
#define RV_AP_EXC_SP 16
#define RV_AP_PERCPU 24
#define RV_AP_ENTRY 32
#define RV_AP_SIZE 40
/* rv_ap_contexts (smp.c): {hart id + 1, context physical address} per started hart. */
#define RV_AP_CONTEXTS 512
#define RV_AP_CONTEXTS_SIZE (RV_AP_CONTEXTS * 16)

#ifndef __ASSEMBLER__
#include <stdint.h>

struct rv_ap_boot {
    uint64_t satp, sp, exc_sp, percpu, entry;
};
_Static_assert(sizeof(struct rv_ap_boot) == RV_AP_SIZE, "rv_ap_boot layout");
_Static_assert(__builtin_offsetof(struct rv_ap_boot, percpu) == RV_AP_PERCPU, "rv_ap_boot.percpu");
_Static_assert(__builtin_offsetof(struct rv_ap_boot, entry) == RV_AP_ENTRY, "rv_ap_boot.entry");

/* The secondary hart's entry (entry.S): a0 its hart id, a1 its context, paging off. */
extern char rv_ap_entry[];

/* What a hart that reaches the image entry instead of rv_ap_entry looks its context up in. */
extern uint64_t rv_ap_contexts[RV_AP_CONTEXTS][2];
#endif

#endif

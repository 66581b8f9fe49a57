/* SPDX-License-Identifier: MIT */
/* Declarations private to arch/riscv64: what entry.S and trap.S share with the C side. */
#ifndef RV_RV_H
#define RV_RV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

/* The C entry: Sv48 on, at KERNEL_VBASE on the boot stack, stvec set, BSS clear. */
noreturn void rv_start(uint64_t dtb_pa, uint64_t hart);

/* Called by the trap vector on the exception stack; never returns. */
noreturn void rv_trap(uint64_t cause, uint64_t epc, uint64_t tval);

/* Masks interrupts and waits forever (entry.S). */
noreturn void rv_halt(void);

/* One SBI call: the error in a0 is returned, the value in a1 goes to *value (may be NULL). */
long rv_sbi_call(uint64_t ext, uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t *value);

/* The DTB's exit device (a sifive,test0 finisher) and timebase, read once by rv_start. */
void rv_exit_init(uint64_t finisher_pa);

/* True while arch_exit() is under way; a fault then continues the exit with *code. */
bool rv_exit_in_progress(int *code);

/* Set once arch_tlb_switch() returned: the boot identity map is no longer live. */
extern bool rv_mmu_switched;

/* The boot tables' root, physical: arch_exit goes back to it to reach the finisher. */
uint64_t rv_boot_root_pa(void);

/* The satp value entry.S turned paging on with: Sv48 and the boot root, or Sv39 and K1. */
extern uint64_t rv_boot_satp;

/* The width of Keel's own table (arch_va_bits): 48 (Sv48) or 39 (Sv39), set by rv_start. */
extern unsigned rv_va_bits;

/* Symbols of entry.S and trap.S. */
extern char rv_boot_pgtables[];
extern char rv_trap_vector[];
extern char rv_exception_stack_top[];

/* Written by entry.S right after BSS is cleared. */
extern uint64_t rv_entry_cycles_value;
extern uint64_t rv_phys_base;
extern uint64_t rv_boot_hart;
/* The timebase frequency from the DTB's /cpus, 0 when it gave none. */
extern uint64_t rv_timebase_hz;

#endif

/* SPDX-License-Identifier: MIT */
/* Declarations private to arch/aarch64: what entry.S and vectors.S share with the C side. */
#ifndef A64_A64_H
#define A64_A64_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

/*
 * The C entry: MMU on, running at KERNEL_VBASE on the boot stack, vectors set, BSS clear
 * (or, after the EFI entry, as it left it). efi_handoff_pa is 0 on the Image path.
 */
noreturn void a64_start(uint64_t dtb_pa, uint32_t entry_el, uint64_t efi_handoff_pa);

/* The EFI side (efi.c, efi_entry.S): see there. */
uint64_t a64_efi_start(void *image, void *system_table);
int a64_image_relocate(uint64_t base, uint64_t run);
noreturn void a64_efi_leave(uint64_t dtb_pa, uint64_t handoff_pa, uint64_t entry_cycles);
noreturn void a64_efi_main(uint64_t dtb_pa, uint32_t entry_el, uint64_t handoff_pa);

/* Cleans and invalidates [va, va + len) to the point of coherency (entry.S). */
void a64_dcache_clean_range(uint64_t va, uint64_t len);

/* Called by every exception vector on the exception stack; never returns. */
noreturn void a64_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far,
                            uint64_t spsr);

/* True while arch_exit() is under way; a fault then continues the exit with *code. */
int a64_exit_in_progress(int *code);

/* Masks interrupts and waits forever (entry.S). */
noreturn void a64_halt(void);

/*
 * Makes the tree at `root` live in TTBR0_EL1 and TTBR1_EL1 (ttbr_switch.S). kernel_to_phys
 * is the load address minus KERNEL_VBASE; the new table must map .text at its identity
 * alias.
 */
void a64_ttbr_switch(uint64_t root, uint64_t kernel_to_phys);

/* Set once arch_tlb_switch() returned: the boot identity map is gone. */
extern bool a64_mmu_switched;

/* Symbols of entry.S and vectors.S. */
extern char a64_boot_pgtables[];
extern char a64_vectors[];
extern char a64_exception_stack_top[];

/* Written by entry.S right after BSS is cleared. */
extern uint64_t a64_entry_cycles_value;
extern uint64_t a64_phys_base;

#endif

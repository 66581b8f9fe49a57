/* SPDX-License-Identifier: MIT */
/* x86_64 constants shared by the entry assembly, the linker script and the C side. */
#ifndef X86_DEFS_H
#define X86_DEFS_H

/*
 * Only #defines here: this header is included from assembly and from the
 * preprocessed linker script as well as from C.
 */

/*
 * Where a multiboot2 loader puts the image (its address tag), and the PE's preferred
 * ImageBase. UEFI firmware may put it anywhere else: the running image's physical base
 * is x86_kernel_phys, which the entry code sets.
 */
#define X86_KERNEL_PHYS 0x200000

/* The identity map the entry code builds covers [0, X86_IDENTITY_LIMIT). */
#define X86_IDENTITY_LIMIT 0x100000000

#define X86_PAGE_SIZE 4096
#define X86_LARGE_PAGE_SIZE 0x200000

/* Segment selectors: the entry code's GDT and the one start.c builds agree on these. */
#define X86_SEL_CODE 0x08
#define X86_SEL_DATA 0x10
#define X86_SEL_TSS 0x18

/* Control register and MSR bits the entry code sets. */
#define X86_CR0_PE (1 << 0)
#define X86_CR0_WP (1 << 16)
#define X86_CR0_PG 0x80000000
#define X86_CR4_PAE (1 << 5)
#define X86_CR4_LA57 (1 << 12)
#define X86_CR3_ADDR_MASK 0x000ffffffffff000
#define X86_MSR_EFER 0xc0000080
#define X86_EFER_LME (1 << 8)
#define X86_EFER_NXE (1 << 11)

/* CPUID bits the entry code requires. */
#define X86_EFLAGS_ID (1 << 21)
#define X86_CPUID_EXT_LM (1 << 29)      /* leaf 0x80000001, EDX */
#define X86_CPUID_EXT_NX (1 << 20)      /* leaf 0x80000001, EDX */
#define X86_CPUID_EXT_PAGE1GB (1 << 26) /* leaf 0x80000001, EDX: 1 GiB pages */
#define X86_CPUID_1_PAT (1 << 16)       /* leaf 1, EDX: IA32_PAT exists */

/* Page-table entry bits used by the boot tables. */
#define X86_PTE_P 0x1
#define X86_PTE_W 0x2
#define X86_PTE_PS 0x80

/* The early serial port and QEMU's isa-debug-exit device. */
#define X86_COM1 0x3f8
#define X86_DEBUG_EXIT_PORT 0xf4

/*
 * Exit code the 32-bit entry code uses when the CPU cannot run Keel (no long mode or
 * no NX). start.c checks that it equals KEEL_EXIT_BAD_INPUT: arch.h is C-only.
 */
#define X86_EXIT_UNSUPPORTED_CPU 2

/* IST slots in the TSS (1-based, as the IDT gate encodes them). */
#define X86_IST_NMI 1
#define X86_IST_DF 2
#define X86_IST_PF 3
#define X86_IST_COUNT 3
#define X86_IST_STACK_SIZE 0x2000

/*
 * struct x86_exception_frame (exceptions.h) as the vector stubs build it: 15 general
 * registers, then the vector, the error code and the CPU's own frame.
 */
#define X86_FRAME_VECTOR 120
#define X86_FRAME_ERROR 128
#define X86_FRAME_RIP 136
#define X86_FRAME_SIZE 176

#define X86_EXCEPTION_COUNT 32

#endif

/* SPDX-License-Identifier: MIT */
/* The secondary CPUs' real-mode trampoline: its layout, shared by smp_entry.S and smp.c. */
#ifndef X86_SMP_H
#define X86_SMP_H

/*
 * Only #defines here: smp_entry.S includes it too. The trampoline is one 4 KiB page
 * below 1 MiB (a SIPI's vector is the page number), copied from x86_ap_trampoline and
 * then patched at these offsets by the boot CPU:
 */
#define X86_TRAMP_GDT 0x100   /* null, code64, data, code32: constant */
#define X86_TRAMP_GDTR 0x120  /* limit (2 bytes), base (4): the page's GDT, physical */
#define X86_TRAMP_FAR32 0x128 /* offset (4), selector (2): the 32-bit part, physical */
#define X86_TRAMP_FAR64 0x130 /* offset (4), selector (2): the 64-bit part, physical */
#define X86_TRAMP_CR3 0x138   /* the kernel's page-table root (below 4 GiB) */
#define X86_TRAMP_ENTRY 0x140 /* x86_ap_entry64, the kernel address the 64-bit part jumps to */
#define X86_TRAMP_SIZE 0x148

/* The trampoline GDT's selectors (its own; the CPU's tables come once it is in C). */
#define X86_TRAMP_SEL_CODE64 0x08
#define X86_TRAMP_SEL_DATA 0x10
#define X86_TRAMP_SEL_CODE32 0x18

/* x86_ap_slots: one {APIC ID, stack top, per-CPU area} of 8-byte words per started CPU. */
#define X86_AP_SLOT_SIZE 24
#define X86_AP_SLOT_STACK 8
#define X86_AP_SLOT_PERCPU 16

/* CR0 in long mode: PE, ET, NE, WP, PG; CD and NW (set by INIT) cleared, caches on. */
#define X86_AP_CR0 0x80010031

#endif

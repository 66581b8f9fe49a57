/* SPDX-License-Identifier: MIT */
/* Fixed virtual addresses, the same on every arch. Shared with assembly and linker scripts. */
#ifndef KEEL_LAYOUT_H
#define KEEL_LAYOUT_H

/*
 * The kernel image is linked at KERNEL_VBASE on every arch: its first byte is
 * there. The entry code maps KERNEL_VBASE to wherever the loader put the image
 * (fixed at 2 MiB on x86_64, any 2 MiB-aligned RAM address on aarch64 and riscv64) with 2 MiB
 * pages, plus a 1:1 map of low physical memory for the shim.
 */
#define KERNEL_VBASE 0xffffffff80000000
#define KERNEL_MAX_SIZE 0x1000000 /* 16 MiB: what the entry code maps */

/*
 * The kernel half, after the memory sequence switched to Keel's own page table. Every
 * region is a fixed base in the upper canonical half of a 48-bit address space; with
 * 39-bit addresses (a three-level table, riscv64's Sv39) each is scaled down (struct
 * layout, keel/mm.h).
 */
#define DIRECT_MAP_BASE 0xffff800000000000   /* all RAM, at DIRECT_MAP_BASE + pa */
#define DIRECT_MAP_SIZE 0x0000400000000000   /* 64 TiB */
#define HEAP_VBASE 0xffffc00000000000        /* the kernel heap, growing upwards */
#define HEAP_MAX_SIZE 0x0000010000000000     /* 1 TiB */
#define STACKS_VBASE 0xffffd00000000000      /* stacks, each above an unmapped guard page */
#define BOOT_INFO_VBASE 0xffffe00000000000   /* the loader's structure, read-only, until reclaim */
#define MMIO_VBASE 0xffffe80000000000        /* device mappings (the console) */
#define FRAMEBUFFER_VBASE 0xffffea0000000000 /* the framebuffer, write-combining */

/* Sizes of the entry code's boot stack. */
#define BOOT_STACK_SIZE 0x8000

#define LAYOUT_VA_BITS 48 /* the address width the constants above are for */

#endif

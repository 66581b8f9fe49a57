/* SPDX-License-Identifier: MIT */
/* Fixed virtual addresses, the same on every arch. Shared with assembly and linker scripts. */
#ifndef KEEL_LAYOUT_H
#define KEEL_LAYOUT_H

/*
 * The kernel image is linked at KERNEL_VBASE on both arches: its first byte is
 * there. The entry code maps KERNEL_VBASE to wherever the loader put the image
 * (fixed at 2 MiB on x86_64, any 2 MiB-aligned RAM address on aarch64) with 2 MiB
 * pages, plus a 1:1 map of low physical memory for the shim.
 */
#define KERNEL_VBASE 0xffffffff80000000
#define KERNEL_MAX_SIZE 0x1000000 /* 16 MiB: what the entry code maps */

/* Sizes of the entry code's boot stack. */
#define BOOT_STACK_SIZE 0x8000

#endif

/* SPDX-License-Identifier: MIT */
/* The boot tables' TTBR1 half, as the entry path builds it (assembly). */
#ifndef A64_BOOT_TABLES_H
#define A64_BOOT_TABLES_H

#include <a64/sysreg.h>

#ifdef __ASSEMBLER__
/* Assembly, laid out as the .S files are: */
/* clang-format off */
/*
 * TTBR1 in the boot tables at \tables (a register): the level-0 entry of KERNEL_VBASE
 * to the level-1 table, its entry to the level-2 table, and there KERNEL_MAX_SIZE in
 * 2 MiB blocks onto the physical address in \base, with the block attributes in \attrs.
 * The tables must be zero where nothing is written. Clobbers x0, x1 and x5 to x7.
 */
.macro a64_map_kernel_blocks tables, base, attrs
    add     x0, \tables, #A64_PGT_K_L1
    orr     x1, x0, #A64_PTE_TABLE
    str     x1, [\tables, #(A64_PGT_K_L0 + A64_KVA_L0_INDEX * 8)]
    add     x0, \tables, #A64_PGT_K_L2
    orr     x1, x0, #A64_PTE_TABLE
    str     x1, [\tables, #(A64_PGT_K_L1 + A64_KVA_L1_INDEX * 8)]
    add     x0, x0, #(A64_KVA_L2_INDEX * 8)
    orr     x5, \base, \attrs
    mov     x6, #(1 << A64_BLOCK_L2_SHIFT)
    mov     x7, #A64_KERNEL_L2_BLOCKS
.Lkernel_blocks\@:
    str     x5, [x0], #8
    add     x5, x5, x6
    subs    x7, x7, #1
    b.ne    .Lkernel_blocks\@
.endm
/* clang-format on */
#endif

#endif

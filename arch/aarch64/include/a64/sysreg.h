/* SPDX-License-Identifier: MIT */
/* System register fields and page-table encodings shared by the aarch64 C and assembly code. */
#ifndef A64_SYSREG_H
#define A64_SYSREG_H

#include <keel/layout.h>

/*
 * Only plain integer constants here: this header is included by .S files and by the
 * linker script as well as by C. Field positions are those of the Arm ARM (DDI 0487).
 */

/* 64-bit constants: the assembler takes plain numbers, C needs the suffix. */
#ifdef __ASSEMBLER__
#define A64_U64(x) x
#else
#define A64_U64(x) x##ull
#endif

/* MPIDR_EL1's affinity fields, Aff3 [39:32] and Aff2..Aff0 [23:0]: a DTB cpu node's reg. */
#define A64_MPIDR_AFFINITY A64_U64(0xff00ffffff)

/* HCR_EL2: RW makes EL1 AArch64; everything else (stage 2, traps, E2H) stays off. */
#define A64_HCR_EL2_RW 0x80000000

/* CNTHCTL_EL2 (E2H = 0): EL1PCTEN and EL1PCEN let EL1 read the counter and use the timer. */
#define A64_CNTHCTL_EL2_EL1_ACCESS 0x3

/* CPTR_EL2 (E2H = 0): its RES1 bits with TFP clear, so FP/SIMD is not trapped to EL2. */
#define A64_CPTR_EL2_DEFAULT 0x33ff

/* SPSR for an exception return into EL1 using SP_EL1 (EL1h), with D, A, I and F masked. */
#define A64_SPSR_EL1H_DAIF 0x3c5

/*
 * SCTLR_EL1. The RES1 bits are those of ARMv8.0 (EOS, TSCXT, EIS, SPAN, nTLSMD, LSMAOE);
 * with the later features they name absent or disabled they keep their v8.0 meaning.
 * Alignment checking (A) stays off so that C code may do unaligned normal-memory loads.
 */
#define A64_SCTLR_EL1_RES1 0x30d00800
#define A64_SCTLR_M A64_U64(0x1)    /* stage 1 MMU */
#define A64_SCTLR_C A64_U64(0x4)    /* data cacheability */
#define A64_SCTLR_SA A64_U64(0x8)   /* SP alignment check at EL1 */
#define A64_SCTLR_I A64_U64(0x1000) /* instruction cacheability */

/*
 * MAIR_EL1: attribute index -> memory type. Index 0 Device-nGnRnE for MMIO,
 * 1 Normal write-back read/write-allocate, 2 Normal non-cacheable (write-combining for
 * framebuffers later).
 */
#define A64_ATTR_DEVICE 0
#define A64_ATTR_NORMAL 1
#define A64_ATTR_NORMAL_NC 2
#define A64_MAIR_EL1_VALUE 0x44ff00

/*
 * TCR_EL1: 4 KiB granule and a 47-bit range per half (T0SZ = T1SZ = 17), walks
 * inner-shareable write-back cacheable. IPS is filled in at run time from
 * ID_AA64MMFR0_EL1.PARange (capped at 48 bits: 52-bit output needs FEAT_LPA).
 * TG1 encodes 4 KiB as 0b10, unlike TG0 where it is 0b00.
 *
 * 47 bits per half, not 48: TTBR0 then translates exactly [0, 2^47) and TTBR1 exactly
 * [2^64 - 2^47, 2^64), the two halves of a 48-bit canonical space as on x86_64, and any
 * other address faults. The level-0 table of each half has 256 entries, so one
 * 512-entry root holds both: entries 0-255 are TTBR0's table, entries 256-511 (the
 * root plus A64_TTBR1_ROOT_OFFSET) are TTBR1's. With 48 bits per half and the same
 * root in both registers, each half would also reach the other's mappings at a second
 * address (TTBR0 at 0x0000ffff80000000 would read the kernel).
 */
#define A64_TCR_EL1_VALUE 0xb5113511
#define A64_TTBR1_ROOT_OFFSET 0x800 /* 256 entries of 8 bytes: a 2 KiB-aligned table */
#define A64_TCR_IPS_SHIFT 32
#define A64_PARANGE_MAX 5

/* Translation table descriptors (stage 1, 4 KiB granule). */
#define A64_PTE_TABLE 0x3              /* next-level table */
#define A64_PTE_BLOCK 0x1              /* block at level 1 (1 GiB) or 2 (2 MiB) */
#define A64_PTE_ATTR(idx) ((idx) << 2) /* AttrIndx[2:0] */
#define A64_PTE_SH_INNER (3 << 8)
#define A64_PTE_AF (1 << 10)
#define A64_PTE_PXN A64_U64(0x0020000000000000)
#define A64_PTE_UXN A64_U64(0x0040000000000000)

/*
 * The boot page tables, in the .boot_pgtables section. TTBR1: levels 0, 1 and 2 for
 * KERNEL_VBASE, with KERNEL_MAX_SIZE mapped by 2 MiB blocks onto the load address; the
 * level-0 page is indexed as one 512-entry table (A64_KVA_L0_INDEX) and TTBR1 points at
 * its upper half (A64_TTBR1_ROOT_OFFSET), as it does for Keel's own table later.
 * TTBR0, the boot identity map: entry.S maps only what it must, in 2 MiB blocks (the
 * image, executable, and the DTB's block(s)), taking level-2 tables from A64_PGT_ID_L2;
 * the board layer then adds RAM and device pages from the DTB through arch_early_map
 * (arch/aarch64/boot_map.c), which takes its tables from the pool after them.
 */
#define A64_PAGE_SIZE 4096
#define A64_BLOCK_L1_SHIFT 30
#define A64_BLOCK_L2_SHIFT 21
#define A64_BLOCK_L2_SIZE 0x200000
#define A64_KERNEL_ALIGN 0x200000 /* the Image header promises 2 MiB placement */
#define A64_KVA_L0_INDEX ((KERNEL_VBASE >> 39) & 0x1ff)
#define A64_KVA_L1_INDEX ((KERNEL_VBASE >> 30) & 0x1ff)
#define A64_KVA_L2_INDEX ((KERNEL_VBASE >> 21) & 0x1ff)
#define A64_KERNEL_L2_BLOCKS (KERNEL_MAX_SIZE >> A64_BLOCK_L2_SHIFT)

/* What entry.S can map 1:1 itself: one level-1 table, the first 512 GiB. */
#define A64_ENTRY_IDMAP_SHIFT 39
/*
 * How much of a DTB entry.S maps: the arm64 boot protocol caps a DTB at 2 MiB, but
 * QEMU's -dtb hands over twice the file's size, so this leaves room; a corrupt
 * totalsize maps no more. 32 MiB crosses at most one GiB boundary.
 */
#define A64_DTB_MAX 0x2000000
#define A64_FDT_MAGIC 0xd00dfeed

/* Offsets inside .boot_pgtables. */
#define A64_PGT_ID_L0 (0 * A64_PAGE_SIZE)
#define A64_PGT_ID_L1 (1 * A64_PAGE_SIZE)
#define A64_PGT_K_L0 (2 * A64_PAGE_SIZE)
#define A64_PGT_K_L1 (3 * A64_PAGE_SIZE)
#define A64_PGT_K_L2 (4 * A64_PAGE_SIZE)
/* The image (up to 16 MiB) and the DTB may each cross a GiB boundary: four tables. */
#define A64_PGT_ID_L2 (5 * A64_PAGE_SIZE)
#define A64_PGT_ID_L2_END (9 * A64_PAGE_SIZE)
#define A64_PGT_ENTRY_SIZE A64_PGT_ID_L2_END /* the part entry.S writes with the MMU off */
#define A64_PGT_POOL_PAGES 48
#define A64_PGT_SIZE (A64_PGT_ENTRY_SIZE + A64_PGT_POOL_PAGES * A64_PAGE_SIZE)

/* The stack exception vectors run on (SP_EL1); the kernel itself runs on SP_EL0. */
#define A64_EXCEPTION_STACK_SIZE 0x2000

/* Arm semihosting (A64: HLT #0xf000) and PSCI function numbers. */
#define A64_SEMIHOST_SYS_EXIT 0x18
#define A64_SEMIHOST_APPLICATION_EXIT 0x20026
#define A64_PSCI_SYSTEM_OFF 0x84000008

#endif

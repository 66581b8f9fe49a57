/* SPDX-License-Identifier: MIT */
/* riscv64 supervisor CSRs, page-table bits, the boot tables' layout and SBI numbers (C and asm). */
#ifndef RV_CSR_H
#define RV_CSR_H

/* sstatus (privileged spec, "Supervisor Status Register"). */
#define RV_SSTATUS_SIE 0x2
#define RV_SSTATUS_SUM 0x40000

/* satp: MODE in [63:60] (8 Sv39, 9 Sv48, 10 Sv57), ASID [59:44], PPN [43:0]. */
#define RV_SATP_MODE_SHIFT 60
#define RV_SATP_MODE_SV39 8
#define RV_SATP_MODE_SV48 9
#define RV_SATP_PPN_MASK 0xfffffffffff
#define RV_SV39_VA_BITS 39

/* scause's exception codes (its bit 63 marks an interrupt). */
#define RV_EXC_INST_MISALIGNED 0
#define RV_EXC_INST_ACCESS 1
#define RV_EXC_ILLEGAL 2
#define RV_EXC_BREAKPOINT 3
#define RV_EXC_LOAD_MISALIGNED 4
#define RV_EXC_LOAD_ACCESS 5
#define RV_EXC_STORE_MISALIGNED 6
#define RV_EXC_STORE_ACCESS 7
#define RV_EXC_ECALL_U 8
#define RV_EXC_ECALL_S 9
#define RV_EXC_INST_PAGE_FAULT 12
#define RV_EXC_LOAD_PAGE_FAULT 13
#define RV_EXC_STORE_PAGE_FAULT 15

/* Page-table entry bits (arch/pte.h has the whole layout). */
#define RV_PTE_V 0x1
#define RV_PTE_R 0x2
#define RV_PTE_W 0x4
#define RV_PTE_X 0x8
#define RV_PTE_G 0x20
#define RV_PTE_A 0x40
#define RV_PTE_D 0x80

#define RV_PAGE_SIZE 4096
#define RV_BLOCK_2M_SHIFT 21
#define RV_BLOCK_2M_SIZE 0x200000
/* The Image must be loaded 2 MiB-aligned: entry.S maps it at KERNEL_VBASE in 2 MiB leaves. */
#define RV_KERNEL_ALIGN RV_BLOCK_2M_SIZE
#define RV_KERNEL_2M_LEAVES 8 /* KERNEL_MAX_SIZE / 2 MiB */

/*
 * The boot tables (.boot_pgtables, entry.S): the root, the kernel half's level-1 and
 * level-2 tables, then the pool boot_map.c takes the identity map's tables from.
 * KERNEL_VBASE 0xffffffff80000000 is root entry 511, level-1 entry 510, level-2 entry 0.
 */
#define RV_PGT_ROOT 0
#define RV_PGT_K1 0x1000
#define RV_PGT_K2 0x2000
#define RV_PGT_FIXED_SIZE 0x3000
#define RV_PGT_POOL_PAGES 32
#define RV_PGT_SIZE (RV_PGT_FIXED_SIZE + RV_PGT_POOL_PAGES * RV_PAGE_SIZE)
#define RV_KVA_ROOT_INDEX 511
#define RV_KVA_K1_INDEX 510

/* The exception stack of the boot hart (entry.S); secondary harts get their own. */
#define RV_EXCEPTION_STACK_SIZE 0x2000

/* SBI (RISC-V Supervisor Binary Interface 2.0): extension ids in a7, function ids in a6. */
#define RV_SBI_LEGACY_PUTCHAR 0x01
#define RV_SBI_EXT_BASE 0x10
#define RV_SBI_BASE_PROBE 3
#define RV_SBI_EXT_HSM 0x48534d
#define RV_SBI_HSM_HART_START 0
#define RV_SBI_EXT_SRST 0x53525354
#define RV_SBI_SRST_SHUTDOWN 0
#define RV_SBI_SRST_REASON_NONE 0
#define RV_SBI_SRST_REASON_FAILURE 1
#define RV_SBI_EXT_RFENCE 0x52464e43
#define RV_SBI_RFENCE_SFENCE_VMA 1

#endif

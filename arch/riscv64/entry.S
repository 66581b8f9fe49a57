/* SPDX-License-Identifier: MIT */
/* The RISC-V Image header and the entry path: boot page tables, Sv48 or Sv39 on, into C. */

#include <keel/layout.h>
#include <rv/csr.h>
#include <rv/smp.h>

/*
 * Registers that live across the entry path (nothing here calls C before the end):
 *   s0 = the time CSR at the first instruction
 *   s1 = the hart id the loader passed in a0
 *   s2 = the DTB physical address the loader passed in a1
 *   s3 = physical address of the image's first byte (the load address)
 *   s4 = the boot tables (physical)
 *   s5 = the satp value that turned paging on (rv_boot_satp)
 * The loader enters in S-mode with paging off (satp = 0) and interrupts off.
 */

    .section .text.head, "ax"
    .globl _start
_start:
    /*
     * Image header, 64 bytes (the RISC-V Image format Linux's boot protocol defines and
     * QEMU's -kernel and U-Boot's booti read): code0 jumps over it, code1 is unused.
     */
    j       rv_entry                /* code0 */
    .balign 8
    .quad   RV_KERNEL_ALIGN         /* text_offset: booti loads at a 2 MiB boundary + this */
    .quad   rv_image_size           /* image_size: file plus BSS, from the linker script */
    .quad   0                       /* flags: little-endian */
    .long   0x2                     /* version 0.2 */
    .long   0                       /* res1 */
    .quad   0                       /* res2 */
    .ascii  "RISCV\0\0\0"           /* magic (deprecated, still read) */
    .ascii  "RSC\x05"               /* magic2 */
    .long   0                       /* res3: no PE header */

    .text
rv_entry:
    csrw    sie, zero
    csrci   sstatus, RV_SSTATUS_SIE
    /*
     * The image entry is for one hart. Another that comes here was sent by the SBI to
     * the loader's address instead of the one hart_start gave it (OpenSBI 1.1's HSM
     * can let a waiting hart see its start request before the address is written):
     * it goes on as the secondary hart it is (rv_entry_again). rv_entered is in .data,
     * which the BSS clear below does not touch.
     */
    lla     t0, rv_entered
    li      t1, 1
    amoswap.w.aqrl t1, t1, (t0)
    bnez    t1, rv_entry_again
    rdtime  s0
    mv      s1, a0
    mv      s2, a1
    lla     s3, _start

    /* The 2 MiB leaves of the kernel mapping need a 2 MiB-aligned load address. */
    li      t0, RV_KERNEL_ALIGN - 1
    and     t0, s3, t0
    lla     a0, msg_align
    bnez    t0, rv_entry_fail

    /* The fixed part of the boot tables (root, kernel level 1 and 2), cleared. */
    lla     s4, rv_boot_pgtables
    mv      t0, s4
    li      t1, RV_PGT_FIXED_SIZE
    add     t1, t0, t1
1:  sd      zero, 0(t0)
    sd      zero, 8(t0)
    addi    t0, t0, 16
    bltu    t0, t1, 1b

    /* root[511] -> kernel level 1, level1[510] -> kernel level 2: table entries, V only. */
    li      t0, RV_PGT_K1
    add     t0, s4, t0
    srli    t0, t0, 12
    slli    t0, t0, 10
    ori     t0, t0, RV_PTE_V
    li      t1, RV_KVA_ROOT_INDEX * 8
    add     t1, s4, t1
    sd      t0, 0(t1)
    li      t1, RV_PGT_K1 + RV_KVA_K1_INDEX * 8
    add     t1, s4, t1
    li      t0, RV_PGT_K2
    add     t0, s4, t0
    srli    t0, t0, 12
    slli    t0, t0, 10
    ori     t0, t0, RV_PTE_V
    sd      t0, 0(t1)

    /*
     * KERNEL_VBASE -> the load address, KERNEL_MAX_SIZE in 2 MiB leaves, readable,
     * writable and executable until the memory sequence's own table applies W^X.
     */
    li      t1, RV_PGT_K2
    add     t1, s4, t1
    srli    t0, s3, 12
    slli    t0, t0, 10
    ori     t0, t0, RV_PTE_V | RV_PTE_R | RV_PTE_W | RV_PTE_X | RV_PTE_A | RV_PTE_D | RV_PTE_G
    li      t2, RV_KERNEL_2M_LEAVES
    li      t3, (RV_BLOCK_2M_SIZE >> 12) << 10
2:  sd      t0, 0(t1)
    add     t0, t0, t3
    addi    t1, t1, 8
    addi    t2, t2, -1
    bnez    t2, 2b

    /*
     * Paging on. There is no identity map: the instruction after the satp write is fetched
     * either through the old (bare) translation, or it faults, and the trap goes to stvec,
     * the kernel-half address of rv_higher_half. Either way the path continues there.
     * Sv48 first, with the root. A hart without Sv48 ignores the write (satp is WARL: a
     * mode it lacks leaves satp 0) and gets Sv39, whose root is the kernel's level-1
     * table: Sv39's root indexes VA[38:30], where KERNEL_VBASE is entry 510 as in that
     * table. A hart with neither is told.
     */
    lla     t0, higher_half_addr
    ld      t1, 0(t0)
    csrw    stvec, t1
    srli    s5, s4, 12
    li      t0, RV_SATP_MODE_SV48
    slli    t0, t0, RV_SATP_MODE_SHIFT
    or      s5, s5, t0
    sfence.vma
    csrw    satp, s5
    csrr    t0, satp
    bnez    t0, 8f
    li      t0, RV_PGT_K1
    add     t0, s4, t0
    srli    s5, t0, 12
    li      t0, RV_SATP_MODE_SV39
    slli    t0, t0, RV_SATP_MODE_SHIFT
    or      s5, s5, t0
    csrw    satp, s5
    csrr    t0, satp
    lla     a0, msg_paging
    beqz    t0, rv_entry_fail
8:  jr      t1

    .balign 4
rv_higher_half:
    lla     sp, __boot_stack_top
    lla     t0, rv_trap_vector
    csrw    stvec, t0
    lla     t0, rv_exception_stack_top
    csrw    sscratch, t0            /* the trap vector's stack (below) */
    mv      tp, zero
    mv      gp, zero
    sfence.vma

    /* .bss from above the boot stack: the guard page is never written. */
    lla     t0, __boot_stack_top
    lla     t1, __bss_end
3:  bgeu    t0, t1, 4f
    sd      zero, 0(t0)
    sd      zero, 8(t0)
    addi    t0, t0, 16
    j       3b
4:
    lla     t0, rv_entry_cycles_value
    sd      s0, 0(t0)
    lla     t0, rv_phys_base
    sd      s3, 0(t0)
    lla     t0, rv_boot_hart
    sd      s1, 0(t0)
    lla     t0, rv_boot_satp
    sd      s5, 0(t0)

    mv      fp, zero                /* end of the frame-pointer chain */
    mv      ra, zero
    mv      a0, s2
    mv      a1, s1
    call    rv_start
    j       rv_halt

/*
 * A hart at the image entry after the first (a0 its hart id, paging off): the boot
 * context that arch_cpu_start recorded for it in rv_ap_contexts (pairs of hart id + 1
 * and the context's physical address), and on into rv_ap_entry; a hart that has none
 * was not started by Keel and waits with interrupts off for good.
 */
rv_entry_again:
    lla     t0, rv_ap_contexts
    li      t1, RV_AP_CONTEXTS_SIZE
    add     t1, t0, t1
    addi    t2, a0, 1
1:  bgeu    t0, t1, 2f
    ld      t3, 0(t0)
    beq     t3, t2, 3f
    addi    t0, t0, 16
    j       1b
2:  wfi
    j       2b
3:  fence   r, r
    ld      a1, 8(t0)
    j       rv_ap_entry

/*
 * A secondary hart, started by the SBI's hart_start (smp.c): S-mode, paging off, a0 its
 * hart id, a1 its boot context (struct rv_ap_boot, physical). Paging goes on with
 * Keel's own table the way the boot hart's went on with the boot tables: the table maps
 * no identity alias of this code, so the fetch after the satp write traps to stvec, the
 * kernel-half address of rv_ap_higher_half, unless it runs on and jumps there itself.
 * tp holds the per-CPU area, sscratch the hart's exception stack top.
 */
    .globl rv_ap_entry
rv_ap_entry:
    csrw    sie, zero
    csrci   sstatus, RV_SSTATUS_SIE
    ld      t0, RV_AP_SATP(a1)
    ld      sp, RV_AP_SP(a1)
    ld      tp, RV_AP_PERCPU(a1)
    ld      s1, RV_AP_EXC_SP(a1)
    ld      s2, RV_AP_ENTRY(a1)
    lla     t1, ap_higher_half_addr
    ld      t1, 0(t1)
    csrw    stvec, t1
    sfence.vma
    csrw    satp, t0
    jr      t1

    .balign 4
rv_ap_higher_half:
    sfence.vma
    csrw    sscratch, s1
    lla     t0, rv_trap_vector
    csrw    stvec, t0
    mv      gp, zero
    mv      fp, zero
    mv      ra, zero
    mv      a0, tp
    jr      s2                      /* keel_ap_main(pc), which never returns */

/*
 * Before paging is on nothing of Keel's console runs: the message in a0 goes out through
 * the SBI's legacy console putchar (the one call every SBI has), then the SBI's system
 * reset ends the run. Only registers and the image's own read-only bytes are used.
 */
rv_entry_fail:
    mv      s5, a0
5:  lbu     a0, 0(s5)
    beqz    a0, 6f
    li      a7, RV_SBI_LEGACY_PUTCHAR
    ecall
    addi    s5, s5, 1
    j       5b
6:  li      a7, RV_SBI_EXT_SRST
    li      a6, 0
    li      a0, RV_SBI_SRST_SHUTDOWN
    li      a1, RV_SBI_SRST_REASON_FAILURE
    ecall
    j       rv_halt

/*
 * The trap vector (direct mode). sscratch holds this hart's exception stack top (the
 * boot hart's below, a secondary's from its per-CPU area), so a stack overflow into a
 * guard page is still reported. Every trap is fatal for now: the entry takes a fresh
 * stack each time, which a fault inside the handler cannot run off either, and the
 * interrupted sp is lost, as the report is built from the CSRs alone.
 */
    .balign 4
    .globl rv_trap_vector
rv_trap_vector:
    csrr    sp, sscratch
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    mv      fp, zero
    mv      ra, zero
    call    rv_trap
    j       rv_halt

    .globl rv_halt
rv_halt:
    csrci   sstatus, RV_SSTATUS_SIE
7:  wfi
    j       7b

    .section .rodata
    .balign 8
higher_half_addr:
    .quad   rv_higher_half
ap_higher_half_addr:
    .quad   rv_ap_higher_half
msg_align:
    .asciz  "keel: error: entry: the image is not loaded at a 2 MiB boundary\n"
msg_paging:
    .asciz  "keel: error: entry: the hart has neither Sv48 nor Sv39 paging (satp refused modes 9 and 8)\n"

    .section .boot_pgtables, "aw", %nobits
    .balign RV_PAGE_SIZE
    .globl rv_boot_pgtables
rv_boot_pgtables:
    .skip   RV_PGT_SIZE

    /* The boot stack and its guard page are placed by the linker script. */
    .bss
    .balign 16
    .globl rv_exception_stack_bottom, rv_exception_stack_top
rv_exception_stack_bottom:
    .skip   RV_EXCEPTION_STACK_SIZE
rv_exception_stack_top:

    .section .data
    .balign 8
rv_entered:
    .word   0

/* SPDX-License-Identifier: MIT */
/*
 * The null kernel: the least a riscv64 image can do, to measure the loader's share of a
 * boot. A RISC-V Image (for QEMU's -kernel and U-Boot's booti) that prints one line on
 * QEMU virt's ns16550a and leaves through its test finisher with code 0. Paging stays
 * off: every address is PC-relative or the device's physical one.
 */

#include <rv/csr.h>

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE 0x20
#define TX_POLL_BOUND 0x100000
/* QEMU virt's UART and test device: the null kernel is a baseline for that board alone. */
#define NULL_UART_BASE 0x10000000
#define NULL_FINISHER_BASE 0x100000
#define FINISHER_PASS 0x5555

    .section .text.head, "ax"
    .globl _start
_start:
    j       null_entry              /* code0 */
    .balign 8
    .quad   RV_KERNEL_ALIGN         /* text_offset, as Keel's image */
    .quad   null_image_size         /* image_size */
    .quad   0                       /* flags: little-endian */
    .long   0x2                     /* version 0.2 */
    .long   0
    .quad   0
    .ascii  "RISCV\0\0\0"
    .ascii  "RSC\x05"
    .long   0

    .text
null_entry:
    csrw    sie, zero
    li      t1, NULL_UART_BASE
    lla     t2, message
1:  lbu     t3, 0(t2)
    beqz    t3, 4f
    li      t4, TX_POLL_BOUND
2:  lbu     t5, UART_LSR(t1)
    andi    t5, t5, LSR_THRE
    bnez    t5, 3f
    addi    t4, t4, -1
    bnez    t4, 2b
    addi    t2, t2, 1               /* no UART answered: drop the byte */
    j       1b
3:  sb      t3, UART_THR(t1)
    addi    t2, t2, 1
    j       1b
4:  li      t1, NULL_FINISHER_BASE
    li      t3, FINISHER_PASS
    sw      t3, 0(t1)
    /* Not reached on QEMU virt; else the SBI's system reset. */
    li      a7, RV_SBI_EXT_SRST
    li      a6, 0
    li      a0, RV_SBI_SRST_SHUTDOWN
    li      a1, RV_SBI_SRST_REASON_NONE
    ecall
5:  wfi
    j       5b

    .section .rodata
message:
    .asciz  "keel-null: hello\n"

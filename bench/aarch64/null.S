/* SPDX-License-Identifier: MIT */
/* The null kernel: an arm64 Image that prints one line and exits, to time the loader alone. */

#include <a64/sysreg.h>

#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_FR_TXFF 0x20
#define TX_POLL_BOUND 0x100000
/* QEMU virt's first PL011: the null kernel is a baseline for that board alone. */
#define NULL_UART_BASE 0x09000000

/*
 * Runs with the MMU off at whatever EL the loader chose (1 or 2), so every address is
 * physical and taken PC-relative: the Image works from any 2 MiB-aligned address.
 */
    .section .text.head, "ax"
    .globl _start
_start:
    nop                             /* code0 */
    b       null_entry              /* code1 */
    .quad   0                       /* text_offset */
    .quad   null_image_size         /* image_size */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, place anywhere */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5 */

    .text
null_entry:
    msr     daifset, #0xf
    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2
    ldr     x1, =NULL_UART_BASE
    adr     x2, message
1:  ldrb    w3, [x2], #1
    cbz     w3, 4f
    mov     x4, #TX_POLL_BOUND
2:  ldr     w5, [x1, #PL011_FR]
    tst     w5, #PL011_FR_TXFF
    b.eq    3f
    subs    x4, x4, #1
    b.ne    2b
    b       1b                      /* no UART answered: drop the byte */
3:  strb    w3, [x1, #PL011_DR]
    b       1b

    /* Semihosting SYS_EXIT with status 0; QEMU must run with semihosting enabled. */
4:  mov     x0, #A64_SEMIHOST_SYS_EXIT
    adr     x1, exit_block
    hlt     #0xf000

    /* Not reached under semihosting; else PSCI SYSTEM_OFF as QEMU's virt advertises it. */
    ldr     x0, =A64_PSCI_SYSTEM_OFF
    cmp     x20, #2
    b.eq    5f
    hvc     #0
    b       6f
5:  smc     #0
6:  wfi
    b       6b

    .ltorg
    .balign 8
exit_block:
    .quad   A64_SEMIHOST_APPLICATION_EXIT
    .quad   0
message:
    .asciz  "keel-null: hello\n"

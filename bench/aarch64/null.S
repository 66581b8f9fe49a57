/* SPDX-License-Identifier: MIT */
/*
 * The null kernel: the least an aarch64 image can do, to measure the loader's share of a
 * boot. Like Keel's image it is one file with two doors: an arm64 Image (for QEMU's
 * -kernel and U-Boot's booti) whose header is also the DOS header of a PE32+ EFI
 * application (for AAVMF and U-Boot's bootefi), so that each loader takes the same
 * path for both. Every entry prints one line on QEMU virt's PL011 and leaves through
 * semihosting SYS_EXIT; the EFI entry leaves boot services running.
 */

#include <keel/pe.h>
#include <a64/sysreg.h>

#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_FR_TXFF 0x20
#define TX_POLL_BOUND 0x100000
/* QEMU virt's first PL011: the null kernel is a baseline for that board alone. */
#define NULL_UART_BASE 0x09000000

/*
 * The file: the headers in the first page, the code in the second, one PE section that
 * maps the second page at its own file offset, so that the image in memory is the file.
 */
    .section .text.head, "ax"
    .globl _start
_start:
    /* code0: "MZ", which decodes as `ccmp x18, #0, #0xd, pl` (flags only): falls through. */
    .ascii  "MZ"
    .short  0xfa40
    b       null_entry              /* code1 */
    .quad   0                       /* text_offset */
    .quad   null_image_size         /* image_size */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, place anywhere */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   null_pe_header - _start             /* res5: e_lfanew, the PE header at 0x40 (U-Boot's place) */
    .globl null_pe_header
null_pe_header:
    pe_header PE_MACHINE_ARM64, 1, null_code_size, 0, 0, (null_efi_entry - _start), \
              null_code_rva, 0, A64_PAGE_SIZE, null_image_size, null_code_rva
    pe_section ".text\0\0\0", null_code_size, null_code_rva, null_code_size, \
               PE_SCN_CODE | PE_SCN_EXECUTE | PE_SCN_READ

/*
 * The Image entry runs with the MMU off at whatever EL the loader chose (1 or 2); the
 * EFI entry at EL1 on the firmware's identity map, which maps the PL011 as a device.
 * Either way every address is taken PC-relative or is the UART's physical one.
 */
    .text
null_efi_entry:
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

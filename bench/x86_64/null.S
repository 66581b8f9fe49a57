/* SPDX-License-Identifier: MIT */
/*
 * The null kernel: the least an x86_64 image can do, to measure the loader's share of a
 * boot. Like Keel's image it is one flat file with two doors: a PE32+ EFI application
 * (for OVMF) whose first page also holds a multiboot2 header (for GRUB, BIOS or UEFI),
 * with the same tags as Keel's, so that each loader takes the same path for both.
 * Every entry prints one line on COM1 and leaves through isa-debug-exit.
 */

#include <keel/pe.h>

#define IMAGE_BASE 0x200000 /* where the multiboot2 address tag puts the file */
#define PAGE 0x1000
#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_OPTIONAL 1

    .section .text, "ax"
image:
    /* DOS header: the magic and e_lfanew */
    .ascii "MZ"
    .skip 0x3c - 2
    .long pe - image
pe:
    pe_header PE_MACHINE_X86_64, 1, PAGE, 0, 0, (efi_entry - image), PAGE, IMAGE_BASE, PAGE, \
        (image_end - image), PAGE
    pe_section ".text\0\0\0", PAGE, PAGE, PAGE, \
        PE_SCN_CODE | PE_SCN_EXECUTE | PE_SCN_READ | PE_SCN_WRITE

    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long 0 /* i386 */
    .long mb2_end - mb2_header
    .long -(MB2_HEADER_MAGIC + (mb2_end - mb2_header))
    .short 2, 0 /* address: the whole file at IMAGE_BASE */
    .long 24
    .long IMAGE_BASE + (mb2_header - image), IMAGE_BASE, 0, 0
    .short 3, 0 /* entry, 32-bit */
    .long 12
    .long IMAGE_BASE + (entry32 - image)
    .balign 8
    .short 7, MB2_OPTIONAL /* EFI boot services kept */
    .long 8
    .short 9, MB2_OPTIONAL /* EFI amd64 entry */
    .long 12
    .long IMAGE_BASE + (entry64 - image)
    .balign 8
    .short 0, 0 /* end */
    .long 8
mb2_end:

    .balign PAGE
hello:
    .asciz "keel-null: hello\r\n"

/*
 * COM1 to 115200 8N1, then `hello` byte by byte, each after THRE with a bound, then 0 to
 * isa-debug-exit (QEMU status 1, which ./keel reports as exit code 0). \ptr holds the
 * address of `hello`; only port I/O, no stack.
 */
.macro say_hello_and_exit ptr
    mov $COM1 + 1, %dx
    xor %al, %al
    out %al, %dx
    mov $COM1 + 3, %dx
    mov $0x80, %al
    out %al, %dx
    mov $COM1, %dx
    mov $1, %al
    out %al, %dx
    mov $COM1 + 1, %dx
    xor %al, %al
    out %al, %dx
    mov $COM1 + 3, %dx
    mov $3, %al
    out %al, %dx
1:
    movb (\ptr), %bl
    test %bl, %bl
    jz 4f
    mov $COM1 + 5, %dx
    mov $100000, %ecx
2:
    in %dx, %al
    test $0x20, %al
    jnz 3f
    dec %ecx
    jnz 2b
3:
    mov $COM1, %dx
    mov %bl, %al
    out %al, %dx
    inc \ptr
    jmp 1b
4:
    xor %eax, %eax
    out %eax, $DEBUG_EXIT_PORT
5:
    cli
    hlt
    jmp 5b
.endm

    /* multiboot2, 32-bit protected mode, at IMAGE_BASE */
    .code32
    .globl entry32
entry32:
    mov $IMAGE_BASE + (hello - image), %esi
    say_hello_and_exit %esi

    /* UEFI (and GRUB's EFI amd64 entry): long mode, anywhere */
    .code64
efi_entry:
entry64:
    lea hello(%rip), %rsi
    say_hello_and_exit %rsi

    .balign PAGE
image_end:

    .section .note.GNU-stack, "", @progbits

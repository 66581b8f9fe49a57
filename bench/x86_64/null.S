/* SPDX-License-Identifier: MIT */
/* The null kernel: the least a multiboot2 image can do, to measure the loader's share of a boot. */

#define MB2_HEADER_MAGIC 0xe85250d6
#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

/* Header, no tags but the end tag: GRUB loads the ELF at its physical addresses. */
    .section .multiboot2, "a"
    .balign 8
header:
    .long MB2_HEADER_MAGIC
    .long 0 /* i386 */
    .long header_end - header
    .long -(MB2_HEADER_MAGIC + (header_end - header))
    .short 0 /* end tag */
    .short 0
    .long 8
header_end:

    .section .rodata, "a"
hello:
    .asciz "keel-null: hello\r\n"

/*
 * 32-bit protected mode, no stack, no GDT needed: only port I/O. COM1 is set to
 * 115200 8N1; each byte waits for THRE with a bound. isa-debug-exit turns the
 * written 0 into QEMU status 1, which ./keel reports as exit code 0.
 */
    .text
    .code32
    .globl null_entry
null_entry:
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

    mov $hello, %esi
1:
    movb (%esi), %bl
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
    inc %esi
    jmp 1b
4:
    xor %eax, %eax
    out %eax, $DEBUG_EXIT_PORT
5:
    cli
    hlt
    jmp 5b

    .section .note.GNU-stack, "", @progbits

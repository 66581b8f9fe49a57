/* SPDX-License-Identifier: MIT */
/* The 32 exception vector stubs: each builds a struct x86_exception_frame for x86_exception. */
#include <x86/defs.h>

/*
 * The CPU pushes an error code for some vectors only (SDM vol. 3, 6.13); the stubs
 * push a zero for the others so that every frame has the same layout.
 */
.macro vector_stub vec, has_error
    .balign 16
vector_\vec:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vec
    jmp exception_common
.endm

    .text
    .code64
    vector_stub 0, 0
    vector_stub 1, 0
    vector_stub 2, 0
    vector_stub 3, 0
    vector_stub 4, 0
    vector_stub 5, 0
    vector_stub 6, 0
    vector_stub 7, 0
    vector_stub 8, 1
    vector_stub 9, 0
    vector_stub 10, 1
    vector_stub 11, 1
    vector_stub 12, 1
    vector_stub 13, 1
    vector_stub 14, 1
    vector_stub 15, 0
    vector_stub 16, 0
    vector_stub 17, 1
    vector_stub 18, 0
    vector_stub 19, 0
    vector_stub 20, 0
    vector_stub 21, 1
    vector_stub 22, 0
    vector_stub 23, 0
    vector_stub 24, 0
    vector_stub 25, 0
    vector_stub 26, 0
    vector_stub 27, 0
    vector_stub 28, 0
    vector_stub 29, 1
    vector_stub 30, 1
    vector_stub 31, 0

/* The push order is the reverse of the field order of struct x86_exception_frame. */
exception_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    and $-16, %rsp
    cld
    call x86_exception
    ud2

    .section .rodata
    .balign 8
    .globl x86_exception_stubs
x86_exception_stubs:
    .irp vec, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    .quad vector_\vec
    .endr
    .irp vec, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    .quad vector_\vec
    .endr

    .section .note.GNU-stack, "", @progbits

/* SPDX-License-Identifier: MIT */
/* The secondary CPUs' way in: the real-mode trampoline (16 -> 32 -> 64-bit) and the kernel entry. */
#include <x86/defs.h>
#include <x86/smp.h>

/*
 * The template of the trampoline page. smp.c copies it to a page P below 1 MiB, which
 * the kernel's table maps 1:1 while the CPUs start, and patches the words at the
 * X86_TRAMP_* offsets (x86/smp.h). A SIPI with vector P >> 12 starts the CPU here in
 * real mode, CS = P >> 4, IP = 0, interrupts off, caches disabled (CD, NW). Nothing is
 * written and no stack is used: every CPU runs the same page at once.
 */
    .section .rodata.x86_ap_trampoline, "a"
    .balign 16
    .globl x86_ap_trampoline
x86_ap_trampoline:
    .code16
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    movzwl %ax, %esi
    shl $4, %esi                    /* %esi = P, for the 32- and 64-bit parts */
    lgdtl X86_TRAMP_GDTR
    mov %cr0, %eax
    or $X86_CR0_PE, %eax
    mov %eax, %cr0
    ljmpl *X86_TRAMP_FAR32

    /* Protected mode, flat segments, paging off: long mode as the boot CPU entered it. */
    .code32
    .globl x86_ap_tramp32
x86_ap_tramp32:
    mov $X86_TRAMP_SEL_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %cr4, %eax
    or $X86_CR4_PAE, %eax
    mov %eax, %cr4
    mov X86_TRAMP_CR3(%esi), %eax
    mov %eax, %cr3
    mov $X86_MSR_EFER, %ecx
    rdmsr
    or $(X86_EFER_LME | X86_EFER_NXE), %eax
    wrmsr
    mov $X86_AP_CR0, %eax
    mov %eax, %cr0
    /* Paging is on with the kernel's table: this page is still at P (its 1:1 mapping). */
    ljmpl *X86_TRAMP_FAR64(%esi)

    .code64
    .globl x86_ap_tramp64
x86_ap_tramp64:
    mov %esi, %esi                  /* the upper half is undefined after compatibility mode */
    jmp *X86_TRAMP_ENTRY(%rsi)

    /*
     * Flat descriptors, their accessed bits set: the CPU would otherwise write them
     * when it loads one, and the page is read-only once paging is on.
     */
    .org X86_TRAMP_GDT
    .quad 0
    .quad 0x00209b0000000000        /* X86_TRAMP_SEL_CODE64: present, code, L=1 */
    .quad 0x00cf93000000ffff        /* X86_TRAMP_SEL_DATA: flat 4 GiB, writable */
    .quad 0x00cf9b000000ffff        /* X86_TRAMP_SEL_CODE32: flat 4 GiB, D=1 */
    .org X86_TRAMP_SIZE
    .globl x86_ap_trampoline_end
x86_ap_trampoline_end:

/*
 * x86_ap_entry64: long mode on the kernel's table at the kernel's address; no stack
 * yet. The CPU finds its slot in x86_ap_slots by its APIC ID (the way x86_apic_id
 * reads it), takes the stack and per-CPU area there, and calls x86_ap_start. A CPU
 * with no slot stays here, halted.
 */
    .text
    .globl x86_ap_entry64
x86_ap_entry64:
    xor %eax, %eax
    cpuid
    cmp $0xb, %eax
    jb 1f
    mov $0xb, %eax
    xor %ecx, %ecx
    cpuid
    test $0xffff, %ebx
    jz 1f
    mov %edx, %edi
    jmp 2f
1:
    mov $1, %eax
    cpuid
    shr $24, %ebx
    mov %ebx, %edi
2:
    lea x86_ap_slots(%rip), %rbx
    mov x86_ap_slot_count(%rip), %ecx
3:
    test %ecx, %ecx
    jz 4f
    cmp (%rbx), %rdi
    je 5f
    add $X86_AP_SLOT_SIZE, %rbx
    dec %ecx
    jmp 3b
5:
    mov X86_AP_SLOT_STACK(%rbx), %rsp
    mov X86_AP_SLOT_PERCPU(%rbx), %rdi
    xor %ebp, %ebp
    call x86_ap_start
4:
    cli
    hlt
    jmp 4b

    .section .note.GNU-stack, "", @progbits

/* SPDX-License-Identifier: MIT */
/* Multiboot2 header and entry: 32-bit protected mode from GRUB to x86_start in long mode. */
#include <keel/layout.h>
#include <x86/defs.h>

/* The physical address of a higher-half symbol, for use before paging. */
#define PHYS(sym) ((sym) - KERNEL_VBASE + X86_KERNEL_PHYS)

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_FRAMEBUFFER 5
#define MB2_TAG_MODULE_ALIGN 6
#define MB2_TAG_OPTIONAL 1 /* bit 0 of a header tag's flags: the loader may ignore it */

/* The graphics mode Keel asks for; the loader may pick another one or none at all. */
#define MB2_FB_WIDTH 1024
#define MB2_FB_HEIGHT 768
#define MB2_FB_DEPTH 32

/*
 * The multiboot2 header: GRUB scans the first 32 KiB of the file for it at an
 * 8-byte boundary. No address tag: GRUB loads the ELF program headers at their
 * physical addresses and jumps to e_entry, which is x86_entry32's physical address.
 * Modules are asked to be page-aligned so that they can be mapped without copying.
 *
 * The framebuffer tag (type 5, 20 bytes: width, height, depth) asks for a linear
 * graphics mode. It is only a preference: GRUB tries WxHxD, then WxH, then any mode,
 * then EGA text, so the information structure's framebuffer tag says what was set and
 * the shim takes only an RGB one. It is optional, so a loader without video support
 * may boot Keel anyway, on serial only. The tag after it starts at the next 8-byte
 * boundary.
 */
    .section .boot.header, "a"
    .balign 8
    .globl x86_mb2_header
x86_mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - x86_mb2_header
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - x86_mb2_header))
    .balign 8
    .short MB2_TAG_MODULE_ALIGN
    .short 0
    .long 8
    .balign 8
    .short MB2_TAG_FRAMEBUFFER
    .short MB2_TAG_OPTIONAL
    .long 20
    .long MB2_FB_WIDTH
    .long MB2_FB_HEIGHT
    .long MB2_FB_DEPTH
    .balign 8
    .short MB2_TAG_END
    .short 0
    .long 8
mb2_header_end:

    .section .boot.rodata, "a"
    .balign 8
/* The GDT for the switch to long mode; start.c loads its own, with a TSS, later. */
boot_gdt:
    .quad 0
    .quad 0x00209a0000000000 /* X86_SEL_CODE: present, DPL 0, code, L=1 */
    .quad 0x0000920000000000 /* X86_SEL_DATA: present, DPL 0, data, writable */
boot_gdt_end:
    .balign 8
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

no_long_mode_msg:
    .asciz "keel: error: cpu: x86_64 long mode and NX are required\r\n"

/*
 * Machine state from GRUB (Multiboot2 spec, i386 machine state): EAX = magic,
 * EBX = physical address of the information structure, flat 32-bit CS and data
 * segments, paging off, IF clear, A20 on. ESP and GDTR are undefined: no stack and
 * no segment loads until our own GDT is in.
 */
    .section .boot.text, "ax"
    .code32
    .globl x86_entry32
x86_entry32:
    mov %eax, %edi
    rdtsc
    mov %eax, PHYS(x86_entry_tsc)
    mov %edx, PHYS(x86_entry_tsc) + 4
    mov %edi, PHYS(x86_boot_magic)
    mov %ebx, PHYS(x86_boot_info_pa)
    cld

    /*
     * Clear .bss while paging is off, before anything in it is used: the page
     * tables and the boot stack live there. GRUB zeroes it too, but the contract is
     * ours to keep. The length is a whole number of pages.
     */
    mov $PHYS(__bss_start), %edi
    mov $PHYS(__bss_end), %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    mov $PHYS(__boot_stack_top), %esp

    /* CPUID exists when EFLAGS.ID can be toggled. */
    pushfl
    pop %eax
    mov %eax, %ecx
    xor $X86_EFLAGS_ID, %eax
    push %eax
    popfl
    pushfl
    pop %eax
    push %ecx
    popfl
    cmp %eax, %ecx
    je no_long_mode

    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb no_long_mode
    mov $0x80000001, %eax
    cpuid
    and $(X86_CPUID_EXT_LM | X86_CPUID_EXT_NX), %edx
    cmp $(X86_CPUID_EXT_LM | X86_CPUID_EXT_NX), %edx
    jne no_long_mode

    /*
     * Boot page tables, all 2 MiB pages except the first 2 MiB, which goes through a
     * 4 KiB table so that page 0 stays unmapped and a NULL access faults:
     *   PML4[0]   -> pdpt_low, whose 4 entries cover [0, 4 GiB) 1:1;
     *   PML4[511] -> pdpt_high, entry 510 -> pd_kernel: KERNEL_VBASE -> X86_KERNEL_PHYS
     *                for KERNEL_MAX_SIZE.
     * Higher-level entries are writable; the leaf rights are refined by the memory
     * init, which builds its own tables.
     */
    mov $PHYS(pml4), %edi
    mov $PHYS(pdpt_low) + X86_PTE_P + X86_PTE_W, %eax
    mov %eax, (%edi)
    mov $PHYS(pdpt_high) + X86_PTE_P + X86_PTE_W, %eax
    mov %eax, 511 * 8(%edi)

    mov $PHYS(pdpt_low), %edi
    mov $PHYS(pd_low) + X86_PTE_P + X86_PTE_W, %eax
    mov $4, %ecx
1:
    mov %eax, (%edi)
    add $X86_PAGE_SIZE, %eax
    add $8, %edi
    dec %ecx
    jnz 1b

    /* 2048 large pages for [0, 4 GiB); entry 0 is replaced by pt_first below. */
    mov $PHYS(pd_low), %edi
    mov $X86_PTE_P + X86_PTE_W + X86_PTE_PS, %eax
    mov $2048, %ecx
1:
    mov %eax, (%edi)
    add $X86_LARGE_PAGE_SIZE, %eax
    add $8, %edi
    dec %ecx
    jnz 1b

    mov $PHYS(pt_first), %edi
    mov $PHYS(pd_low), %edx
    mov %edi, %eax
    or $(X86_PTE_P | X86_PTE_W), %eax
    mov %eax, (%edx)
    mov $X86_PAGE_SIZE + X86_PTE_P + X86_PTE_W, %eax
    add $8, %edi
    mov $511, %ecx
1:
    mov %eax, (%edi)
    add $X86_PAGE_SIZE, %eax
    add $8, %edi
    dec %ecx
    jnz 1b

    mov $PHYS(pdpt_high), %edi
    mov $PHYS(pd_kernel) + X86_PTE_P + X86_PTE_W, %eax
    mov %eax, 510 * 8(%edi)
    mov $PHYS(pd_kernel), %edi
    mov $X86_KERNEL_PHYS + X86_PTE_P + X86_PTE_W + X86_PTE_PS, %eax
    mov $(KERNEL_MAX_SIZE / X86_LARGE_PAGE_SIZE), %ecx
1:
    mov %eax, (%edi)
    add $X86_LARGE_PAGE_SIZE, %eax
    add $8, %edi
    dec %ecx
    jnz 1b

    /* Long mode: PAE, then CR3, then EFER.LME (and NXE), then paging (SDM 10.8.5). */
    lgdt boot_gdt_ptr
    mov %cr4, %eax
    or $X86_CR4_PAE, %eax
    mov %eax, %cr4
    mov $PHYS(pml4), %eax
    mov %eax, %cr3
    mov $X86_MSR_EFER, %ecx
    rdmsr
    or $(X86_EFER_LME | X86_EFER_NXE), %eax
    wrmsr
    mov %cr0, %eax
    or $(X86_CR0_PG | X86_CR0_WP | X86_CR0_PE), %eax
    mov %eax, %cr0
    ljmp $X86_SEL_CODE, $entry64_low

/* No long mode or no NX: say so on COM1 and leave through isa-debug-exit. */
no_long_mode:
    mov $X86_COM1 + 1, %dx /* IER: no interrupts */
    xor %al, %al
    out %al, %dx
    mov $X86_COM1 + 3, %dx /* LCR: DLAB */
    mov $0x80, %al
    out %al, %dx
    mov $X86_COM1, %dx /* divisor 1: 115200 baud */
    mov $1, %al
    out %al, %dx
    mov $X86_COM1 + 1, %dx
    xor %al, %al
    out %al, %dx
    mov $X86_COM1 + 3, %dx /* 8N1 */
    mov $3, %al
    out %al, %dx
    mov $no_long_mode_msg, %esi
2:
    movb (%esi), %bl
    test %bl, %bl
    jz 4f
    mov $X86_COM1 + 5, %dx /* LSR: wait for THRE, bounded */
    mov $100000, %ecx
3:
    in %dx, %al
    test $0x20, %al
    jnz 5f
    dec %ecx
    jnz 3b
5:
    mov $X86_COM1, %dx
    mov %bl, %al
    out %al, %dx
    inc %esi
    jmp 2b
4:
    mov $X86_EXIT_UNSUPPORTED_CPU, %eax
    out %eax, $X86_DEBUG_EXIT_PORT
6:
    cli
    hlt
    jmp 6b

    .code64
/* Long mode, still at the physical address: reload the data segments, go high. */
entry64_low:
    mov $X86_SEL_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $entry64_high, %rax
    jmp *%rax

    .text
entry64_high:
    movabs $__boot_stack_top, %rsp
    xor %ebp, %ebp
    mov x86_boot_magic(%rip), %edi
    mov x86_boot_info_pa(%rip), %esi
    call x86_start
1:
    cli
    hlt
    jmp 1b

    .data
    .balign 8
    .globl x86_entry_tsc
x86_entry_tsc:
    .quad 0
    .globl x86_boot_magic
x86_boot_magic:
    .long 0
    .globl x86_boot_info_pa
x86_boot_info_pa:
    .long 0

/* The boot page tables; .bss.x86_page_tables is placed first in .bss by the linker script. */
    .section .bss.x86_page_tables, "aw", @nobits
    .balign X86_PAGE_SIZE
    .globl x86_boot_pml4
x86_boot_pml4:
pml4:
    .skip X86_PAGE_SIZE
pdpt_low:
    .skip X86_PAGE_SIZE
pdpt_high:
    .skip X86_PAGE_SIZE
pd_low:
    .skip 4 * X86_PAGE_SIZE
pt_first:
    .skip X86_PAGE_SIZE
pd_kernel:
    .skip X86_PAGE_SIZE

    .section .note.GNU-stack, "", @progbits

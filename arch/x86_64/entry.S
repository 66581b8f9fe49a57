/* SPDX-License-Identifier: MIT */
/* The image's headers (PE32+ and multiboot2) and both entries, up to the C entries in long mode. */
#include <keel/layout.h>
#include <keel/pe.h>
#include <x86/defs.h>

/* The physical address of a higher-half symbol, for use before paging. */
#define PHYS(sym) ((sym) - KERNEL_VBASE + X86_KERNEL_PHYS)

#define EFI_ERROR_BIT 0x8000000000000000
#define EFI_UNSUPPORTED_LOW 3 /* EFI_UNSUPPORTED without its error bit */

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_ADDRESS 2
#define MB2_TAG_ENTRY 3
#define MB2_TAG_EFI_BS 7
#define MB2_TAG_ENTRY_EFI64 9
#define MB2_TAG_FRAMEBUFFER 5
#define MB2_TAG_MODULE_ALIGN 6
#define MB2_TAG_OPTIONAL 1 /* bit 0 of a header tag's flags: the loader may ignore it */

/* The graphics mode Keel asks for; the loader may pick another one or none at all. */
#define MB2_FB_WIDTH 1024
#define MB2_FB_HEIGHT 768
#define MB2_FB_DEPTH 32

/*
 * One file, two doors. The image (the linked kernel, flat, from its first byte to the
 * end of .data) starts with the headers of a PE32+ EFI application, and the multiboot2
 * header follows them inside the first page:
 *  - UEFI firmware reads the PE headers, maps the file as its sections say and calls
 *    x86_efi_entry in long mode, at whatever address it chose. Each section's
 *    VirtualAddress equals its file offset, so the image in memory is the file, and
 *    everything that runs before Keel's own tables is position independent.
 *  - A multiboot2 loader scans the first 32 KiB for the multiboot2 header. Its address
 *    tag says to load the whole file at X86_KERNEL_PHYS and clear up to the end of
 *    .bss; its entry tag names x86_entry32, entered in 32-bit protected mode.
 * The linker script computes every size and address here (__pe_*, __mb2_*).
 */

    .section .boot.pe, "a"
    .globl x86_pe_header
x86_pe_header:
    /* The DOS header: only its magic and e_lfanew (at 0x3c) matter. */
    .ascii "MZ"
    .skip 0x3c - 2
    .long pe_signature - x86_pe_header
pe_signature:
    pe_header PE_MACHINE_X86_64, PE_KEEL_SECTIONS, __pe_text_size, __pe_init_data_size, \
        __pe_bss_size, __pe_entry, __pe_text_rva, X86_KERNEL_PHYS, X86_PAGE_SIZE, \
        __pe_image_size, __pe_text_rva
    pe_keel_sections

/*
 * The multiboot2 header, at an 8-byte boundary in the first 32 KiB. The address tag
 * (2) places the file at X86_KERNEL_PHYS and clears .bss; the entry tag (3) names the
 * 32-bit entry. On UEFI, the EFI boot services tag (7) asks GRUB to keep boot services
 * running, and the EFI amd64 entry tag (9) names the 64-bit entry it then jumps to;
 * both are optional, and a loader without UEFI ignores them. Modules are asked to be
 * page-aligned so that they can be mapped without copying.
 *
 * The framebuffer tag (type 5, 20 bytes: width, height, depth) asks for a linear
 * graphics mode. It is only a preference: GRUB tries WxHxD, then WxH, then any mode,
 * then EGA text, so the information structure's framebuffer tag says what was set and
 * the shim takes only an RGB one. It is optional, so a loader without video support
 * may boot Keel anyway, on serial only. Each tag starts at an 8-byte boundary.
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
    .short MB2_TAG_ADDRESS
    .short 0
    .long 24
    .long x86_mb2_header /* header_addr */
    .long X86_KERNEL_PHYS /* load_addr: the file's first byte */
    .long __mb2_load_end /* load_end_addr: the end of .data */
    .long __mb2_bss_end /* bss_end_addr */
    .balign 8
    .short MB2_TAG_ENTRY
    .short 0
    .long 12
    .long x86_entry32
    .balign 8
    .short MB2_TAG_EFI_BS
    .short MB2_TAG_OPTIONAL
    .long 8
    .balign 8
    .short MB2_TAG_ENTRY_EFI64
    .short MB2_TAG_OPTIONAL
    .long 12
    .long PHYS(x86_mb2_efi_entry)
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
 * early_fail PTR: the one line at PTR (NUL-terminated) on COM1, 115200 8N1, each byte
 * after THRE with a bound, then X86_EXIT_UNSUPPORTED_CPU to isa-debug-exit, then a halt.
 * Port I/O only, no stack: it serves the 32-bit entry (PTR a 32-bit register) and the
 * 64-bit ones (a 64-bit register) before any table or console of Keel's exists.
 */
.macro early_fail ptr
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
2:
    movb (\ptr), %bl
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
    inc \ptr
    jmp 2b
4:
    mov $X86_EXIT_UNSUPPORTED_CPU, %eax
    out %eax, $X86_DEBUG_EXIT_PORT
6:
    cli
    hlt
    jmp 6b
.endm

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
     * The boot identity map, all 2 MiB pages except the first 2 MiB, which goes through
     * a 4 KiB table so that page 0 stays unmapped and a NULL access faults:
     * PML4[0] -> pdpt_low, whose 4 entries cover [0, 4 GiB) 1:1. The kernel's own
     * mapping (PML4[511]) is added by x86_map_kernel once in long mode. Higher-level
     * entries are writable; the leaf rights are refined by the memory init, which
     * builds its own tables.
     */
    mov $PHYS(pml4), %edi
    mov $PHYS(pdpt_low) + X86_PTE_P + X86_PTE_W, %eax
    mov %eax, (%edi)

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
    mov $no_long_mode_msg, %esi
    early_fail %esi

    .code64
/*
 * Long mode, still at the physical address: reload the data segments, add the
 * kernel's mapping (x86_map_kernel runs at its physical address here), go high.
 */
entry64_low:
    mov $X86_SEL_DATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $PHYS(x86_map_kernel), %eax
    call *%rax
    mov %rax, %cr3
    movabs $entry64_high, %rax
    jmp *%rax

    .text
entry64_high:
    movabs $__boot_stack_top, %rsp
    xor %ebp, %ebp
    mov x86_boot_magic(%rip), %edi
    mov x86_boot_info_pa(%rip), %esi
    call x86_mb2_start
1:
    cli
    hlt
    jmp 1b

/*
 * x86_map_kernel: maps the image at KERNEL_VBASE, page by page, to wherever it was
 * loaded, through PML4[511] of the boot PML4 (pml4), and records the image's physical
 * base in x86_kernel_phys. Position independent: it runs at the image's load address
 * on an identity map (the firmware's or entry32's), before the kernel's address space
 * exists, and finds the image through %rip. Returns pml4's physical address in %rax.
 * Clobbers %rcx, %rdx and %rdi.
 */
x86_map_kernel:
    lea __kernel_start(%rip), %rdx
    mov %rdx, x86_kernel_phys(%rip)
    lea pt_kernel(%rip), %rdi
    lea X86_PTE_P + X86_PTE_W(%rdx), %rax
    mov $__image_pages, %ecx
1:
    mov %rax, (%rdi)
    add $X86_PAGE_SIZE, %rax
    add $8, %rdi
    dec %ecx
    jnz 1b

    lea pd_kernel(%rip), %rdi
    lea pt_kernel + X86_PTE_P + X86_PTE_W(%rip), %rax
    mov $(KERNEL_MAX_SIZE / X86_LARGE_PAGE_SIZE), %ecx
1:
    mov %rax, (%rdi)
    add $X86_PAGE_SIZE, %rax
    add $8, %rdi
    dec %ecx
    jnz 1b

    lea pd_kernel + X86_PTE_P + X86_PTE_W(%rip), %rax
    mov %rax, pdpt_high + 510 * 8(%rip)
    lea pdpt_high + X86_PTE_P + X86_PTE_W(%rip), %rax
    mov %rax, pml4 + 511 * 8(%rip)
    lea pml4(%rip), %rax
    ret

/*
 * The UEFI entry (the PE's AddressOfEntryPoint), Microsoft x64 convention: %rcx is
 * the image handle, %rdx the system table. Long mode on the firmware's identity map,
 * on its stack, boot services running, interrupts possibly on, anywhere in memory.
 * With the boot tables loaded (efi_tables), x86_efi_start does the EFI work at the
 * kernel's address on the firmware's stack. It only returns when the boot must go back
 * to the firmware: the firmware's own CR3 is put back, from the image's identity
 * alias, before returning; 5-level paging returns EFI_UNSUPPORTED at once.
 */
    .globl x86_efi_entry
x86_efi_entry:
    push %rbx
    push %rbp
    push %rdi
    push %rsi
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rcx, %r12
    mov %rdx, %r13
    mov $EFI_UNSUPPORTED_LOW, %ebx
    call efi_tables
    jc efi_return_unsupported
    movabs $efi_high, %rax
    jmp *%rax
efi_high:
    mov %r12, %rdi
    mov %r13, %rsi
    sub $8, %rsp /* eight pushes after the call: realign to 16 bytes */
    call x86_efi_start
    add $8, %rsp
    mov %rax, %rbx
    /* Back to the identity alias of efi_return, then the firmware's own tables. */
    movabs $efi_return, %rcx
    movabs $__kernel_start, %rdx
    sub %rdx, %rcx
    add x86_kernel_phys(%rip), %rcx
    jmp *%rcx
efi_return:
    mov x86_efi_firmware_cr3(%rip), %rax
    mov %rax, %cr3
    mov %rbx, %rax
    jmp efi_pop
efi_return_unsupported:
    movabs $EFI_ERROR_BIT, %rax
    or %rbx, %rax
efi_pop:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rsi
    pop %rdi
    pop %rbp
    pop %rbx
    ret

/*
 * GRUB's 64-bit EFI entry (the header's tag 9, used with tag 7): EAX = the multiboot2
 * magic, EBX = the information structure, long mode on the firmware's identity map and
 * stack, boot services running, at the physical address the address tag asked for.
 * There is nothing to return to: x86_mb2_efi_start ends in keel_main.
 */
    .globl x86_mb2_efi_entry
x86_mb2_efi_entry:
    mov %eax, %r12d
    mov %ebx, %r13d
    call efi_tables
    jc 1f
    movabs $mb2_efi_high, %rax
    jmp *%rax
mb2_efi_high:
    mov %r12d, %edi
    mov %r13, %rsi
    and $-16, %rsp
    call x86_mb2_efi_start
1:  /* 5-level paging: Keel's boot tables cannot join the firmware's. There is nothing to
     * return to, so the line goes out on COM1 itself. */
    lea la57_msg(%rip), %rsi
    early_fail %rsi

    .section .rodata, "a"
/* In .rodata, not .boot.rodata: the 64-bit entries reach it %rip-relative. */
la57_msg:
    .asciz "keel: error: cpu: 5-level paging is on; Keel's boot tables are 4-level\r\n"
    .text

/*
 * The boot tables of both EFI entries, built and loaded while running at the load
 * address: the TSC, .bss cleared (the loader zero-fills it; Keel's contract is its own
 * to keep, as on the 32-bit path), then Keel's boot PML4 as a copy of the firmware's
 * (so that every address the firmware may use, its code, its data, PCI windows above
 * 4 GiB, stays mapped while boot services run) plus the kernel's mapping in PML4[511],
 * which a 4-level identity map never uses. Sets the carry flag, and changes nothing,
 * when 5-level paging is on. Clobbers %rax, %rcx, %rdx, %rsi and %rdi.
 */
efi_tables:
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    mov %rax, x86_entry_tsc(%rip)
    cld
    mov %cr4, %rax
    test $X86_CR4_LA57, %eax
    jnz 1f
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    shr $3, %rcx
    xor %eax, %eax
    rep stosq
    mov %cr3, %rax
    mov %rax, x86_efi_firmware_cr3(%rip)
    movabs $X86_CR3_ADDR_MASK, %rsi
    and %rax, %rsi
    lea pml4(%rip), %rdi
    mov $512, %ecx
    rep movsq
    call x86_map_kernel
    mov %rax, %cr3
    clc
    ret
1:
    stc
    ret

/*
 * x86_boot_stack_call(fn, arg): calls fn(arg) on the boot stack, for good: the stack
 * the caller was on is not used again. fn does not return.
 */
    .globl x86_boot_stack_call
x86_boot_stack_call:
    movabs $__boot_stack_top, %rsp
    xor %ebp, %ebp
    mov %rdi, %rax
    mov %rsi, %rdi
    call *%rax
1:
    cli
    hlt
    jmp 1b

    .data
    .balign 8
    .globl x86_entry_tsc
x86_entry_tsc:
    .quad 0
    .globl x86_kernel_phys
x86_kernel_phys:
    .quad 0
x86_efi_firmware_cr3:
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
    .globl x86_boot_pdpt_low
x86_boot_pdpt_low:
pdpt_low:
    .skip X86_PAGE_SIZE
pdpt_high:
    .skip X86_PAGE_SIZE
    .globl x86_boot_pd_low
x86_boot_pd_low:
pd_low:
    .skip 4 * X86_PAGE_SIZE
    .globl x86_boot_pt_first
x86_boot_pt_first:
pt_first:
    .skip X86_PAGE_SIZE
pd_kernel:
    .skip X86_PAGE_SIZE
pt_kernel: /* one entry per page of the image, up to KERNEL_MAX_SIZE */
    .skip KERNEL_MAX_SIZE / X86_PAGE_SIZE * 8

    .section .note.GNU-stack, "", @progbits

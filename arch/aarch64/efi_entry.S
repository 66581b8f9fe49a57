/* SPDX-License-Identifier: MIT */
/* The PE/COFF headers of the arm64 Image and its EFI entry: from the firmware to C, and out. */

#include <keel/layout.h>
#include <keel/pe.h>
#include <a64/sysreg.h>

/*
 * The image is one file with two doors. The arm64 Image header (entry.S) is also the
 * DOS header: its first two bytes are "MZ" and its res5 field, at 0x3c, points at the
 * PE header, which follows it at 0x40 (U-Boot copies the headers as if they started
 * there). The first page holds only headers; the three sections map the rest of the
 * file at the offsets it has in the file, so that the image the firmware lays out in
 * memory is the file itself, and the Image entry and the EFI entry see the same bytes.
 * The linker script computes every number (__pe_*).
 */

    .section .text.head.pe, "a"
    .globl a64_pe_header
a64_pe_header:
    pe_header PE_MACHINE_ARM64, PE_KEEL_SECTIONS, __pe_text_size, __pe_init_data_size, \
              __pe_bss_size, __pe_entry, __pe_text_rva, 0, A64_PAGE_SIZE, a64_image_size, \
              __pe_headers_size
    pe_keel_sections

/* Offsets in the UEFI tables (UEFI 2.x, 4.3 and 4.4) and the few values used here. */
#define ST_CON_OUT 64
#define ST_BOOT_SERVICES 96
#define BS_ALLOCATE_PAGES 40
#define OUT_OUTPUT_STRING 8
#define EFI_ALLOCATE_MAX_ADDRESS 1
#define EFI_LOADER_CODE 1
#define EFI_ERROR_BIT 0x8000000000000000
#define EFI_LOAD_ERROR_LOW 1
#define EFI_COPY_LIMIT 0xffffffff       /* below 4 GiB, as every buffer of the EFI entry */

/* The frame of the entry: x29/x30, x19-x28 and one slot for AllocatePages' address. */
#define FRAME 112
#define FRAME_ADDR 96

/*
 * The EFI entry (the PE's AddressOfEntryPoint), AAPCS64: x0 = the image handle,
 * x1 = the system table. The firmware runs it at EL1 or EL2 with the MMU and caches
 * on, on its own identity map and stack, boot services running, wherever it placed
 * the image (4 KiB aligned). Registers:
 *   x19 = CNTVCT_EL0 at the first instruction; x20, x21 = image handle, system table
 *   x24 = the copy's physical base (2 MiB aligned); x25 = where the firmware put us
 *
 * The Image path needs a 2 MiB-aligned image (its boot tables map it with 2 MiB
 * blocks), so the entry first copies the image to pages of its own at such an address.
 * The firmware's map is the only one there is until ExitBootServices, and at EL2
 * (without FEAT_VHE) it has one translation range, which cannot reach KERNEL_VBASE; so
 * the copy runs where it lies, at its physical address, at either level. The image is
 * linked position-independent (kernel.ld.S): its code is PC-relative, and
 * a64_image_relocate (efi.c) rewrites its absolute addresses, the R_AARCH64_RELATIVE
 * list, for the copy's address before the copy runs, and back to their link-time
 * values before it joins the Image path (a64_efi_start). Until the copy runs, only
 * PC-relative code runs: nothing reads an absolute address of the firmware's load.
 * The entry returns only when the boot goes back to the firmware.
 */
    .text
    .globl a64_efi_entry
a64_efi_entry:
    stp     x29, x30, [sp, #-FRAME]!
    mov     x29, sp
    stp     x19, x20, [sp, #16]
    stp     x21, x22, [sp, #32]
    stp     x23, x24, [sp, #48]
    stp     x25, x26, [sp, #64]
    stp     x27, x28, [sp, #80]
    mrs     x19, cntvct_el0
    mov     x20, x0
    mov     x21, x1

    /* Pages for the copy, 2 MiB more than the image so that an aligned start fits. */
    ldr     x0, =EFI_COPY_LIMIT
    str     x0, [sp, #FRAME_ADDR]
    ldr     x8, [x21, #ST_BOOT_SERVICES]
    ldr     x8, [x8, #BS_ALLOCATE_PAGES]
    mov     x0, #EFI_ALLOCATE_MAX_ADDRESS
    mov     x1, #EFI_LOADER_CODE
    ldr     x2, =a64_image_size
    add     x2, x2, #A64_KERNEL_ALIGN
    lsr     x2, x2, #12
    add     x3, sp, #FRAME_ADDR
    blr     x8
    cbz     x0, 3f
    adr     x0, msg_memory
    mov     x1, #EFI_LOAD_ERROR_LOW
    b       efi_refuse
3:  ldr     x24, [sp, #FRAME_ADDR]
    ldr     x0, =(A64_KERNEL_ALIGN - 1)
    add     x24, x24, x0
    bic     x24, x24, x0

    /* The file's bytes, then zeroes for .bss and the boot tables (whole pages: by 16). */
    adrp    x25, _start
    add     x25, x25, :lo12:_start
    mov     x0, x25
    mov     x1, x24
    ldr     x2, =a64_file_size
4:  ldp     x3, x4, [x0], #16
    stp     x3, x4, [x1], #16
    subs    x2, x2, #16
    b.ne    4b
    ldr     x2, =a64_image_size
    add     x2, x24, x2
5:  stp     xzr, xzr, [x1], #16
    cmp     x1, x2
    b.lo    5b

    /* The copy's absolute addresses, for it to run at its physical address. */
    mov     x0, x24
    mov     x1, x24
    bl      a64_image_relocate
    cbz     x0, 7f
    adr     x0, msg_reloc
    mov     x1, #EFI_LOAD_ERROR_LOW
    b       efi_refuse

    /* The copy's code, written as data, made visible to instruction fetch. */
7:  mov     x0, x24
    ldr     x1, =a64_file_size
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4
    mov     x2, #4
    lsl     x2, x2, x3
    add     x1, x0, x1
6:  dc      cvau, x0
    add     x0, x0, x2
    cmp     x0, x1
    b.lo    6b
    dsb     ish
    ic      ialluis
    dsb     ish
    isb

    /* Into the copy, at the same instruction's place in it. */
    adr     x0, efi_copy
    sub     x0, x0, x25
    add     x0, x0, x24
    br      x0
efi_copy:
    adrp    x0, a64_phys_base
    add     x0, x0, :lo12:a64_phys_base
    str     x24, [x0]
    adrp    x0, a64_entry_cycles_value
    add     x0, x0, :lo12:a64_entry_cycles_value
    str     x19, [x0]
    mov     x0, x20
    mov     x1, x21
    bl      a64_efi_start
    b       efi_pop

/*
 * Refuses the boot before any C ran: x0 = an ASCII line, x1 = the status without its
 * error bit. The line goes to ConOut as UCS-2, built on the stack.
 */
efi_refuse:
    mov     x22, x1
    ldr     x2, [x21, #ST_CON_OUT]
    cbz     x2, 2f
    sub     sp, sp, #256
    mov     x3, sp
    mov     x4, #0
1:  ldrb    w5, [x0, x4]
    strh    w5, [x3, x4, lsl #1]
    add     x4, x4, #1
    cbz     w5, 3f
    cmp     x4, #127
    b.lo    1b
    strh    wzr, [x3, x4, lsl #1]
3:  mov     x0, x2
    mov     x1, sp
    ldr     x8, [x2, #OUT_OUTPUT_STRING]
    blr     x8
    add     sp, sp, #256
2:  mov     x0, #EFI_ERROR_BIT
    orr     x0, x0, x22
efi_pop:
    ldp     x27, x28, [sp, #80]
    ldp     x25, x26, [sp, #64]
    ldp     x23, x24, [sp, #48]
    ldp     x21, x22, [sp, #32]
    ldp     x19, x20, [sp, #16]
    ldp     x29, x30, [sp], #FRAME
    ret

/*
 * a64_efi_leave(dtb, handoff): after ExitBootServices, with interrupts masked, the
 * image's absolute addresses back at their link-time values and everything the Image
 * path reads cleaned to the point of coherency (efi.c). From the copy, on the
 * firmware's identity map, it turns the MMU and caches off at the level it runs at
 * and joins the Image entry's path at a64_efi_join (entry.S), which goes down to EL1
 * from EL2 and builds Keel's boot tables. Never returns.
 */
    .globl a64_efi_leave
a64_efi_leave:
    msr     spsel, #1               /* the Image path starts on SP_ELx, as from a loader */
    mrs     x4, CurrentEL
    ubfx    x4, x4, #2, #2
    cmp     x4, #2
    b.eq    1f
    mrs     x4, sctlr_el1
    bic     x4, x4, #A64_SCTLR_M
    bic     x4, x4, #A64_SCTLR_C
    bic     x4, x4, #A64_SCTLR_I
    msr     sctlr_el1, x4
    b       2f
1:  mrs     x4, sctlr_el2
    bic     x4, x4, #A64_SCTLR_M
    bic     x4, x4, #A64_SCTLR_C
    bic     x4, x4, #A64_SCTLR_I
    msr     sctlr_el2, x4
2:  isb
    ic      iallu
    dsb     nsh
    isb
    b       a64_efi_join

    .ltorg

msg_reloc:
    .asciz  "keel: error: efi: the image has a relocation other than R_AARCH64_RELATIVE\r\n"
msg_memory:
    .asciz  "keel: error: efi: no memory below 4 GiB for the image's 2 MiB-aligned copy\r\n"
    .balign 4

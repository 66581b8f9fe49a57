/* SPDX-License-Identifier: MIT */
/* The PE/COFF headers of the arm64 Image and its EFI entry: from the firmware to C, and out. */

#include <keel/layout.h>
#include <keel/pe.h>
#include <a64/sysreg.h>
#include <a64/boot_tables.h>

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
#define EFI_UNSUPPORTED_LOW 3
#define EFI_COPY_LIMIT 0xffffffff       /* below 4 GiB, as every buffer of the EFI entry */

/* The frame of the entry: x29/x30, x19-x28 and one slot for AllocatePages' address. */
#define FRAME 112
#define FRAME_ADDR 96

/*
 * The EFI entry (the PE's AddressOfEntryPoint), AAPCS64: x0 = the image handle,
 * x1 = the system table. The firmware runs it at EL1 (or EL2) with the MMU and caches
 * on, on its own identity map and stack, boot services running, wherever it placed
 * the image (4 KiB aligned). Registers:
 *   x19 = CNTVCT_EL0 at the first instruction; x20, x21 = image handle, system table
 *   x23 = the MAIR_EL1 index of Normal write-back memory in the firmware's map
 *   x24 = the copy's physical base (2 MiB aligned); x25 = where the firmware put us
 *   x26 = the copy's boot tables; x27, x28 = the firmware's TCR_EL1 and TTBR1_EL1
 *
 * The Image path needs a 2 MiB-aligned image (its boot tables map it with 2 MiB
 * blocks), so the entry first copies the image to pages of its own at such an address
 * and runs the rest from the copy. It keeps the firmware's TTBR0 (everything the
 * firmware may touch stays mapped) and maps KERNEL_VBASE onto the copy through TTBR1,
 * which the firmware leaves unused (TCR_EL1.EPD1), with the firmware's own write-back
 * attribute index, so that the C code runs at its link address: a64_efi_start
 * (arch/aarch64/efi.c) and the common EFI work. It only returns when the boot goes
 * back to the firmware, with the firmware's TCR_EL1 and TTBR1_EL1 restored.
 *
 * EL2 is refused (EFI_UNSUPPORTED with one line on the console): without FEAT_VHE,
 * EL2 has one translation range, which cannot reach KERNEL_VBASE.
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

    mrs     x22, CurrentEL
    ubfx    x22, x22, #2, #2
    adr     x0, msg_el2
    mov     x1, #EFI_UNSUPPORTED_LOW
    cmp     x22, #1
    b.ne    efi_refuse

    /* The firmware's attribute index for Normal write-back read/write-allocate (0xff). */
    mrs     x0, mair_el1
    mov     x23, #0
1:  and     x1, x0, #0xff
    cmp     x1, #0xff
    b.eq    2f
    lsr     x0, x0, #8
    add     x23, x23, #1
    cmp     x23, #8
    b.lo    1b
    adr     x0, msg_mair
    mov     x1, #EFI_UNSUPPORTED_LOW
    b       efi_refuse

    /* Pages for the copy, 2 MiB more than the image so that an aligned start fits. */
2:  ldr     x0, =EFI_COPY_LIMIT
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

    /* The copy's code, written as data, made visible to instruction fetch. */
    mov     x0, x24
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

    /* TTBR1: KERNEL_VBASE -> the copy, KERNEL_MAX_SIZE in 2 MiB blocks, as entry.S's. */
    ldr     x0, =a64_pgtables_offset
    add     x26, x24, x0
    ldr     x2, =(A64_PTE_BLOCK | A64_PTE_SH_INNER | A64_PTE_AF | A64_PTE_UXN)
    orr     x2, x2, x23, lsl #2     /* the firmware's write-back attribute index */
    a64_map_kernel_blocks x26, x24, x2

    /*
     * TCR_EL1's TTBR1 fields (T1SZ, EPD1, IRGN1, ORGN1, SH1, TG1) as Keel's own
     * (A64_TCR_EL1_VALUE); A1 and everything about TTBR0 stay the firmware's.
     */
    mrs     x27, tcr_el1
    mrs     x28, ttbr1_el1
    ldr     x0, =A64_TCR_TTBR1_FIELDS
    bic     x1, x27, x0
    ldr     x0, =(A64_TCR_EL1_VALUE & A64_TCR_TTBR1_FIELDS)
    orr     x1, x1, x0
    add     x0, x26, #A64_PGT_K_L0
    add     x0, x0, #A64_TTBR1_ROOT_OFFSET
    dsb     ishst
    msr     ttbr1_el1, x0
    msr     tcr_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    isb

    ldr     x0, =a64_phys_base
    str     x24, [x0]
    ldr     x0, =a64_entry_cycles_value
    str     x19, [x0]
    ldr     x0, =efi_high
    br      x0
efi_high:
    mov     x0, x20
    mov     x1, x21
    bl      a64_efi_start
    /* Back to the copy's identity alias, then the firmware's translation regime. */
    mov     x19, x0
    adr     x0, efi_low
    ldr     x1, =KERNEL_VBASE
    sub     x0, x0, x1
    add     x0, x0, x24
    br      x0
efi_low:
    msr     tcr_el1, x27
    msr     ttbr1_el1, x28
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    mov     x0, x19
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
 * a64_efi_leave(dtb, handoff, entry_cycles, phys_base): after ExitBootServices, with
 * interrupts masked and everything the Image path reads cleaned to the point of
 * coherency (efi.c). From the copy's identity alias in the firmware's map it turns the
 * MMU and caches off and joins the Image entry's path at a64_efi_join (entry.S), which
 * builds Keel's boot tables. Never returns.
 */
    .globl a64_efi_leave
a64_efi_leave:
    adr     x4, 1f
    ldr     x5, =KERNEL_VBASE
    sub     x4, x4, x5
    add     x4, x4, x3
    br      x4
1:  msr     spsel, #1               /* the Image path starts on SP_EL1, as from a loader */
    mrs     x4, sctlr_el1
    bic     x4, x4, #A64_SCTLR_M
    bic     x4, x4, #A64_SCTLR_C
    bic     x4, x4, #A64_SCTLR_I
    msr     sctlr_el1, x4
    isb
    ic      iallu
    dsb     nsh
    isb
    ldr     x4, =a64_join_offset
    add     x4, x4, x3
    br      x4

    .ltorg

msg_el2:
    .asciz  "keel: error: efi: entered at EL2: Keel's EFI entry runs at EL1 (EL2 has no TTBR1 without VHE)\r\n"
msg_mair:
    .asciz  "keel: error: efi: the firmware's MAIR_EL1 has no write-back memory type\r\n"
msg_memory:
    .asciz  "keel: error: efi: no memory below 4 GiB for the image's 2 MiB-aligned copy\r\n"
    .balign 4

/* SPDX-License-Identifier: MIT */
/* The arm64 Image header and the entry path: EL2 to EL1, boot page tables, MMU on, into C. */

#include <keel/layout.h>
#include <a64/el2.inc>
#include <a64/sysreg.h>
#include <a64/boot_tables.h>

/*
 * Registers that live across the whole entry path (nothing here calls C before the end):
 *   x19 = CNTVCT_EL0 at the first instruction
 *   x20 = the DTB physical address the loader passed in x0
 *   x21 = physical address of the image's first byte (the load address)
 *   x22 = the exception level the loader entered us at (1 or 2)
 *   x23, x24, x25 = the boot tables, their size and the next free table, while built
 *   x26 = the handoff of Keel's EFI entry (arch/aarch64/efi_entry.S) when it joined this
 *         path after ExitBootServices, else 0
 * They stay in registers until the MMU is on, so nothing has to be written to memory
 * with the caches off and read back through a cacheable alias.
 */

    .section .text.head, "ax"
    .globl _start
_start:
    /*
     * Image header, 64 bytes (the arm64 boot protocol), which is also the DOS header of
     * the PE/COFF EFI application (efi_entry.S): code0's first two bytes are "MZ", and
     * as an instruction it is `ccmp x18, #0, #0xd, pl`, which only sets flags, so the
     * Image entry falls through to code1. res5, at 0x3c, is the DOS header's e_lfanew.
     */
    .ascii  "MZ"                    /* code0: 4d 5a 40 fa */
    .short  0xfa40
    b       a64_entry               /* code1 */
    .quad   0                       /* text_offset: load at the 2 MiB-aligned base itself */
    .quad   a64_image_size          /* image_size: file plus BSS, from the linker script */
    .quad   0xa                     /* flags: little-endian, 4 KiB pages, place anywhere */
    .quad   0                       /* res2 */
    .quad   0                       /* res3 */
    .quad   0                       /* res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   a64_pe_header - _start  /* res5: e_lfanew, the PE header right after (0x40) */

    .text
a64_entry:
    isb
    mrs     x19, cntvct_el0
    mov     x20, x0
    mov     x26, #0
entry_common:
    adrp    x21, _start
    add     x21, x21, :lo12:_start
    mrs     x22, CurrentEL
    ubfx    x22, x22, #2, #2

    /* The 2 MiB blocks of the kernel mapping need a 2 MiB-aligned load address. */
    tst     x21, #(A64_KERNEL_ALIGN - 1)
    b.ne    a64_entry_halt

    cmp     x22, #1
    b.eq    1f
    cmp     x22, #2
    b.ne    a64_entry_halt          /* EL3 (or EL0) is no boot state the protocol allows */
    mrs     x0, sctlr_el2
    b       2f
1:  mrs     x0, sctlr_el1
    /*
     * A loader may enter with the MMU and caches on (the boot protocol asks for them off,
     * but the image must at least be clean). Everything this path reads with them off,
     * the image and the DTB's header, is cleaned to the point of coherency first, through
     * the loader's own mapping, which the protocol says maps both 1:1.
     */
2:  mov     x1, #(A64_SCTLR_M | A64_SCTLR_C)
    tst     x0, x1
    b.eq    3f
    mov     x0, x21
    ldr     x1, =a64_image_size
    bl      dcache_clean_range
    cbz     x20, 3f
    tst     x20, #7
    b.ne    3f
    mov     x0, x20
    mov     x1, #A64_PAGE_SIZE      /* the header, and the tree itself where it is small */
    bl      dcache_clean_range
3:  cmp     x22, #1
    b.eq    at_el1

    /* EL2: make EL1 an AArch64 guest with no traps and drop into it (a64/el2.inc). */
    a64_drop_to_el1 at_el1

at_el1:
    msr     daifset, #0xf
    ldr     x0, =A64_SCTLR_EL1_RES1
    msr     sctlr_el1, x0           /* MMU and caches off, whatever the loader left */
    msr     cpacr_el1, xzr          /* FP/SIMD traps: Keel is built general-registers-only */
    isb

    /*
     * The boot tables live in .boot_pgtables, which is not part of the file and not
     * cleared with .bss. With the MMU off data accesses are non-cacheable, so first
     * invalidate the part written here (no stale dirty line may later be written back
     * over the tables), then write it, then invalidate again so that the cacheable
     * table walks after the MMU is on see memory. The rest of the section is the board
     * layer's pool, written later through the cache (boot_map.c).
     */
    adrp    x23, a64_boot_pgtables
    mov     x24, #A64_PGT_ENTRY_SIZE
    mov     x0, x23
    mov     x1, x24
    bl      dcache_inval_range

    mov     x0, x23                 /* whole pages: 64 bytes per step */
    add     x1, x23, x24
1:  stp     xzr, xzr, [x0]
    stp     xzr, xzr, [x0, #16]
    stp     xzr, xzr, [x0, #32]
    stp     xzr, xzr, [x0, #48]
    add     x0, x0, #64
    cmp     x0, x1
    b.lo    1b

    /*
     * TTBR0, the boot identity map: only what the entry path needs, in 2 MiB blocks.
     * RAM, the console and the rest come from the DTB (the board layer, in C).
     */
    add     x0, x23, #A64_PGT_ID_L1
    orr     x1, x0, #A64_PTE_TABLE
    str     x1, [x23, #A64_PGT_ID_L0]
    mov     x25, #A64_PGT_ID_L2     /* the next free level-2 table */

    /*
     * The DTB, read-only data: x0 must be 8-byte aligned (the boot protocol). Its header
     * is read with the MMU off, an aligned load: magic and totalsize, big-endian. With
     * a bad magic one block is mapped, so that the shim can read and report it.
     */
    cbz     x20, 2f
    tst     x20, #7
    b.ne    2f
    lsr     x0, x20, #A64_ENTRY_IDMAP_SHIFT
    cbnz    x0, 2f
    ldp     w0, w1, [x20]
    rev     w0, w0
    rev     w1, w1
    ldr     w2, =A64_FDT_MAGIC
    cmp     w0, w2
    mov     w2, #8
    csel    w1, w1, w2, eq
    cmp     w1, w2
    csel    w1, w1, w2, hs          /* at least the header's first two words */
    mov     x2, #A64_DTB_MAX        /* at most that much */
    cmp     x1, x2
    csel    x1, x1, x2, ls
    mov     x0, x20
    add     x1, x20, x1
    ldr     x2, =(A64_PTE_BLOCK | A64_PTE_ATTR(A64_ATTR_NORMAL) | A64_PTE_SH_INNER | \
                  A64_PTE_AF | A64_PTE_PXN | A64_PTE_UXN)
    bl      idmap_blocks
2:
    /*
     * The image, executable: the jump to the higher half below runs from here. Mapped
     * after the DTB, so that a block the two share keeps the image's rights.
     */
    lsr     x0, x21, #A64_ENTRY_IDMAP_SHIFT
    cbnz    x0, a64_entry_halt      /* no identity alias: the MMU could not be turned on */
    mov     x0, x21
    ldr     x1, =a64_image_size
    add     x1, x21, x1
    ldr     x2, =(A64_PTE_BLOCK | A64_PTE_ATTR(A64_ATTR_NORMAL) | A64_PTE_SH_INNER | \
                  A64_PTE_AF | A64_PTE_UXN)
    bl      idmap_blocks

    /* TTBR1: KERNEL_VBASE -> load address, KERNEL_MAX_SIZE in 2 MiB blocks. */
    a64_map_kernel_blocks x23, x21, x2  /* x2 still holds the image's block attributes */

    mov     x0, x23
    mov     x1, x24
    bl      dcache_inval_range

    /* Translation regime: MAIR, TCR (IPS from the CPU's physical address size), tables. */
    ldr     x0, =A64_MAIR_EL1_VALUE
    msr     mair_el1, x0
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #0xf
    cmp     x1, #A64_PARANGE_MAX
    mov     x2, #A64_PARANGE_MAX
    csel    x1, x1, x2, ls
    ldr     x0, =A64_TCR_EL1_VALUE
    orr     x0, x0, x1, lsl #A64_TCR_IPS_SHIFT
    msr     tcr_el1, x0
    add     x0, x23, #A64_PGT_ID_L0
    msr     ttbr0_el1, x0
    add     x0, x23, #A64_PGT_K_L0
    add     x0, x0, #A64_TTBR1_ROOT_OFFSET
    msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    ic      iallu
    dsb     nsh
    isb

    ldr     x0, =(A64_SCTLR_EL1_RES1 | A64_SCTLR_M | A64_SCTLR_C | A64_SCTLR_SA | A64_SCTLR_I)
    msr     sctlr_el1, x0
    isb

    /* Still executing at the load address through the identity map; jump high. */
    ldr     x0, =higher_half
    br      x0

higher_half:
    /* The kernel runs on SP_EL0 (SPSel = 0); SP_EL1 is reserved for exception entry. */
    ldr     x0, =a64_exception_stack_top
    mov     sp, x0
    msr     spsel, #0
    ldr     x0, =__boot_stack_top
    mov     sp, x0
    ldr     x0, =a64_vectors
    msr     vbar_el1, x0
    isb

    /*
     * .bss from above the boot stack: the guard page is never written. The EFI entry
     * cleared it itself and left its handoff there: it stays. It is over 600 KiB (the
     * boot_info alone is 350), so 128 bytes per iteration, one branch each, then the
     * 16-byte tail (the linker script keeps both ends 16-byte aligned).
     */
    cbnz    x26, 6f
    ldr     x0, =__boot_stack_top
    ldr     x1, =__bss_end
    sub     x2, x1, x0
    lsr     x3, x2, #7
    cbz     x3, 5f
4:  stp     xzr, xzr, [x0]
    stp     xzr, xzr, [x0, #16]
    stp     xzr, xzr, [x0, #32]
    stp     xzr, xzr, [x0, #48]
    stp     xzr, xzr, [x0, #64]
    stp     xzr, xzr, [x0, #80]
    stp     xzr, xzr, [x0, #96]
    stp     xzr, xzr, [x0, #112]
    add     x0, x0, #128
    subs    x3, x3, #1
    b.ne    4b
5:  cmp     x0, x1
    b.hs    6f
    stp     xzr, xzr, [x0], #16
    b       5b
6:
    ldr     x0, =a64_entry_cycles_value
    str     x19, [x0]
    ldr     x0, =a64_phys_base
    str     x21, [x0]

    mov     x29, #0                 /* end of the frame-pointer chain */
    mov     x30, #0
    mov     x0, x20
    mov     w1, w22
    mov     x2, x26
    bl      a64_start
    b       a64_halt

/*
 * Called with the MMU off: maps the 2 MiB blocks that [x0, x1) touches 1:1 with the
 * block attributes x2 in the boot identity map, below 512 GiB (the rest is skipped).
 * Level-2 tables come from x23 + x25, which it advances; clobbers x0 and x3-x6.
 */
idmap_blocks:
    and     x0, x0, #~(A64_BLOCK_L2_SIZE - 1)
4:  cmp     x0, x1
    b.hs    6f
    lsr     x3, x0, #A64_ENTRY_IDMAP_SHIFT
    cbnz    x3, 6f
    ubfx    x3, x0, #A64_BLOCK_L1_SHIFT, #9
    add     x4, x23, #A64_PGT_ID_L1
    ldr     x5, [x4, x3, lsl #3]
    cbnz    x5, 5f
    cmp     x25, #A64_PGT_ID_L2_END
    b.hs    6f                      /* not reached: two ranges need at most four tables */
    add     x5, x23, x25
    add     x25, x25, #A64_PAGE_SIZE
    orr     x5, x5, #A64_PTE_TABLE
    str     x5, [x4, x3, lsl #3]
5:  and     x5, x5, #0x0000fffffffff000
    ubfx    x3, x0, #A64_BLOCK_L2_SHIFT, #9
    orr     x6, x0, x2
    str     x6, [x5, x3, lsl #3]
    add     x0, x0, #A64_BLOCK_L2_SIZE
    b       4b
6:  ret

/*
 * a64_efi_join(dtb, handoff, entry_cycles): the EFI entry's way into this path once it
 * has left boot services, with the MMU and caches off, at EL1 or EL2, running at the physical
 * address of the image it relocated to a 2 MiB boundary (efi_entry.S).
 */
    .globl a64_efi_join
a64_efi_join:
    mov     x19, x2
    mov     x20, x0
    mov     x26, x1
    b       entry_common

/* Clean and invalidate [x0, x0 + x1) to the point of coherency; clobbers x0-x3. */
    .globl a64_dcache_clean_range
a64_dcache_clean_range:
dcache_clean_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4
    mov     x2, #4
    lsl     x2, x2, x3
    add     x1, x0, x1
    sub     x3, x2, #1
    bic     x0, x0, x3
1:  dc      civac, x0
    add     x0, x0, x2
    cmp     x0, x1
    b.lo    1b
    dsb     sy
    ret

/* Called with the MMU off: invalidate [x0, x0 + x1) to the point of coherency. */
dcache_inval_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         /* DminLine: log2 of the smallest line, in words */
    mov     x2, #4
    lsl     x2, x2, x3
    add     x1, x0, x1
    sub     x3, x2, #1
    bic     x0, x0, x3
9:  dc      ivac, x0
    add     x0, x0, x2
    cmp     x0, x1
    b.lo    9b
    dsb     sy
    ret

/* Nothing can be reported before the console is reachable: stop quietly. */
a64_entry_halt:
    msr     daifset, #0xf
7:  wfi
    b       7b

    .globl a64_halt
a64_halt:
    msr     daifset, #0xf
8:  wfi
    b       8b

    .ltorg

    .section .boot_pgtables, "aw", %nobits
    .balign A64_PAGE_SIZE
    .globl a64_boot_pgtables
a64_boot_pgtables:
    .skip   A64_PGT_SIZE

    /* The boot stack and its guard page are placed by the linker script. */
    .bss
    .balign 16
    .globl a64_exception_stack_bottom, a64_exception_stack_top
a64_exception_stack_bottom:
    .skip   A64_EXCEPTION_STACK_SIZE
a64_exception_stack_top:

/* SPDX-License-Identifier: MIT */
/* The riscv64 kernel layout: linked at KERNEL_VBASE, run from any 2 MiB-aligned address. */

#include <keel/layout.h>
#include <rv/csr.h>

OUTPUT_FORMAT("elf64-littleriscv")
OUTPUT_ARCH(riscv)
ENTRY(_start)

/*
 * The flat Image is the file from _start to the end of .data; objcopy -O binary cuts it
 * out of this ELF. The symbol names are those of the other arches' scripts. Each part
 * that common/ maps with its own rights starts on a page. .boot_pgtables is NOLOAD and
 * outside .bss: entry.S fills it before paging is on and clears .bss only after.
 */
SECTIONS
{
    . = KERNEL_VBASE;
    __kernel_start = .;

    .text : {
        __text_start = .;
        KEEP(*(.text.head))
        *(.text .text.*)
    }
    . = ALIGN(RV_PAGE_SIZE);
    __text_end = .;

    .rodata : {
        __rodata_start = .;
        *(.rodata .rodata.* .srodata .srodata.*)
    }
    . = ALIGN(RV_PAGE_SIZE);
    __rodata_end = .;

    /* common/mm maps .data with its own rights, so it is never empty: the QUAD is its floor. */
    .data : {
        __data_start = .;
        *(.data .data.* .sdata .sdata.*)
        QUAD(0)
        . = ALIGN(RV_PAGE_SIZE);
    }
    . = ALIGN(RV_PAGE_SIZE);
    __data_end = .;

    /* The boot stack starts .bss, above a guard page that is never written. */
    .bss (NOLOAD) : {
        __bss_start = .;
        __boot_stack_guard = .;
        . += RV_PAGE_SIZE;
        __boot_stack_bottom = .;
        . += BOOT_STACK_SIZE;
        __boot_stack_top = .;
        *(.bss .bss.* .sbss .sbss.*)
        *(COMMON)
        . = ALIGN(16);
        __bss_end = .;
    }
    . = ALIGN(RV_PAGE_SIZE);

    .boot_pgtables (NOLOAD) : {
        *(.boot_pgtables)
    }
    . = ALIGN(RV_PAGE_SIZE);
    __kernel_end = .;

    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame_hdr)
        *(.riscv.attributes)
        *(.interp .dynamic .dynsym .dynstr .hash .gnu.hash)
    }
}

rv_image_size = __kernel_end - __kernel_start;

ASSERT(_start == KERNEL_VBASE, "the Image header must be the first byte at KERNEL_VBASE")
ASSERT(rv_image_size <= KERNEL_MAX_SIZE, "the image is larger than the entry code maps")
ASSERT(__bss_start % 16 == 0 && __bss_end % 16 == 0, "entry.S clears 16 bytes at a time")

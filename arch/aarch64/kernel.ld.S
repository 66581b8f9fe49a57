/* SPDX-License-Identifier: MIT */
/* The aarch64 kernel layout: linked at KERNEL_VBASE, run from any 2 MiB-aligned address. */

#include <keel/layout.h>
#include <a64/sysreg.h>

OUTPUT_FORMAT("elf64-littleaarch64")
OUTPUT_ARCH(aarch64)
ENTRY(_start)

/*
 * The flat Image is the file from _start to the end of .data; objcopy -O binary cuts
 * it out of this ELF. The symbol names are the same as in arch/x86_64's script. Each
 * part that common/ maps with its own rights starts on a page. .boot_pgtables is NOLOAD
 * and outside .bss: entry.S fills it before the MMU is on and clears .bss only after.
 */
SECTIONS
{
    . = KERNEL_VBASE;
    __kernel_start = .;

    .text : {
        __text_start = .;
        KEEP(*(.text.head))
        KEEP(*(.text.head.pe))
        /* The first page holds only the headers: the PE's SizeOfHeaders. */
        . = ALIGN(A64_PAGE_SIZE);
        __pe_headers_end = .;
        *(.text .text.*)
    }
    . = ALIGN(A64_PAGE_SIZE);
    __text_end = .;

    .rodata : {
        __rodata_start = .;
        *(.rodata .rodata.*)
    }
    /*
     * The image is linked position-independent, so that the EFI entry can run it at the
     * physical address of its copy (efi_entry.S): the linker lists every absolute
     * address in the image here, as R_AARCH64_RELATIVE entries, and writes their
     * link-time values in place, which is all the Image path needs.
     */
    .rela.dyn : {
        *(.rela.dyn .rela.*)
    }
    . = ALIGN(A64_PAGE_SIZE);
    __rodata_end = .;

    /*
     * common/mm maps .data with its own rights and the report lists it, so it is never
     * empty, even when no object has initialised data: the QUAD is its floor.
     */
    .data : {
        __data_start = .;
        *(.data .data.*)
        *(.got .got.plt)
        QUAD(0)
        /* Inside the section, so that the file ends on a page: the PE's raw data sizes. */
        . = ALIGN(A64_PAGE_SIZE);
    }
    . = ALIGN(A64_PAGE_SIZE);
    __data_end = .;

    /*
     * The boot stack starts .bss, above a guard page that is never written (the memory
     * init leaves it unmapped), so that the guard shares its page with nothing else.
     */
    .bss (NOLOAD) : {
        __bss_start = .;
        __boot_stack_guard = .;
        . += A64_PAGE_SIZE;
        __boot_stack_bottom = .;
        . += BOOT_STACK_SIZE;
        __boot_stack_top = .;
        *(.bss .bss.*)
        *(COMMON)
        . = ALIGN(16);
        __bss_end = .;
    }
    . = ALIGN(A64_PAGE_SIZE);

    .boot_pgtables (NOLOAD) : {
        *(.boot_pgtables)
    }
    . = ALIGN(A64_PAGE_SIZE);
    __kernel_end = .;

    /DISCARD/ : {
        *(.comment)
        *(.note .note.*)
        *(.eh_frame .eh_frame_hdr)
        *(.interp .dynamic .dynsym .dynstr .hash .gnu.hash)
    }
}

a64_image_size = __kernel_end - __kernel_start;
a64_rela_start = ADDR(.rela.dyn);
a64_rela_end = ADDR(.rela.dyn) + SIZEOF(.rela.dyn);
/* The file: the Image from _start to the end of .data; .bss and the boot tables follow. */
a64_file_size = __data_end - __kernel_start;

/* The numbers the PE headers give (efi_entry.S): offsets from the image's first byte. */
__pe_headers_size = __pe_headers_end - __kernel_start;
__pe_text_rva = __pe_headers_size;
__pe_text_size = __text_end - __pe_headers_end;
__pe_rodata_rva = __rodata_start - __kernel_start;
__pe_rodata_size = __rodata_end - __rodata_start;
__pe_data_rva = __data_start - __kernel_start;
__pe_data_file_size = __data_end - __data_start;
__pe_data_mem_size = __kernel_end - __data_start;
__pe_init_data_size = __pe_rodata_size + __pe_data_file_size;
__pe_bss_size = __kernel_end - __bss_start;
__pe_entry = a64_efi_entry - __kernel_start;

ASSERT(_start == KERNEL_VBASE, "the Image header must be the first byte at KERNEL_VBASE")
ASSERT(a64_image_size <= KERNEL_MAX_SIZE, "the image is larger than the entry code maps")
ASSERT(a64_pe_header - _start == 0x40, "the PE header follows the 64-byte Image header")
ASSERT(__data_end == __bss_start, "the PE's .data section runs on into .bss")
ASSERT(__bss_start % 16 == 0 && __bss_end % 16 == 0, "entry.S clears 16 bytes at a time")

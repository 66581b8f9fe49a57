/* SPDX-License-Identifier: MIT */
/* PE/COFF constants and the header macros both arches' images and null kernels use (assembly). */
#ifndef KEEL_PE_H
#define KEEL_PE_H

#define PE_MACHINE_X86_64 0x8664
#define PE_MACHINE_ARM64 0xaa64
#define PE_FILE_EXECUTABLE 0x0002 /* relocations are not stripped: any address works */
#define PE_FILE_LARGE_ADDRESS 0x0020
#define PE32PLUS_MAGIC 0x20b
#define PE_SUBSYSTEM_EFI_APPLICATION 10
/* U-Boot reads DataDirectory[5] (relocations) without checking the count: give all 16. */
#define PE_DATA_DIRECTORIES 16
/* The optional header's size: 112 bytes of fields, then 8 bytes per data directory. */
#define PE32PLUS_OPTIONAL_SIZE (112 + PE_DATA_DIRECTORIES * 8)
#define PE_SCN_CODE 0x00000020
#define PE_SCN_DATA 0x00000040
#define PE_SCN_EXECUTE 0x20000000
#define PE_SCN_READ 0x40000000
#define PE_SCN_WRITE 0x80000000

#ifdef __ASSEMBLER__
/*
 * The PE signature, the COFF file header and the PE32+ optional header of an EFI
 * application with no exports, imports or relocations (its code is position
 * independent), and the same alignment in memory and in the file. The section table
 * follows: `sections` headers, each made by pe_section.
 */
.macro pe_header machine, sections, code_size, init_size, bss_size, entry, code_base, \
                 image_base, alignment, image_size, headers_size
    .ascii  "PE\0\0"
    .short  \machine
    .short  \sections
    .long   0, 0, 0                 /* TimeDateStamp, symbol table, symbols */
    .short  PE32PLUS_OPTIONAL_SIZE
    .short  PE_FILE_EXECUTABLE | PE_FILE_LARGE_ADDRESS
    .short  PE32PLUS_MAGIC
    .byte   0, 0                    /* linker version */
    .long   \code_size, \init_size, \bss_size
    .long   \entry                  /* AddressOfEntryPoint */
    .long   \code_base              /* BaseOfCode */
    .quad   \image_base             /* ImageBase: a preference; the entry runs anywhere */
    .long   \alignment, \alignment  /* SectionAlignment, FileAlignment */
    .short  0, 0, 0, 0, 0, 0        /* operating system, image and subsystem versions */
    .long   0                       /* Win32VersionValue */
    .long   \image_size
    .long   \headers_size
    .long   0                       /* CheckSum */
    .short  PE_SUBSYSTEM_EFI_APPLICATION
    .short  0                       /* DllCharacteristics */
    .quad   0, 0, 0, 0              /* stack and heap reserve and commit: unused by UEFI */
    .long   0                       /* LoaderFlags */
    .long   PE_DATA_DIRECTORIES
    .skip   PE_DATA_DIRECTORIES * 8 /* all empty */
.endm

/*
 * One 40-byte section header whose VirtualAddress equals its PointerToRawData, so that
 * the image in memory is the file: name (8 bytes, NUL-padded), sizes, offset, flags.
 */
.macro pe_section name, virtual_size, rva, raw_size, flags
    .ascii  "\name"
    .long   \virtual_size, \rva, \raw_size, \rva
    .long   0, 0
    .short  0, 0
    .long   \flags
.endm

/*
 * Keel's image's three sections, from the linker script's __pe_* numbers: .text r-x,
 * .rodata r--, and .data rw- whose VirtualSize runs on over .bss (the loader zeroes
 * what lies past the file's data).
 */
.macro pe_keel_sections
    pe_section ".text\0\0\0", __pe_text_size, __pe_text_rva, __pe_text_size, \
               PE_SCN_CODE | PE_SCN_EXECUTE | PE_SCN_READ
    pe_section ".rodata\0", __pe_rodata_size, __pe_rodata_rva, __pe_rodata_size, \
               PE_SCN_DATA | PE_SCN_READ
    pe_section ".data\0\0\0", __pe_data_mem_size, __pe_data_rva, __pe_data_file_size, \
               PE_SCN_DATA | PE_SCN_READ | PE_SCN_WRITE
.endm
#define PE_KEEL_SECTIONS 3
#endif

#endif

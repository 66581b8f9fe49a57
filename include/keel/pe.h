/* SPDX-License-Identifier: MIT */
/* PE/COFF constants and the section-header macro both arches' image headers use (assembly). */
#ifndef KEEL_PE_H
#define KEEL_PE_H

#define PE_FILE_EXECUTABLE 0x0002 /* relocations are not stripped: any address works */
#define PE_FILE_LARGE_ADDRESS 0x0020
#define PE32PLUS_MAGIC 0x20b
#define PE_SUBSYSTEM_EFI_APPLICATION 10
/* U-Boot reads DataDirectory[5] (relocations) without checking the count: give all 16. */
#define PE_DATA_DIRECTORIES 16
#define PE_SCN_CODE 0x00000020
#define PE_SCN_DATA 0x00000040
#define PE_SCN_EXECUTE 0x20000000
#define PE_SCN_READ 0x40000000
#define PE_SCN_WRITE 0x80000000

#ifdef __ASSEMBLER__
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
#endif

#endif

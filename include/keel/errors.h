/* SPDX-License-Identifier: MIT */
/* Error codes shared by every parser and boot phase, each with one specific message. */
#ifndef KEEL_ERRORS_H
#define KEEL_ERRORS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parsers never panic: they return one of these. The caller turns a non-zero code
 * into the single line "keel: error: <keel_strerror(code)>" and a non-zero exit.
 * Each class of bad input has its own code so that the line says what was wrong.
 * Keep tests/README.md's list of tested classes in step with this table.
 */
#define KEEL_ERRORS(X)                                                                             \
    X(KEEL_OK, "no error")                                                                         \
    /* multiboot2 */                                                                               \
    X(KEEL_E_MB2_MAGIC, "multiboot2: wrong magic in EAX")                                          \
    X(KEEL_E_MB2_ALIGN, "multiboot2: information structure is not 8-byte aligned")                 \
    X(KEEL_E_MB2_TOTAL_SIZE, "multiboot2: total size is too small or too large")                   \
    X(KEEL_E_MB2_TAG_TRUNCATED, "multiboot2: tag is truncated")                                    \
    X(KEEL_E_MB2_TAG_ZERO_SIZE, "multiboot2: tag has a size smaller than its header")              \
    X(KEEL_E_MB2_TAG_OVERRUN, "multiboot2: tag overruns the total size")                           \
    X(KEEL_E_MB2_NO_END_TAG, "multiboot2: no end tag")                                             \
    X(KEEL_E_MB2_MMAP_ENTRY_SIZE, "multiboot2: memory map entry size is invalid")                  \
    X(KEEL_E_MB2_STRING, "multiboot2: string is not terminated inside its tag")                    \
    X(KEEL_E_MB2_MODULE_RANGE, "multiboot2: module end is before its start")                       \
    /* flattened device tree */                                                                    \
    X(KEEL_E_FDT_MAGIC, "dtb: bad magic")                                                          \
    X(KEEL_E_FDT_VERSION, "dtb: unsupported version")                                              \
    X(KEEL_E_FDT_TOTALSIZE, "dtb: total size is too small or larger than the buffer")              \
    X(KEEL_E_FDT_OFFSETS, "dtb: block offsets or sizes lie outside the blob")                      \
    X(KEEL_E_FDT_OVERLAP_RSV_STRUCT, "dtb: off_mem_rsvmap's block overlaps off_dt_struct's")       \
    X(KEEL_E_FDT_OVERLAP_RSV_STRINGS, "dtb: off_mem_rsvmap's block overlaps off_dt_strings'")      \
    X(KEEL_E_FDT_OVERLAP_STRUCT_STRINGS, "dtb: off_dt_struct's block overlaps off_dt_strings'")    \
    X(KEEL_E_FDT_STRUCTURE, "dtb: malformed structure block")                                      \
    X(KEEL_E_FDT_STRING, "dtb: string offset outside the strings block")                           \
    X(KEEL_E_FDT_PROP, "dtb: property has an invalid length")                                      \
    X(KEEL_E_FDT_CELLS, "dtb: unsupported #address-cells or #size-cells")                          \
    X(KEEL_E_FDT_NOT_FOUND, "dtb: node or property not found")                                     \
    X(KEEL_E_FDT_INITRD, "dtb: initrd end is before its start")                                    \
    /* initrd (newc cpio) */                                                                       \
    X(KEEL_E_CPIO_MAGIC, "initrd: not a newc cpio archive")                                        \
    X(KEEL_E_CPIO_TRUNCATED, "initrd: cpio entry runs past the end of the archive")                \
    X(KEEL_E_CPIO_FIELD, "initrd: cpio header field is not hexadecimal")                           \
    X(KEEL_E_CPIO_NAME, "initrd: cpio file name is empty or not terminated")                       \
    X(KEEL_E_CPIO_NO_TRAILER, "initrd: cpio archive has no TRAILER!!! entry")                      \
    X(KEEL_E_CPIO_CHECKSUM, "initrd: cpio crc-format entry has a wrong checksum")                  \
    X(KEEL_E_CPIO_PADDING, "initrd: bytes after a TRAILER!!! are neither zeros nor an archive")    \
    X(KEEL_E_INITRD_UNREACHABLE, "initrd: range is not reachable in physical memory")              \
    /* memory map */                                                                               \
    X(KEEL_E_MEM_ZERO_SIZE, "memory map: entry has zero size")                                     \
    X(KEEL_E_MEM_WRAP, "memory map: entry wraps around the end of the address space")              \
    X(KEEL_E_MEM_TYPE, "memory map: entry has an unknown type")                                    \
    X(KEEL_E_MEM_TOO_MANY, "memory map: too many entries")                                         \
    X(KEEL_E_MEM_NO_USABLE, "memory map: no usable memory")                                        \
    X(KEEL_E_MODULE_OVERLAPS_KERNEL, "modules: a module overlaps the kernel image")                \
    X(KEEL_E_OVERLAP_MODULES, "modules: two modules overlap")                                      \
    X(KEEL_E_OVERLAP_MODULE_INFO, "modules: a module overlaps the DTB or the multiboot2 info")     \
    X(KEEL_E_OVERLAP_MODULE_RESERVED, "modules: a module lies in reserved, ACPI or bad memory")    \
    X(KEEL_E_OVERLAP_INFO_KERNEL, "memory map: the DTB or multiboot2 info overlaps the kernel")    \
    X(KEEL_E_OVERLAP_KERNEL_RESERVED,                                                              \
      "memory map: reserved, ACPI or bad memory covers the kernel")                                \
    X(KEEL_E_MODULE_TOO_MANY, "modules: too many modules")                                         \
    X(KEEL_E_MODULE_NOT_IN_RAM, "modules: a module lies outside RAM")                              \
    /* ACPI */                                                                                     \
    X(KEEL_E_ACPI_RSDP, "acpi: RSDP signature or checksum is wrong")                               \
    X(KEEL_E_ACPI_TABLE, "acpi: table header, length or checksum is wrong")                        \
    /* the memory sequence */                                                                      \
    X(KEEL_E_MM_LAYOUT, "mm: RAM lies beyond the direct map")                                      \
    X(KEEL_E_MM_PINNED, "mm: refusing to unmap a pinned mapping of running code")                  \
    X(KEEL_E_MM_AUDIT_WX, "page table audit: a page is writable and executable")                   \
    X(KEEL_E_MM_AUDIT_GUARD, "page table audit: a stack guard page is mapped")                     \
    X(KEEL_E_MM_AUDIT_IDENTITY, "page table audit: an identity mapping is not on the list")        \
    X(KEEL_E_MM_STACKS, "mm: no stack slot left")                                                  \
    X(KEEL_E_MM_IDENTITY_FULL, "mm: no room left on the list of identity mappings")                \
    /* page tables */                                                                              \
    X(KEEL_E_PT_MAPPED, "page table: the range is already mapped")                                 \
    /* generic */                                                                                  \
    X(KEEL_E_TOO_LONG_CMDLINE, "cmdline: the kernel command line is too long")                     \
    X(KEEL_E_TOO_LONG_LOADER, "loader: the loader's name is too long")                             \
    X(KEEL_E_TOO_LONG_MODULE_NAME, "modules: a module's name is too long")                         \
    X(KEEL_E_TOO_LONG_MODULE_ARGS, "modules: a module's command line is too long")                 \
    X(KEEL_E_NO_MEMORY, "out of memory")                                                           \
    X(KEEL_E_INVALID, "invalid argument")                                                          \
    /* memory allocators (common/mm); appended so that earlier codes keep their values */          \
    X(KEEL_E_ALLOC_INJECTED, "an allocation failed on purpose (keel.fail_alloc)")                  \
    X(KEEL_E_FRAME_MAP, "frame allocator: memory map is not sorted or wraps")                      \
    X(KEEL_E_FRAME_EXTENTS_FULL, "frame allocator: no room left for another extent")               \
    X(KEEL_E_FRAME_NOT_RAM, "frame allocator: range is not in RAM")                                \
    X(KEEL_E_FRAME_NOT_FREE, "frame allocator: range to reserve is not free")                      \
    X(KEEL_E_FRAME_DOUBLE_FREE, "frame allocator: frame is already free")                          \
    X(KEEL_E_FRAME_WRONG_OWNER, "frame allocator: frame belongs to another owner")                 \
    X(KEEL_E_FRAME_CORRUPT, "frame allocator: accounting check failed")                            \
    X(KEEL_E_HEAP_BAD_POINTER, "heap: pointer was not returned by this heap")                      \
    X(KEEL_E_HEAP_DOUBLE_FREE, "heap: block is already free")                                      \
    X(KEEL_E_HEAP_CORRUPT, "heap: metadata is corrupt")                                            \
    X(KEEL_E_HEAP_REGION, "heap: region is misaligned, too small or cannot be added")              \
    /* the framebuffer Keel sets up itself (boot/fb_reserve.c, drivers/fb/ramfb.c) */              \
    X(KEEL_E_FB_NO_ROOM, "framebuffer: no usable range below 4 GiB is large enough")               \
    X(KEEL_E_FWCFG_UNREACHABLE, "fw_cfg: registers are misaligned or not reachable early")         \
    X(KEEL_E_FWCFG_SIGNATURE, "fw_cfg: the device does not answer \"QEMU\"")                       \
    X(KEEL_E_FWCFG_DMA, "fw_cfg: a DMA transfer failed or did not finish")                         \
    X(KEEL_E_RAMFB_FILE, "ramfb: etc/ramfb has an unexpected size")                                \
    /* the loader's framebuffer record (boot/fb_check.c) and the console (common/fbcon.c) */       \
    X(KEEL_E_FB_SIZE, "framebuffer: zero width or height, or no room for one character")           \
    X(KEEL_E_FB_FORMAT, "framebuffer: bpp is not 24 or 32, or the colour fields are bad")          \
    X(KEEL_E_FB_OVERFLOW, "framebuffer: pitch x height overflows or pitch is too small")           \
    X(KEEL_E_FB_PLACEMENT, "framebuffer: overlaps RAM, kernel, modules or ACPI, or is above 2^48") \
    /* the serial console (drivers/uart/, common/console.c) and the boot identity map */           \
    X(KEEL_E_CONSOLE_NO_DRIVER, "console: the UART the DTB names is disabled or has no driver")    \
    X(KEEL_E_CONSOLE_REG, "console: the UART's reg, reg-shift or reg-io-width is unusable")        \
    X(KEEL_E_CONSOLE_UNREACHABLE, "console: the UART's registers are not reachable early")         \
    X(KEEL_E_CONSOLE_ABSENT, "console: the UART's registers do not answer as its driver's device") \
    X(KEEL_E_CONSOLE_TIMEOUT, "console: the UART did not take a character in time")                \
    X(KEEL_E_BOOT_MAP_FULL,                                                                        \
      "boot map: more memory ranges than the boot identity map has room for")                      \
    X(KEEL_E_BOOT_MAP_CONFLICT, "boot map: a device range overlaps memory mapped as another type") \
    X(KEEL_E_BOOT_MAP_RANGE, "boot map: range is misaligned or beyond the boot identity map")      \
    /* Keel's EFI entry (common/efi_entry.c), while boot services run */                           \
    X(KEEL_E_EFI_SYSTEM_TABLE, "efi: the system table's signature or boot services are missing")   \
    X(KEEL_E_EFI_LOADED_IMAGE, "efi: the firmware gives no loaded image protocol for Keel")        \
    X(KEEL_E_EFI_NO_MEMORY, "efi: AllocatePages found no room below 4 GiB")                        \
    X(KEEL_E_EFI_NO_VOLUME, "efi: the device Keel was loaded from has no file system")             \
    X(KEEL_E_EFI_FILE_MISSING, "efi: a file keel.cfg names is not on the boot volume")             \
    X(KEEL_E_EFI_FILE_READ, "efi: reading a file from the boot volume failed")                     \
    X(KEEL_E_EFI_MEMORY_MAP, "efi: GetMemoryMap failed")                                           \
    X(KEEL_E_EFI_EXIT_BOOT_SERVICES, "efi: ExitBootServices failed; the memory map kept changing") \
    /* the EFI memory map (boot/efi_memmap.c) and the UEFI shim (boot/shim_uefi.c) */              \
    X(KEEL_E_EFI_DESC_SIZE, "efi: memory map descriptor size is below 40 or not a multiple of 8")  \
    X(KEEL_E_EFI_DESC_VERSION, "efi: memory map descriptor version is not 1")                      \
    X(KEEL_E_EFI_MAP_PARTIAL, "efi: memory map size is not a whole number of descriptors")         \
    X(KEEL_E_EFI_MAP_EMPTY, "efi: memory map has no descriptors")                                  \
    X(KEEL_E_EFI_MAP_TOO_MANY, "efi: memory map has more than 4096 descriptors")                   \
    X(KEEL_E_EFI_PAGES, "efi: a descriptor's NumberOfPages overflows the address space")           \
    X(KEEL_E_EFI_OVERLAP, "efi: two memory map descriptors overlap")                               \
    X(KEEL_E_EFI_HANDOFF_MAGIC, "efi: the EFI entry's handoff has a wrong magic")                  \
    X(KEEL_E_EFI_UNREACHABLE,                                                                      \
      "efi: the memory map, a module record or a string of the handoff is not reachable")          \
    X(KEEL_E_EFI_MODULE_NAME, "efi: a module of the handoff has no name")                          \
    /* keel.cfg on the EFI system partition (boot/keel_cfg.c) */                                   \
    X(KEEL_E_CFG_TOO_LONG, "keel.cfg: the file is larger than 64 KiB")                             \
    X(KEEL_E_CFG_BOM, "keel.cfg: the file starts with a byte-order mark")                          \
    X(KEEL_E_CFG_ENCODING, "keel.cfg: a line is not UTF-8 text")                                   \
    X(KEEL_E_CFG_KEYWORD, "keel.cfg: unknown keyword")                                             \
    X(KEEL_E_CFG_CMDLINE_TWICE, "keel.cfg: a second cmdline line")                                 \
    X(KEEL_E_CFG_CMDLINE_LONG, "keel.cfg: the command line is longer than 4095 bytes")             \
    X(KEEL_E_CFG_NO_PATH, "keel.cfg: module without a path")                                       \
    X(KEEL_E_CFG_PATH_RELATIVE, "keel.cfg: a module path does not start with \\ or /")             \
    X(KEEL_E_CFG_PATH_LONG, "keel.cfg: a module path is longer than 255 bytes")                    \
    X(KEEL_E_CFG_PATH_NO_NAME, "keel.cfg: a module path ends in a separator")                      \
    X(KEEL_E_CFG_ARGS_LONG, "keel.cfg: a module's arguments are longer than 1023 bytes")           \
    X(KEEL_E_CFG_TOO_MANY, "keel.cfg: more than 256 modules")                                      \
    /* the CPU list (boot/cpus.c, boot/acpi.c, boot/fdt_cpus.c) and their start (common/smp.c) */  \
    X(KEEL_E_CPU_ENABLE_METHOD, "cpus: a cpu's enable-method is neither psci nor spin-table")      \
    X(KEEL_E_CPU_RELEASE_ADDR, "cpus: a spin-table cpu has no valid cpu-release-addr")             \
    X(KEEL_E_PSCI_METHOD, "psci: no /psci node, or its method is neither hvc nor smc")             \
    X(KEEL_E_CPU_BOOT_UNLISTED, "cpus: the boot CPU is not among the CPUs recorded")               \
    X(KEEL_E_CPU_DISABLED, "cpus: the firmware marks the cpu disabled")                            \
    X(KEEL_E_CPU_START, "cpus: the firmware refused to start the cpu")                             \
    X(KEEL_E_CPU_UNSUPPORTED, "cpus: this arch cannot start the cpu's method yet")                 \
    X(KEEL_E_CPU_APIC_ID, "cpus: the cpu's APIC ID is above 254, which xAPIC mode cannot address") \
    X(KEEL_E_CPU_IPI, "cpus: the local APIC did not send the start IPI")                           \
    X(KEEL_E_CPU_ROOT_HIGH, "cpus: the page-table root is above 4 GiB, out of a 32-bit CR3's "     \
                            "reach")                                                               \
    /* the Raspberry Pi's VideoCore mailbox (drivers/fb/rpi_mailbox.c) and its bus */              \
    X(KEEL_E_MBOX_UNREACHABLE, "rpi-mailbox: the mailbox's registers are not reachable early")     \
    X(KEEL_E_MBOX_TIMEOUT, "rpi-mailbox: the VideoCore did not answer in time")                    \
    X(KEEL_E_MBOX_REFUSED,                                                                         \
      "rpi-mailbox: the VideoCore refused or garbled the framebuffer request")                     \
    X(KEEL_E_MEM_OVER_DEVICES, "memory map: RAM overlaps a bus's device window")                   \
    X(KEEL_E_CPU_PSCI_OLD, "cpus: the firmware's PSCI is older than 0.2 (no CPU_ON_64 to call)")   \
    /* a display on a PCI bus (drivers/fb/bochs_pci.c) */                                          \
    X(KEEL_E_PCI_UNREACHABLE, "pci: the host bridge's configuration space cannot be mapped")       \
    X(KEEL_E_PCI_BAR, "pci: the display's BAR is no 32-bit memory BAR of a usable size")           \
    X(KEEL_E_PCI_WINDOW, "pci: the host bridge's memory window cannot hold the display's BARs")    \
    X(KEEL_E_PCI_WINDOW_RAM, "pci: the host bridge's memory window overlaps the memory map")       \
    X(KEEL_E_BOCHS_ID, "bochs-pci: the display's DISPI interface is not a known version")          \
    X(KEEL_E_BOCHS_MODE, "bochs-pci: the display did not take the 1024x768x32 mode")

enum keel_err {
#define KEEL_ERR_ENUM(name, msg) name,
    KEEL_ERRORS(KEEL_ERR_ENUM)
#undef KEEL_ERR_ENUM
        KEEL_E_COUNT
};

/* The message for an error code; never NULL, even for codes out of range. */
const char *keel_strerror(int err);

/*
 * What a parser read when it failed, for the error line to print after the message
 * (lib/err_detail.c): "" when none was noted. keel_err_note_string records a string that
 * does not fit its field (its first bytes, its length and the limit); the shims clear
 * it when they start.
 */
void keel_err_clear(void);
void keel_err_note_string(const char *s, size_t len, size_t limit);
/* For a text file's parser (keel.cfg): the line number and the first bytes of what was read. */
void keel_err_note_line(uint32_t line, const char *s, size_t len);
/* Records ": NAME", the name of what failed (a file's path), cut to fit the detail. */
void keel_err_note_name(const char *s, size_t len);
/* Records ": A 0xBASE-0xLAST, B 0xBASE-0xLAST": two ranges that may not overlap. */
void keel_err_note_overlap(const char *a, uint64_t a_base, uint64_t a_size, const char *b,
                           uint64_t b_base, uint64_t b_size);
const char *keel_err_detail(void);

/*
 * True for the codes that mean Keel broke an invariant of its own rather than being
 * given bad input: the audit refused a table Keel built, or the frame books do not add
 * up. keel_main exits with KEEL_EXIT_PANIC for these and KEEL_EXIT_BAD_INPUT otherwise.
 */
static inline int keel_err_is_internal(int err)
{
    return err == KEEL_E_MM_AUDIT_WX || err == KEEL_E_MM_AUDIT_GUARD ||
           err == KEEL_E_MM_AUDIT_IDENTITY || err == KEEL_E_FRAME_CORRUPT;
}

#endif

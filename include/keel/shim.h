/* SPDX-License-Identifier: MIT */
/* Boot shims: one call per protocol turns the loader's data into a struct boot_info. */
#ifndef KEEL_SHIM_H
#define KEEL_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>

/*
 * What a shim needs from its caller. The kernel and the host tools both call the
 * shims; only this environment differs between them.
 */
/* EAX at a multiboot2 entry (Multiboot2 specification, 3.2). */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u
/* The first word of a flattened device tree, big-endian in the blob. */
#define FDT_HEADER_MAGIC 0xd00dfeedu

struct shim_env {
    uint64_t kernel_base; /* physical range of the running image; size 0 on the host */
    uint64_t kernel_size;
    uint32_t entry_state; /* copied into boot_info.entry_state */
    /*
     * True when nobody knows where the loader put the DTB (keel-bootinfo given a file
     * and no --dtb-at): the boot_info then records no range and no address for it,
     * rather than an invented one that could cover usable RAM.
     */
    bool dtb_unplaced;
    /*
     * The CPU the shim runs on (arch_cpu_id in the kernel; 0 on the host), counted as the
     * one CPU when the loader lists none: the boot CPU is never left out.
     */
    uint64_t boot_cpu_id;
    /*
     * Returns a readable pointer to physical [pa, pa + len), or NULL when that range
     * is not reachable (the shim then treats the data as absent or as an error, as
     * the protocol demands). The kernel maps physical memory 1:1 during the shim;
     * keel-bootinfo serves its input files at their recorded addresses.
     */
    const void *(*phys_ptr)(void *ctx, uint64_t pa, uint64_t len);
    void *ctx;
};

/*
 * Multiboot2: `magic` is EAX at entry, `info` points at the information structure
 * (readable for at least `avail` bytes) whose physical address is `info_pa`.
 * Returns KEEL_OK or a keel_err; on error *bi is unspecified.
 */
int shim_multiboot2(uint32_t magic, const void *info, uint64_t info_pa, size_t avail,
                    const struct shim_env *env, struct boot_info *bi);

/*
 * Flattened device tree: `dtb` points at the blob (readable for `avail` bytes),
 * whose physical address is `dtb_pa`. `loader` names the loader when the DTB does
 * not ("qemu"); a DTB that U-Boot passed says "u-boot" itself.
 */
int shim_fdt(const void *dtb, uint64_t dtb_pa, size_t avail, const char *loader,
             const struct shim_env *env, struct boot_info *bi);

/*
 * UEFI: `h` is the handoff Keel's EFI entry filled before ExitBootServices (include/keel/
 * efi.h), at physical `h_pa`; the memory map, the module records and the strings it
 * points at are read through env->phys_ptr. Every part is checked: the magic, the memory
 * map (efi_memmap_parse's rules), the strings' lengths, each module's placement, the
 * RSDP (acpi_scan), the GOP mode (a mode Keel cannot use leaves no framebuffer and
 * framebuffer_error says why). `loader` is the firmware vendor; the boot_info's efi
 * fields get the system table and ExitBootServices' attempt count.
 */
struct efi_handoff;
int shim_uefi(const struct efi_handoff *h, uint64_t h_pa, const struct shim_env *env,
              struct boot_info *bi);

/*
 * The kernel's shim stage (common/shim_stage.c), the first stage of keel_main: makes the
 * loader's data readable through the early window, runs the shim that entry->protocol
 * names into the kernel's one boot_info, then the platform fix-ups (QEMU's ramfb where
 * the loader gave no framebuffer; a framebuffer the console cannot reach is dropped).
 * On KEEL_OK *out points at the complete boot_info, which nothing writes afterwards.
 * On bad input returns the shim's keel_err and prints nothing.
 */
struct keel_entry;
int shim_stage(const struct keel_entry *entry, const struct boot_info **out);

/*
 * The boot_info once shim_stage returned KEEL_OK, else NULL: for code that may run at
 * any time and needs a board fact, such as the exit path's PSCI conduit (aarch64).
 */
const struct boot_info *shim_stage_result(void);

/* keel.dump-info: prints the loader's structure as KEEL-DUMP lines (tools/capture-blob.py). */
void shim_dump_info(const struct boot_info *bi);

#endif

/* SPDX-License-Identifier: MIT */
/* Helpers the multiboot2 and FDT shims share: raw range collection, strings, final checks. */
#ifndef KEEL_BOOT_SHIM_INTERNAL_H
#define KEEL_BOOT_SHIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/shim.h>

/* Raw (un-normalised) ranges a shim may collect before memmap_normalise. */
#define SHIM_RAW_MAX 4096u

struct shim_ranges {
    struct bi_mem_range *range;
    size_t count;
    size_t cap;
};

/* Hands out the static scratch array (shims run one at a time, on one CPU). */
void shim_ranges_init(struct shim_ranges *rs);

/* Appends a range; KEEL_E_MEM_TOO_MANY when the scratch array is full. */
int shim_add_range(struct shim_ranges *rs, uint64_t base, uint64_t size, uint32_t type,
                   uint32_t source);

/*
 * Copies `len` bytes of `src` and a NUL into dst[cap]. A string that does not fit is
 * noted for the error line (keel_err_note_string) and `too_long`, the error that names
 * the field, is returned.
 */
int shim_copy_string(char *dst, size_t cap, const char *src, size_t len, int too_long);

/* env->phys_ptr, or NULL when the environment has none. */
const void *shim_phys_ptr(const struct shim_env *env, uint64_t pa, uint64_t len);

/*
 * Checks that [base, base + size) lies inside the RAM the firmware reported as free or
 * the loader's own (the union of the USABLE and BOOTLOADER_RECLAIMABLE ranges collected
 * so far). Returns KEEL_OK or
 * KEEL_E_MODULE_NOT_IN_RAM. What a module may overlap is the one overlap rule's to
 * decide (memmap_check_overlaps, in shim_finish).
 */
int shim_check_module(const struct shim_ranges *rs, uint64_t base, uint64_t size);

/* Starts a boot_info for `protocol` with what the caller's environment says. */
void shim_begin(struct boot_info *bi, uint32_t protocol, const struct shim_env *env);

/*
 * Finds the boot CPU in the CPU list (cpus_finish, env->boot_cpu_id), adds the kernel
 * image's range, applies the overlap rule (memmap_check_overlaps) and normalises
 * everything into bi->mem.
 */
int shim_finish(struct shim_ranges *rs, const struct shim_env *env, struct boot_info *bi);

/*
 * After shim_finish: checks bi->framebuffer (if any) against the map, then adds its
 * range (`size` bytes, or pitch x height when 0) and normalises again. A refused
 * framebuffer is cleared and bi->framebuffer_error says why; the boot goes on.
 */
int shim_claim_framebuffer(struct shim_ranges *rs, struct boot_info *bi, uint64_t size);

/*
 * The end the multiboot2 and UEFI shims share, once the loader's ranges, the modules,
 * bi->framebuffer and bi->rsdp (0: none) are in: every module inside RAM
 * (shim_check_module), the CPUs from the ACPI tables (acpi_scan), shim_finish, and the
 * framebuffer claimed (shim_claim_framebuffer, the whole pitch x height).
 */
int shim_complete(struct shim_ranges *rs, const struct shim_env *env, struct boot_info *bi);

/*
 * The framebuffer devices of a DTB, for the FDT shim and the board layer's early plan
 * alike: every enabled node whose compatible a framebuffer driver serves
 * (drivers/fb/), /chosen's children first, then the whole tree in order, probed by
 * its driver. *out gets the first framebuffer a probe accepted (framebuffer and its
 * size) and the first device of a driver with a setup (device, driver set, and
 * fw_cfg_base); the rest of *out is zero.
 */
struct fdt;
struct fb_found;
void shim_fdt_fb_find(const struct fdt *fdt, struct fb_found *out);

/*
 * What a DTB says about the devices, for the FDT shim and the UEFI shim alike (never
 * its memory): the CPUs of /cpus and their enable-method, the framebuffer devices
 * (shim_fdt_fb_find, into *fbs and bi) and the console (board_find_console).
 */
struct boot_info;
int shim_fdt_devices(const struct fdt *fdt, struct boot_info *bi, struct fb_found *fbs);

#endif

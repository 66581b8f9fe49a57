/* SPDX-License-Identifier: MIT */
/* The boot report: one "KEEL-REPORT {json}" line that tests and users parse. */
#ifndef KEEL_REPORT_H
#define KEEL_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/fmt.h>

/*
 * Writes the JSON members (no braces) that describe `bi` itself: protocol, loader,
 * cmdline, memory, modules, framebuffer, dtb, rsdp, cpus. `module_crc32s` holds one
 * CRC per module, or is NULL when the bytes are not at hand (then crc32 is null).
 * `fbm`, when not NULL, adds the framebuffer's mapping to its object.
 * Implemented in boot/ so that keel-bootinfo prints exactly what the kernel does.
 */
struct fb_mapping {
    uint64_t vbase;          /* where the kernel's table maps the framebuffer */
    const char *memory_type; /* "write-combining", ... */
};
void bi_json_write(const struct sink *s, const struct boot_info *bi, const uint32_t *module_crc32s,
                   const struct fb_mapping *fbm);

/*
 * Whether the framework prints more than its one line: keel.verbose on the command line,
 * or a build configured with -Dverbose=true.
 */
bool keel_verbose(const struct boot_info *bi);

/*
 * Prints the framework's one line (arch, protocol, loader, RAM, modules, CPUs) before
 * the memory sequence; with keel.verbose on the command line also the memory map.
 */
void keel_summary(const struct boot_info *bi);

/* Prints the KEEL-REPORT line. */
struct kernel_memory;
void keel_report(const struct boot_info *bi, const struct kernel_memory *km);

/*
 * For a kernel_ap_main: records that `cpu` ran it, with the stack pointer it saw, for
 * the report's "smp" list (the example kernel calls it; keel_report waits, bounded,
 * for every CPU that checked in).
 */
struct cpu;
void keel_report_ap(const struct cpu *cpu, uint64_t sp);

#endif

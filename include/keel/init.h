/* SPDX-License-Identifier: MIT */
/* The common boot path: what the arch entry calls, and the console and failure API. */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

#include <stdint.h>
#include <stdnoreturn.h>

#include <keel/boot_info.h>

/*
 * The arch's C entry calls exactly one of these once its console, exception vectors
 * and cycle counter are up. They run the protocol's shim into the kernel's one
 * boot_info and continue with the common sequence; on bad input they print one
 * "keel: error:" line and exit with KEEL_EXIT_BAD_INPUT.
 */
noreturn void keel_boot_multiboot2(uint32_t magic, uint64_t info_pa, uint32_t entry_state);
noreturn void keel_boot_fdt(uint64_t dtb_pa, uint32_t entry_state, const char *loader);

/* Prints "keel: error: <keel_strerror(err)>" and exits with KEEL_EXIT_BAD_INPUT. */
noreturn void keel_fail(int err);

/* The same, naming the boot phase: "keel: error: <phase>: <message>". */
noreturn void keel_fail_in(const char *phase, int err);

/* A broken invariant inside Keel: prints "keel: panic: ..." and exits with KEEL_EXIT_PANIC. */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Formatted output to every console sink. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records the cycle counter under `stage` for the boot report's timeline. */
void timeline_mark(const char *stage);

/*
 * Provided by the kernel that uses Keel (example/kernel.c here): runs after the
 * common sequence, on its page tables and heap, and returns the exit code.
 */
struct kernel_memory;
int kernel_main(const struct boot_info *bi, const struct kernel_memory *km);

#endif

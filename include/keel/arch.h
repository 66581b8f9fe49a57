/* SPDX-License-Identifier: MIT */
/* Every hook an architecture must provide; one arch directory per build, strong symbols. */
#ifndef KEEL_ARCH_H
#define KEEL_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <keel/boot_info.h>

/*
 * Each build compiles exactly one arch/ARCH directory. There are no weak defaults:
 * a missing hook is a link error. docs/porting.md marks each hook mandatory or
 * optional and says what a port must do; the comments here give the contract.
 *
 * "Early" below means: running on the boot stack the entry code set up, BSS cleared,
 * exception vectors installed, on the loader's (or the entry code's) page tables.
 */

/* Exit codes the kernel leaves QEMU with. docs/boot-report.md lists them. */
#define KEEL_EXIT_OK 0
#define KEEL_EXIT_BAD_INPUT 2 /* the loader, firmware or DTB gave bad input */
#define KEEL_EXIT_PANIC 3     /* a broken invariant inside Keel */
#define KEEL_EXIT_EXCEPTION 4 /* an unexpected CPU exception */

/*
 * Write one byte to the early console (serial). Early; never fails; may be called
 * before the console is initialised, in which case the byte is dropped. Polls the
 * device with a bound, so it cannot hang on a missing UART.
 */
void arch_console_putc(char c);

/* One received byte from the serial console, or -1 when none is waiting. Never blocks. */
int arch_console_getc(void);

/*
 * Leave the machine with an exit code: under QEMU the process exits with it (the
 * mapping from the arch's exit device to the process status is in docs/targets.md).
 * Early; never returns; if no exit device answers, the CPU halts with interrupts off.
 */
noreturn void arch_exit(int code);

/* A free-running cycle counter (TSC, CNTVCT_EL0). Early; never fails. */
uint64_t arch_cycles(void);

/* The counter's frequency in Hz, measured or read once. Early; never fails (0 = unknown). */
uint64_t arch_cycles_per_second(void);

/* The counter value the entry code read at its first instruction. */
uint64_t arch_entry_cycles(void);

/*
 * Switch the early console to the device the boot shim found (bi->console). Called
 * once, early, right after the shim; a kind the arch does not drive is ignored and
 * the console stays where the entry code put it.
 */
void arch_console_setup(const struct bi_console *console);

/*
 * Physical address of the console's MMIO registers in use now, or 0 when the console
 * needs no mapping (a port-I/O UART). The memory sequence maps that page as device
 * memory and hands its new address to arch_fb_reinit(). Early; never fails.
 */
uint64_t arch_console_mmio_base(void);

/* Physical address at which the loader placed the first byte of Keel's image. Early. */
uint64_t arch_kernel_phys_base(void);

/*
 * During the shim, physical memory is reachable 1:1 through the entry code's boot
 * page tables up to an arch-defined limit. Returns a pointer to [pa, pa + len), or
 * NULL when that range lies (partly) outside the window or wraps. Early; never fails.
 */
const void *arch_early_phys_ptr(uint64_t pa, uint64_t len);

/*
 * The same for device registers during the shim: a pointer through which
 * [pa, pa + len) is reached as uncached device memory (aarch64: the Device-nGnRnE part
 * of the boot identity map, below A64_IDMAP_DEVICE_END; x86_64: the [0, 4 GiB) boot
 * window), or NULL when the range lies (partly) outside it or wraps. Only naturally
 * aligned volatile accesses of the register's own width may be made through it. Early;
 * never fails; after arch_tlb_switch() every range is outside.
 */
volatile void *arch_early_mmio_ptr(uint64_t pa, uint64_t len);

/*
 * Writes the boot report's JSON member that says how the CPU was entered, from
 * boot_info.entry_state: "entry_el": N on aarch64, "entry_mode": "NAME" on x86_64.
 */
struct sink;
void arch_report_entry(const struct sink *s, uint32_t entry_state);

/* ---- Memory hooks (the common sequence in common/mm/init.c calls these) ---- */

struct page_table;

/*
 * The page-table hooks arch_create_page_table, arch_map_section, arch_unmap_section and
 * arch_query_mapping are declared in keel/page_table.h: their walk is written once in
 * common/mm/page_table.c over the entry encoding in arch/ARCH/include/arch/pte.h,
 * which is the part a port writes.
 */

/* True when the CPU can map 1 GiB pages (x86_64: CPUID 80000001h EDX bit 26). Early. */
bool arch_has_1g_pages(void);

/*
 * Makes `pt` the live translation for both halves of the address space (x86_64: CR3,
 * after programming IA32_PAT; aarch64: TTBR0_EL1 and TTBR1_EL1, switched while running
 * from the identity map). Called once, on the boot stack, with interrupts off, after
 * the audit passed. The new table must map the running code, the boot stack, the
 * exception stacks and vectors at the same virtual addresses, and the identity
 * mappings listed for the switch. Never fails; nothing may print until
 * arch_fb_reinit() has run.
 */
void arch_tlb_switch(const struct page_table *pt);

/*
 * Invalidates any cached translation for [va, va + size) on this CPU after the live
 * table changed. Called by the builder through pt_ops.tlb_invalidate once live.
 */
void arch_tlb_invalidate(uint64_t va, uint64_t size);

/*
 * Re-points the early console at its mapping in the new table, right after
 * arch_tlb_switch(). `console_mmio` is the virtual address at which the common
 * sequence mapped the console device (bi->console, device memory), or 0 when the
 * console needs no mapping (port I/O). The framebuffer console joins here later.
 * Never fails.
 */
void arch_fb_reinit(uint64_t console_mmio);

/* The name the boot report uses for this arch: "x86_64" or "aarch64". */
extern const char arch_name[];

#endif

/* SPDX-License-Identifier: MIT */
/* Every hook an architecture must provide; one arch directory per build, strong symbols. */
#ifndef KEEL_ARCH_H
#define KEEL_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <keel/boot_info.h>
#include <keel/exit.h>

/*
 * Each build compiles exactly one arch/ARCH directory. There are no weak defaults:
 * a missing hook is a link error. docs/porting.md marks each hook mandatory or
 * optional and says what a port must do; the comments here give the contract.
 *
 * "Early" below means: running on the boot stack the entry code set up, BSS cleared,
 * exception vectors installed, on the loader's (or the entry code's) page tables.
 *
 * The console is no hook: its UARTs are drivers (drivers/uart/) that common/console.c
 * drives through the early windows below; an arch with port I/O provides the inline
 * accessors of <arch/pio.h>. Board facts are no hook either: they come from the DTB
 * and boot/board.c.
 */

/* The exit hook, arch_exit(code), and the exit codes are public: keel/exit.h. */

/* A free-running cycle counter (TSC, CNTVCT_EL0, the time CSR). Early; never fails. */
uint64_t arch_cycles(void);

/* The counter's frequency in Hz, measured or read once. Early; never fails (0 = unknown). */
uint64_t arch_cycles_per_second(void);

/* The counter value the entry code read at its first instruction. */
uint64_t arch_entry_cycles(void);

/* Physical address at which the loader placed the first byte of Keel's image. Early. */
uint64_t arch_kernel_phys_base(void);

/*
 * The hardware id of the CPU this runs on, in the form the boot_info's CPU list uses:
 * the initial APIC ID on x86_64 (CPUID leaf 1), the MPIDR_EL1 affinity fields on
 * aarch64, the hart id on riscv64 (which S-mode cannot read: the boot hart's from a0 at
 * entry, a secondary's from its per-CPU area). The shims count the boot CPU with it when
 * the loader lists no CPUs. Early.
 */
uint64_t arch_cpu_id(void);

/*
 * The boot identity map, until arch_tlb_switch(). Each arch's entry code maps what it
 * must; the board layer (common/board_early.c) adds what the DTB describes through
 * arch_early_map: RAM (`mem` PT_MEM_NORMAL), a framebuffer (PT_MEM_WC) and device
 * registers (PT_MEM_DEVICE), page-aligned, never page 0. Mapping memory fills only what
 * is not mapped yet; a device range that overlaps memory of another type is refused
 * with KEEL_E_BOOT_MAP_CONFLICT, a full table pool gives KEEL_E_BOOT_MAP_FULL, and a
 * range the map cannot hold KEEL_E_BOOT_MAP_RANGE. aarch64 builds its map from these
 * calls; x86_64's entry code maps [0, 4 GiB) already, and the hook only says whether a
 * range lies inside it. Early; never fails for a range that is mapped already.
 */
int arch_early_map(uint64_t pa, uint64_t size, uint32_t mem);

/*
 * Physical memory through the boot identity map: a pointer to [pa, pa + len), or NULL
 * when some byte of it is not mapped as normal memory (aarch64: RAM and what entry.S
 * mapped, the image and the DTB; x86_64: [4 KiB, 4 GiB)) or the range wraps. Early;
 * never fails; after arch_tlb_switch() every range is outside.
 */
const void *arch_early_phys_ptr(uint64_t pa, uint64_t len);

/*
 * The same for device registers: a pointer through which [pa, pa + len) is reached as
 * uncached device memory (aarch64: the pages mapped Device-nGnRnE; x86_64: the
 * [0, 4 GiB) window, whose MMIO holes the firmware's MTRRs make uncached), or NULL.
 * Only naturally aligned volatile accesses of the register's own width may be made
 * through it. Early; never fails; after arch_tlb_switch() every range is outside.
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
 * The virtual address width of Keel's own table: PT_VA_BITS_MAX (48, four levels), or
 * 39 (three levels: riscv64's Sv39, where the hart or the DTB rules out Sv48). The
 * layout of the kernel half follows it (struct layout, keel/mm.h). Early.
 */
unsigned arch_va_bits(void);

/*
 * Makes `pt` the live translation for both halves of the address space (x86_64: CR3,
 * after programming IA32_PAT; aarch64: TTBR0_EL1 and TTBR1_EL1, switched while running
 * from the identity map). Called once, on the boot stack, with interrupts off, after
 * the audit passed. The new table must map the running code, the boot stack, the
 * exception stacks and vectors at the same virtual addresses, and the identity
 * mappings listed for the switch. Before the boot mapping goes it calls
 * console_uart_suspend(), so that an MMIO console is not reached through it. Never
 * fails; nothing may print until arch_fb_reinit() has run.
 */
void arch_tlb_switch(const struct page_table *pt);

/*
 * The TLB contract, one for every arch (docs/memory.md, "TLBs"): once a stage that
 * removed mappings from the live table has called smp_tlb_sync() (common/smp.c), no
 * CPU uses a stale translation of them. The arch provides the two halves of it:
 *
 * arch_tlb_invalidate: after the live table changed, invalidates every cached
 * translation (and walk cache entry) for [va, va + size) on this CPU, and on every
 * other CPU too where the arch broadcasts (aarch64: TLBI ...IS, DSB ISH, ISB; x86_64
 * cannot without IPIs: INVLPG or a CR3 reload, this CPU only). Called by the builder
 * through pt_ops.tlb_invalidate once live. Never fails.
 *
 * arch_tlb_flush_local: invalidates every translation this CPU holds for the kernel's
 * table (aarch64: TLBI VMALLE1, DSB NSH, ISB; x86_64: a CR3 reload, which is enough
 * because no Keel leaf is global). Called by a secondary CPU in Keel's wait and park
 * loops when the TLB generation moves, which is how a CPU that cannot be reached by a
 * broadcast forgets what it cached. Never fails.
 */
void arch_tlb_invalidate(uint64_t va, uint64_t size);
void arch_tlb_flush_local(void);

/*
 * The devices' move to the new table, right after arch_tlb_switch(). `console_mmio` is
 * the virtual address at which the common sequence mapped the console UART's page
 * (console_uart_mmio_base(), device memory), or 0 when it needs no mapping (port I/O,
 * or no console). The hook hands it to console_uart_remap(), which re-points the
 * UART's driver, and does whatever else the arch's devices need. Never fails.
 */
void arch_fb_reinit(uint64_t console_mmio);

/* ---- Secondary CPUs (common/smp.c calls these; docs/porting.md) ---- */

struct percpu;

/*
 * Makes what the arch needs to start CPU `rec` into pc (x86_64: its GDT and TSS, a
 * double-fault stack, and on the first call the real-mode trampoline and the local
 * APIC's mapping; aarch64: nothing). Called for every CPU before any is started, so
 * that an allocation failure starts none: KEEL_OK, or the allocation's error, which
 * fails the boot.
 */
int arch_cpu_prepare(const struct boot_info *bi, struct percpu *pc);

/*
 * Asks CPU `rec` to start at the arch's AP entry, which must reach keel_ap_main(pc) on
 * pc->cpu.stack.top with the MMU on the kernel's table (the identity mappings of the
 * memory result are still there), its exception vectors and pc->exception_stack, and
 * the per-CPU register pointing at pc. Called on the boot CPU after the memory
 * sequence, once per CPU and after that CPU's state is SMP_CPU_STARTING, never waiting
 * for the CPU itself (x86_64's last call sends every CPU its INIT-SIPI-SIPI, with one
 * INIT delay for all). Returns KEEL_OK when the request was made or recorded,
 * KEEL_E_CPU_START (the firmware refused: PSCI's error), the arch's own reason
 * (x86_64: KEEL_E_CPU_APIC_ID) or KEEL_E_CPU_UNSUPPORTED (no way on this arch yet).
 */
int arch_cpu_start(const struct boot_info *bi, const struct bi_cpu *rec, struct percpu *pc);

/*
 * Called once after the wait, whether every CPU checked in or not: what the start left
 * behind is undone (x86_64: a CPU that did not check in gets INIT, so that it cannot
 * run the trampoline later, and the trampoline page is unmapped and freed).
 */
void arch_cpus_started(void);

/*
 * The park loop's waits (common/smp.c polls with them). arch_cpu_relax masks
 * interrupts (a kernel_ap_main that returns may have unmasked them) and makes one short
 * wait between two polls of memory, which must end by itself or when another CPU calls
 * arch_cpu_wake: aarch64 WFE (woken by SEV); x86_64 PAUSE (HLT would never wake
 * without interrupts). arch_cpu_wake makes the stores before it visible and ends every
 * other CPU's arch_cpu_relax: aarch64 DSB ISH then SEV; x86_64 nothing (PAUSE ends by
 * itself). Neither fails; arch_cpu_relax may return early.
 */
void arch_cpu_relax(void);
void arch_cpu_wake(void);

/*
 * The per-CPU register: the struct percpu it points at on a secondary CPU (aarch64
 * TPIDR_EL1, x86_64 the GS base), or whatever it held on the boot CPU, which the
 * common code checks against the CPUs it started (smp_cpu_index). Any context, even
 * an exception handler; never fails.
 */
uint64_t arch_percpu(void);

/*
 * The shim stage's platform fix-up of the arch (common/shim_stage.c): what only a call
 * into the firmware can tell, recorded in the boot_info before it is final (aarch64:
 * PSCI_VERSION through the conduit the DTB or FADT named, when there is one; x86_64
 * and riscv64: nothing). Runs on the boot CPU on the boot identity map. Never fails:
 * what the firmware does not answer stays 0.
 */
void arch_firmware_probe(struct boot_info *bi);

/* The name the boot report uses for this arch: "x86_64", "aarch64" or "riscv64". */
extern const char arch_name[];

#endif

/* SPDX-License-Identifier: MIT */
/* x86_64 private helpers: port I/O, control registers and the arch's internal entry points. */
#ifndef X86_CPU_H
#define X86_CPU_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <x86/defs.h>

static inline void x86_outb(uint16_t port, uint8_t val)
{
    __asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline void x86_outl(uint16_t port, uint32_t val)
{
    __asm__ volatile("outl %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t x86_inb(uint16_t port)
{
    uint8_t val;
    __asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
    return val;
}

static inline uint64_t x86_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t x86_read_cr2(void)
{
    uint64_t val;
    __asm__ volatile("mov %%cr2, %0" : "=r"(val));
    return val;
}

static inline void x86_cpuid(uint32_t leaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                             uint32_t *edx)
{
    __asm__ volatile("cpuid" : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx) : "a"(leaf), "c"(0));
}

/* IA32_GS_BASE (SDM vol. 4): the per-CPU register, a CPU's struct percpu (smp.c, park.c). */
#define X86_MSR_GS_BASE 0xc0000101u

static inline void x86_wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr"
                     :
                     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
}

static inline uint64_t x86_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t x86_read_cr3(void)
{
    uint64_t val;
    __asm__ volatile("mov %%cr3, %0" : "=r"(val));
    return val;
}

/* "memory": every page-table store the compiler holds must reach memory before the load. */
static inline void x86_write_cr3(uint64_t val)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

static inline void x86_invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* The register state the vector stubs save (exception_entry.S builds it). */
struct x86_exception_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error; /* 0 for vectors without an error code */
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(offsetof(struct x86_exception_frame, vector) == X86_FRAME_VECTOR, "frame");
_Static_assert(offsetof(struct x86_exception_frame, error) == X86_FRAME_ERROR, "frame");
_Static_assert(offsetof(struct x86_exception_frame, rip) == X86_FRAME_RIP, "frame");
_Static_assert(sizeof(struct x86_exception_frame) == X86_FRAME_SIZE, "frame");

/* Set by entry.S before Keel's tables are live; read only. */
extern uint64_t x86_entry_tsc;
extern uint64_t x86_kernel_phys; /* the image's physical base, wherever it was loaded */
extern uint32_t x86_boot_magic;
extern uint32_t x86_boot_info_pa;

/* Set by arch_tlb_switch(): the boot 1:1 window is gone from then on. */
extern bool x86_mmu_switched;

/* Addresses of the vector stubs, indexed by vector (exception_entry.S). */
extern const uint64_t x86_exception_stubs[X86_EXCEPTION_COUNT];

/* The multiboot2 C entry: entry.S calls it on the boot stack, in long mode, BSS cleared. */
noreturn void x86_mb2_start(uint32_t magic, uint64_t info_pa);

/*
 * The EFI C entry (efi.c), called by entry.S on the firmware's stack and a copy of its
 * page tables with the kernel mapped. Returns an EFI status to the firmware only when
 * the boot goes back to it; otherwise it ends in x86_boot.
 */
struct efi_system_table;
uint64_t x86_efi_start(void *image, struct efi_system_table *st);

/* GRUB's 64-bit EFI entry (efi.c), called by entry.S as x86_efi_start is; never returns. */
noreturn void x86_mb2_efi_start(uint32_t magic, uint64_t info_pa);

/*
 * Every entry ends here (start.c), on the boot stack with Keel's boot tables: the CPU
 * tables, the console on COM1, the TSC, then keel_main.
 */
struct keel_entry;
noreturn void x86_boot(const struct keel_entry *entry);

/* Calls fn(arg) on the boot stack (entry.S); the caller's stack is abandoned. */
noreturn void x86_boot_stack_call(void (*fn)(void *), void *arg);

/* Tells QEMU's isa-debug-exit device the exit code, and returns where there is none. */
void x86_exit_device(int code);

/* The boot tables entry.S fills (.bss.x86_page_tables). */
extern uint64_t x86_boot_pml4[512];
extern uint64_t x86_boot_pdpt_low[512];
extern uint64_t x86_boot_pd_low[4][512];
extern uint64_t x86_boot_pt_first[512];

/* The 64-bit TSS (SDM vol. 3, 8.7); packed because rsp0 sits at offset 4. */
struct x86_tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct x86_tss) == 104, "64-bit TSS layout");

/* One CPU's GDT (null, code, data, the 16-byte TSS descriptor) and its TSS. */
struct x86_cpu_tables {
    uint64_t gdt[5];
    struct x86_tss tss;
};

/*
 * Builds the IDT with the 32 exception vectors (once, on the boot CPU), then loads the
 * boot CPU's tables with its IST stacks in .bss.
 */
void x86_cpu_tables_init(void);

/*
 * Fills `t` (a GDT whose TSS has the IST stack tops `ist_top`, indexed by IST slot - 1)
 * and loads it on the running CPU: GDT, CS/DS/ES/SS, TR, and the shared IDT. The boot
 * CPU's tables and every secondary CPU's go through here; `t` must stay in place.
 */
void x86_cpu_tables_load(struct x86_cpu_tables *t, const uint64_t ist_top[X86_IST_COUNT]);

/* Writes IA32_PAT with Keel's value (entry 1 write-combining) when the CPU has a PAT. */
void x86_pat_init(void);

/* The running CPU's APIC ID: CPUID leaf 0BH's x2APIC ID when the leaf exists, else leaf 1's. */
uint32_t x86_apic_id(void);

/* The secondary CPUs' C entry (smp.c), from x86_ap_entry64 on the CPU's own stack. */
struct percpu;
noreturn void x86_ap_start(struct percpu *pc);

/*
 * Called by the vector stubs: a page fault goes to keel_page_fault(); anything else
 * prints one line and exits with KEEL_EXIT_EXCEPTION.
 */
noreturn void x86_exception(const struct x86_exception_frame *frame);

/* Measures the TSC against PIT channel 2; arch_cycles_per_second() returns the result. */
void x86_tsc_calibrate(void);

#endif

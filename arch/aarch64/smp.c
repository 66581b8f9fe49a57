/* SPDX-License-Identifier: MIT */
/* aarch64's CPU start: PSCI CPU_ON through the DTB's conduit, or a spin-table release. */
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/smp.h>

#include <a64/a64.h>
#include <a64/smp.h>

#define PSCI_CPU_ON_64 0xc4000003u
#define PSCI_VERSION 0x84000000u
/* PSCI 0.2 is the first with the standard function IDs, CPU_ON_64 among them. */
#define PSCI_VERSION_0_2 0x00000002u
#define CACHE_LINE_MIN 16u

_Static_assert(sizeof(struct a64_ap_boot) <= sizeof(((struct percpu *)0)->arch),
               "the AP's boot context fits the per-CPU area's arch words");

/* Spin-table CPUs' contexts by MPIDR; read with the MMU off, so cleaned to PoC. */
uint64_t a64_spin_slots[A64_SPIN_SLOTS][2];
static uint32_t spin_slots_used;

/* Cleans [p, p + len) to the point of coherency, for a reader whose MMU is off. */
static void clean_to_poc(const void *p, uint64_t len)
{
    uint64_t ctr;
    __asm__ volatile("mrs %0, ctr_el0" : "=r"(ctr));
    uint64_t line = UINT64_C(4) << ((ctr >> 16) & 0xf);
    if (line < CACHE_LINE_MIN) {
        line = CACHE_LINE_MIN;
    }
    uint64_t a = (uint64_t)(uintptr_t)p & ~(line - 1);
    for (; a < (uint64_t)(uintptr_t)p + len; a += line) {
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    }
    __asm__ volatile("dsb sy" : : : "memory");
}

static uint64_t kernel_to_phys(const void *p)
{
    return (uint64_t)(uintptr_t)p - KERNEL_VBASE + arch_kernel_phys_base();
}

static int64_t psci_call(uint32_t conduit, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (conduit == BI_PSCI_SMC) {
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    } else {
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    }
    return (int64_t)x0;
}

/* The context: this CPU's translation regime, the new CPU's stacks, vectors and area. */
static struct a64_ap_boot *boot_context(struct percpu *pc)
{
    struct a64_ap_boot *b = (struct a64_ap_boot *)pc->arch;
    __asm__ volatile("mrs %0, mair_el1" : "=r"(b->mair));
    __asm__ volatile("mrs %0, tcr_el1" : "=r"(b->tcr));
    __asm__ volatile("mrs %0, ttbr0_el1" : "=r"(b->ttbr0));
    __asm__ volatile("mrs %0, ttbr1_el1" : "=r"(b->ttbr1));
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(b->sctlr));
    __asm__ volatile("mrs %0, vbar_el1" : "=r"(b->vbar));
    b->exc_sp = pc->exception_stack.top.va;
    b->sp = pc->cpu.stack.top.va;
    b->percpu = (uint64_t)(uintptr_t)pc;
    b->entry = (uint64_t)(uintptr_t)&keel_ap_main;
    clean_to_poc(b, sizeof(*b));
    return b;
}

/*
 * PSCI_VERSION (PSCI 1.1, 5.1.1): bits 31:16 the major version, 15:0 the minor, in
 * w0. A firmware older than 0.2 has no such call and answers NOT_SUPPORTED (-1).
 */
void arch_firmware_probe(struct boot_info *bi)
{
    if (bi->psci_conduit == BI_PSCI_SMC || bi->psci_conduit == BI_PSCI_HVC) {
        int32_t v = (int32_t)psci_call(bi->psci_conduit, PSCI_VERSION, 0, 0, 0);
        bi->psci_version = v < 0 ? 0 : (uint32_t)v;
    }
}

/* Each CPU's boot context lives in its per-CPU area: nothing else to make first. */
int arch_cpu_prepare(const struct boot_info *bi, struct percpu *pc)
{
    (void)bi;
    (void)pc;
    return KEEL_OK;
}

/* PSCI and spin-table leave nothing behind to undo. */
void arch_cpus_started(void)
{
}

int arch_cpu_start(const struct boot_info *bi, const struct bi_cpu *rec, struct percpu *pc)
{
    uint64_t ctx_pa;
    struct a64_ap_boot *b = boot_context(pc);

    if (!mm_virt_to_phys(b, &ctx_pa)) {
        return KEEL_E_CPU_START;
    }
    if (rec->method == BI_CPU_METHOD_PSCI) {
        if (bi->psci_version < PSCI_VERSION_0_2) {
            return KEEL_E_CPU_PSCI_OLD;
        }
        /* PSCI 1.1, 5.1.4: 0 is SUCCESS; the rest (INVALID_PARAMETERS, ALREADY_ON, ...) fail. */
        int64_t r = psci_call(bi->psci_conduit, PSCI_CPU_ON_64, rec->id,
                              kernel_to_phys(a64_ap_entry_psci), ctx_pa);
        return r == 0 ? KEEL_OK : KEEL_E_CPU_START;
    }
    if (rec->method == BI_CPU_METHOD_SPIN_TABLE) {
        uint64_t *release = (uint64_t *)(uintptr_t)mm_phys_ptr(rec->release_addr, 8);
        if (release == NULL || spin_slots_used == A64_SPIN_SLOTS) {
            return KEEL_E_CPU_START;
        }
        uint64_t *slot = a64_spin_slots[spin_slots_used++];
        slot[0] = rec->id;
        slot[1] = ctx_pa;
        clean_to_poc(slot, 16);
        /* The Devicetree spec's spin-table: write the entry, clean it, then wake the CPU. */
        __atomic_store_n(release, kernel_to_phys(a64_ap_entry_spin), __ATOMIC_RELEASE);
        clean_to_poc(release, 8);
        __asm__ volatile("sev" : : : "memory");
        return KEEL_OK;
    }
    return KEEL_E_CPU_UNSUPPORTED;
}

/* The park loop's hooks (keel/arch.h): WFE between polls, SEV to end them. */
void arch_cpu_relax(void)
{
    __asm__ volatile("msr daifset, #0xf\n\twfe" : : : "memory");
}

void arch_cpu_wake(void)
{
    __asm__ volatile("dsb ish\n\tsev" : : : "memory");
}

uint64_t arch_percpu(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidr_el1" : "=r"(v));
    return v;
}

/* The local half of the TLB contract; arch_tlb_invalidate (mmu.c) broadcasts. */
void arch_tlb_flush_local(void)
{
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory");
}

/* SPDX-License-Identifier: MIT */
/* x86_64's CPU start: INIT-SIPI-SIPI through the local APIC, the trampoline page, the AP's tables.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/smp.h>
#include <x86/cpu.h>
#include <x86/smp.h>

/* IA32_APIC_BASE (SDM vol. 3A, 11.4.4): the base address, xAPIC enable, x2APIC mode. */
#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC (UINT64_C(1) << 10)
#define APIC_BASE_ADDR_MASK UINT64_C(0x000ffffffffff000)

/* The interrupt command register: xAPIC MMIO offsets, the x2APIC MSR (SDM vol. 3A, 11.6). */
#define XAPIC_ICR_LOW 0x300
#define XAPIC_ICR_HIGH 0x310
#define X2APIC_ICR 0x830
#define ICR_INIT 0x00000500u
#define ICR_STARTUP 0x00000600u
#define ICR_LEVEL_ASSERT 0x00004000u
#define ICR_PENDING 0x00001000u /* xAPIC delivery status: the IPI is not sent yet */
#define XAPIC_ID_MAX 0xfeu      /* 0xff is the broadcast destination */

/*
 * The waits of the SDM's MP initialization protocol (vol. 3A, 9.4.4.1): 10 ms from INIT
 * to the first SIPI, 200 us between the two SIPIs. The ICR's delivery status is given
 * a bound of its own, far longer than a send takes.
 */
#define INIT_WAIT_US 10000u
#define SIPI_WAIT_US 200u
#define ICR_BOUND_US 100000u
#define HZ_UNKNOWN UINT64_C(10000000000) /* no calibrated TSC: wait as if it ran at 10 GHz */

#define TRAMPOLINE_LIMIT 0x100000u /* a SIPI vector names a page below 1 MiB */

/* What a secondary CPU keeps in its per-CPU area's arch words. */
struct x86_ap {
    struct x86_cpu_tables tables;
    struct stack fault_stack; /* #DF and NMI (IST1, IST2); #PF takes pc->exception_stack */
    int32_t err;              /* the start's result, returned by its arch_cpu_start */
    bool sent;                /* it got INIT: the clean-up sends INIT again if it did not come */
};

_Static_assert(sizeof(struct x86_ap) <= sizeof(((struct percpu *)0)->arch),
               "the AP's tables fit the per-CPU area's arch words");

/* Read by x86_ap_entry64 (smp_entry.S): {APIC ID, stack top, per-CPU area} per CPU. */
uint64_t x86_ap_slots[BI_CPU_MAX][X86_AP_SLOT_SIZE / 8];
uint32_t x86_ap_slot_count;

extern const char x86_ap_trampoline[], x86_ap_trampoline_end[];
extern const char x86_ap_tramp32[], x86_ap_tramp64[], x86_ap_entry64[];

static struct {
    bool x2apic;
    volatile uint32_t *xapic; /* the local APIC's registers, mapped uncached */
    uint64_t trampoline;      /* its physical page, 0 once released */
    uint32_t start_calls;     /* arch_cpu_start calls so far; the last sends the IPIs */
} apic;

static struct x86_ap *ap_of(struct percpu *pc)
{
    return (struct x86_ap *)pc->arch;
}

static void wait_us(uint64_t us)
{
    uint64_t hz = arch_cycles_per_second();
    uint64_t cycles = (hz != 0 ? hz : HZ_UNKNOWN) / 1000000 * us;
    uint64_t start = arch_cycles();

    while (arch_cycles() - start < cycles) {
        __asm__ volatile("pause");
    }
}

/* One IPI to APIC ID `id`: KEEL_OK, or KEEL_E_CPU_IPI when the xAPIC never sent it. */
static int send_ipi(uint64_t id, uint32_t command)
{
    /* The slots and the trampoline are written before the IPI is: WRMSR does not order. */
    __asm__ volatile("mfence" : : : "memory");
    if (apic.x2apic) {
        x86_wrmsr(X2APIC_ICR, (id << 32) | command);
        return KEEL_OK;
    }
    apic.xapic[XAPIC_ICR_HIGH / 4] = (uint32_t)id << 24;
    apic.xapic[XAPIC_ICR_LOW / 4] = command;
    uint64_t hz = arch_cycles_per_second();
    uint64_t bound = (hz != 0 ? hz : HZ_UNKNOWN) / 1000000 * ICR_BOUND_US;
    uint64_t start = arch_cycles();
    while ((apic.xapic[XAPIC_ICR_LOW / 4] & ICR_PENDING) != 0) {
        if (arch_cycles() - start > bound) {
            return KEEL_E_CPU_IPI;
        }
        __asm__ volatile("pause");
    }
    return KEEL_OK;
}

/* The trampoline page, filled through the direct map; the kernel's table maps it 1:1. */
static int trampoline_new(void)
{
    uint64_t root = x86_read_cr3() & X86_CR3_ADDR_MASK;
    uint64_t pa;

    if (root >= X86_IDENTITY_LIMIT) {
        return KEEL_E_CPU_ROOT_HIGH; /* the memory sequence allocates it below 4 GiB */
    }
    int err = mm_low_page_map(TRAMPOLINE_LIMIT, &pa);
    if (err != KEEL_OK) {
        return err;
    }
    uint8_t *page = (uint8_t *)(uintptr_t)mm_phys_ptr(pa, X86_PAGE_SIZE);
    if (page == NULL) {
        mm_low_page_release(pa);
        return KEEL_E_CPU_START;
    }
    uint64_t size = (uint64_t)(x86_ap_trampoline_end - x86_ap_trampoline);
    uint32_t far32 = (uint32_t)(pa + (uint64_t)(x86_ap_tramp32 - x86_ap_trampoline));
    uint32_t far64 = (uint32_t)(pa + (uint64_t)(x86_ap_tramp64 - x86_ap_trampoline));
    uint16_t limit = 4 * 8 - 1;
    uint32_t gdt = (uint32_t)(pa + X86_TRAMP_GDT);
    uint16_t sel32 = X86_TRAMP_SEL_CODE32;
    uint16_t sel64 = X86_TRAMP_SEL_CODE64;
    uint64_t entry = (uint64_t)(uintptr_t)x86_ap_entry64;

    memset(page, 0, X86_PAGE_SIZE);
    memcpy(page, x86_ap_trampoline, size);
    memcpy(page + X86_TRAMP_GDTR, &limit, 2);
    memcpy(page + X86_TRAMP_GDTR + 2, &gdt, 4);
    memcpy(page + X86_TRAMP_FAR32, &far32, 4);
    memcpy(page + X86_TRAMP_FAR32 + 4, &sel32, 2);
    memcpy(page + X86_TRAMP_FAR64, &far64, 4);
    memcpy(page + X86_TRAMP_FAR64 + 4, &sel64, 2);
    memcpy(page + X86_TRAMP_CR3, &root, 8);
    memcpy(page + X86_TRAMP_ENTRY, &entry, 8);
    apic.trampoline = pa;
    return KEEL_OK;
}

/* The first CPU's: the APIC's mode and registers, and the trampoline page. */
static int start_prepare(const struct boot_info *bi)
{
    uint64_t base = x86_rdmsr(MSR_APIC_BASE);

    apic.x2apic = (base & APIC_BASE_X2APIC) != 0;
    if (!apic.x2apic) {
        uint64_t pa = bi->intc_base != 0 ? bi->intc_base : base & APIC_BASE_ADDR_MASK;
        volatile void *regs;
        int err = mm_map_device(pa, X86_PAGE_SIZE, &regs);
        if (err != KEEL_OK) {
            return err;
        }
        apic.xapic = (volatile uint32_t *)regs;
    }
    return trampoline_new();
}

int arch_cpu_prepare(const struct boot_info *bi, struct percpu *pc)
{
    struct x86_ap *ap = ap_of(pc);

    if (x86_ap_slot_count == 0 && apic.trampoline == 0) {
        int err = start_prepare(bi);
        if (err != KEEL_OK) {
            return err;
        }
    }
    if (x86_ap_slot_count == BI_CPU_MAX) {
        return KEEL_E_INVALID; /* common code starts at most BI_CPU_MAX - 1 CPUs */
    }
    int err = mm_stack_alloc(SMP_EXC_STACK_PAGES, &ap->fault_stack);
    if (err != KEEL_OK) {
        return err;
    }
    ap->err = KEEL_OK;
    if (!apic.x2apic && pc->cpu.id > XAPIC_ID_MAX) {
        ap->err = KEEL_E_CPU_APIC_ID;
    }
    uint64_t *slot = x86_ap_slots[x86_ap_slot_count];
    slot[0] = pc->cpu.id;
    slot[X86_AP_SLOT_STACK / 8] = pc->cpu.stack.top.va;
    slot[X86_AP_SLOT_PERCPU / 8] = (uint64_t)(uintptr_t)pc;
    x86_ap_slot_count++;
    return KEEL_OK;
}

static struct percpu *slot_cpu(uint32_t i)
{
    return (struct percpu *)(uintptr_t)x86_ap_slots[i][X86_AP_SLOT_PERCPU / 8];
}

/* Sends `command` to every prepared CPU whose start has not failed yet. */
static void send_all(uint32_t command)
{
    for (uint32_t i = 0; i < x86_ap_slot_count; i++) {
        struct percpu *pc = slot_cpu(i);
        struct x86_ap *ap = ap_of(pc);
        if (ap->err == KEEL_OK) {
            ap->err = send_ipi(pc->cpu.id, command);
            ap->sent = true;
        }
    }
}

/*
 * The SDM's INIT-SIPI-SIPI, to each CPU by its APIC ID, for all of them at once: one
 * INIT wait and one SIPI wait however many CPUs there are. The IPIs go out in the last
 * CPU's call, when common code has marked every CPU STARTING: a CPU that arrived
 * before its mark would find itself given up. A CPU already running ignores the second
 * SIPI; one whose IPI the APIC did not send is not marked failed here (its call has
 * returned) and is reported as not checking in.
 */
int arch_cpu_start(const struct boot_info *bi, const struct bi_cpu *rec, struct percpu *pc)
{
    (void)bi;
    (void)rec;
    if (++apic.start_calls == x86_ap_slot_count) {
        uint32_t sipi = ICR_STARTUP | ICR_LEVEL_ASSERT | (uint32_t)(apic.trampoline >> 12);
        send_all(ICR_INIT | ICR_LEVEL_ASSERT);
        wait_us(INIT_WAIT_US);
        send_all(sipi);
        wait_us(SIPI_WAIT_US);
        send_all(sipi);
    }
    return ap_of(pc)->err;
}

/*
 * After the wait: a CPU that did not check in is put back into wait-for-SIPI by an
 * INIT, so that it cannot run the trampoline once the page is someone else's.
 */
void arch_cpus_started(void)
{
    for (uint32_t i = 0; i < x86_ap_slot_count; i++) {
        struct percpu *pc = slot_cpu(i);
        if (ap_of(pc)->sent && __atomic_load_n(&pc->state, __ATOMIC_ACQUIRE) != SMP_CPU_ONLINE) {
            (void)send_ipi(pc->cpu.id, ICR_INIT | ICR_LEVEL_ASSERT);
        }
    }
    if (apic.trampoline != 0 && mm_low_page_release(apic.trampoline) == KEEL_OK) {
        apic.trampoline = 0;
    }
}

/*
 * The AP's C entry, on pc->cpu.stack: its own GDT and TSS (IST1 and IST2 on its fault
 * stack, IST3 for #PF on its exception stack), the shared IDT, the PAT as the boot CPU
 * has it, GS base at the per-CPU area.
 */
noreturn void x86_ap_start(struct percpu *pc)
{
    struct x86_ap *ap = ap_of(pc);
    uint64_t ist_top[X86_IST_COUNT];

    ist_top[X86_IST_NMI - 1] = ap->fault_stack.top.va;
    ist_top[X86_IST_DF - 1] = ap->fault_stack.top.va;
    ist_top[X86_IST_PF - 1] = pc->exception_stack.top.va;
    x86_cpu_tables_load(&ap->tables, ist_top);
    x86_pat_init();
    x86_wrmsr(X86_MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
    keel_ap_main(pc);
}

/* Nothing the boot_info needs comes from a firmware call here. */
void arch_firmware_probe(struct boot_info *bi)
{
    (void)bi;
}

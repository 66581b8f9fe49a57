/* SPDX-License-Identifier: MIT */
/* riscv64's hart start: the SBI's HSM hart_start with a boot context; the park loop's hooks. */
#include <stdint.h>

#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/smp.h>

#include <rv/csr.h>
#include <rv/rv.h>
#include <rv/smp.h>

_Static_assert(sizeof(struct rv_ap_boot) <= sizeof(((struct percpu *)0)->arch),
               "the hart's boot context fits the per-CPU area's arch words");
_Static_assert(RV_AP_CONTEXTS >= BI_CPU_MAX, "a context slot for every CPU record");

uint64_t rv_ap_contexts[RV_AP_CONTEXTS][2];
static uint32_t contexts_used;

/* The context: this hart's satp (Keel's table), the new hart's stacks and per-CPU area. */
static struct rv_ap_boot *boot_context(struct percpu *pc)
{
    struct rv_ap_boot *b = (struct rv_ap_boot *)pc->arch;
    __asm__ volatile("csrr %0, satp" : "=r"(b->satp));
    b->sp = pc->cpu.stack.top.va;
    b->exc_sp = pc->exception_stack.top.va;
    b->percpu = (uint64_t)(uintptr_t)pc;
    b->entry = (uint64_t)(uintptr_t)&keel_ap_main;
    /* The hart reads it with paging off: the stores must be in memory before the call. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return b;
}

/*
 * SBI 2.0, chapter "Hart State Management Extension": hart_start(hartid, start_addr,
 * opaque) starts the hart in S-mode at the physical start_addr with paging off, a0 =
 * hartid and a1 = opaque. The context is read there by physical address, so it must
 * not cross a page (the heap's pages need not be contiguous).
 */
int arch_cpu_start(const struct boot_info *bi, const struct bi_cpu *rec, struct percpu *pc)
{
    uint64_t ctx_pa, ctx_end_pa, present = 0;
    struct rv_ap_boot *b;

    (void)bi;
    if (rec->method != BI_CPU_METHOD_SBI_HSM ||
        rv_sbi_call(RV_SBI_EXT_BASE, RV_SBI_BASE_PROBE, RV_SBI_EXT_HSM, 0, 0, 0, &present) != 0 ||
        present == 0) {
        return KEEL_E_CPU_UNSUPPORTED;
    }
    b = boot_context(pc);
    if (!mm_virt_to_phys(b, &ctx_pa) ||
        !mm_virt_to_phys((const char *)b + RV_AP_SIZE - 1, &ctx_end_pa) ||
        ctx_end_pa - ctx_pa != RV_AP_SIZE - 1) {
        return KEEL_E_CPU_START;
    }
    /* Recorded first, for a hart the SBI sends to the image entry instead (entry.S). */
    if (contexts_used < RV_AP_CONTEXTS) {
        rv_ap_contexts[contexts_used][1] = ctx_pa;
        __atomic_store_n(&rv_ap_contexts[contexts_used][0], rec->id + 1, __ATOMIC_RELEASE);
        contexts_used++;
    }
    uint64_t entry_pa = (uint64_t)(uintptr_t)rv_ap_entry - KERNEL_VBASE + rv_phys_base;
    long err =
        rv_sbi_call(RV_SBI_EXT_HSM, RV_SBI_HSM_HART_START, rec->id, entry_pa, ctx_pa, 0, NULL);
    return err == 0 ? KEEL_OK : KEEL_E_CPU_START;
}

/* Nothing to make before the harts start, nothing to undo after: the SBI starts them. */
int arch_cpu_prepare(const struct boot_info *bi, struct percpu *pc)
{
    (void)bi;
    (void)pc;
    return KEEL_OK;
}

void arch_cpus_started(void)
{
}

/*
 * The park loop's wait: interrupts off, then PAUSE (Zihintpause; its encoding is a
 * FENCE hint, which a hart without the extension runs as a fence). Not WFI: with no
 * interrupt enabled nothing would end it, and the loop must come back to poll.
 */
void arch_cpu_relax(void)
{
    __asm__ volatile("csrci sstatus, %0\n\t.4byte 0x0100000f" : : "i"(RV_SSTATUS_SIE) : "memory");
}

/* The stores before it reach the other harts in order (RVWMO needs the fence). */
void arch_cpu_wake(void)
{
    __asm__ volatile("fence rw, rw" : : : "memory");
}

/* Every translation this hart holds, for every address space. */
void arch_tlb_flush_local(void)
{
    __asm__ volatile("sfence.vma" : : : "memory");
}

/* tp: the per-CPU area on a secondary hart (rv_ap_entry), 0 on the boot hart. */
uint64_t arch_percpu(void)
{
    uint64_t tp;

    __asm__ volatile("mv %0, tp" : "=r"(tp));
    return tp;
}

/* Nothing the boot_info needs comes from a firmware call here. */
void arch_firmware_probe(struct boot_info *bi)
{
    (void)bi;
}

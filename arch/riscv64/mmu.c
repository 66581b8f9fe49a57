/* SPDX-License-Identifier: MIT */
/* The riscv64 memory hooks: the satp switch to Keel's table, sfence.vma, the console's move. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/assert.h>
#include <keel/console.h>
#include <keel/layout.h>
#include <keel/page_table.h>
#include <keel/smp.h>

#include <rv/csr.h>
#include <rv/rv.h>

/* Above this many pages one sfence.vma of everything is cheaper than one per page. */
#define SFENCE_PAGE_LIMIT 16u

bool rv_mmu_switched;
unsigned rv_va_bits = PT_VA_BITS_MAX;

bool arch_has_1g_pages(void)
{
    /* Sv48 and Sv39 have leaves at every level: 1 GiB pages are part of both. */
    return true;
}

unsigned arch_va_bits(void)
{
    return rv_va_bits;
}

static void expect_mapped(const struct page_table *pt, uint64_t va, pt_flags_t need,
                          const char *what)
{
    struct pt_mapping m;
    uint64_t pa = va - KERNEL_VBASE + rv_phys_base;

    if (!pt_query(pt, va_init(va), &m) || m.pa.pa + (va - m.va.va) != pa ||
        (m.flags & need) != need) {
        panic("arch_tlb_switch: the new table does not map the %s at 0x%llx", what,
              (unsigned long long)va);
    }
}

/*
 * Both tables map the kernel at the same virtual addresses, and RISC-V has no TLB
 * conflicts to avoid: one satp write, then sfence.vma for everything the old table
 * left in the TLB. The running code, its stack and the trap path must be in the new
 * table, which is checked while panic() still prints.
 */
void arch_tlb_switch(const struct page_table *pt)
{
    uint64_t root = pt->root.pa;
    uint64_t sp;

    __asm__ volatile("mv %0, sp" : "=r"(sp));
    if ((root & (PAGE_SIZE - 1)) != 0 || (root >> PAGE_SHIFT) > RV_SATP_PPN_MASK) {
        panic("arch_tlb_switch: root 0x%llx is no satp PPN", (unsigned long long)root);
    }
    expect_mapped(pt, (uint64_t)(uintptr_t)&arch_tlb_switch, PT_EXEC, "switch routine");
    expect_mapped(pt, (uint64_t)(uintptr_t)rv_trap_vector, PT_EXEC, "trap vector");
    expect_mapped(pt, (uint64_t)(uintptr_t)rv_exception_stack_top - 16, PT_WRITE,
                  "exception stack");
    expect_mapped(pt, sp, PT_WRITE, "boot stack");

    /* The console's boot mapping goes: it is silent until arch_fb_reinit re-points it. */
    console_uart_suspend();
    uint64_t mode = rv_va_bits == PT_VA_BITS_MAX ? RV_SATP_MODE_SV48 : RV_SATP_MODE_SV39;
    uint64_t satp = mode << RV_SATP_MODE_SHIFT | root >> PAGE_SHIFT;
    __asm__ volatile("sfence.vma\n\tcsrw satp, %0\n\tsfence.vma" : : "r"(satp) : "memory");
    rv_mmu_switched = true;
}

/*
 * sfence.vma orders the table stores before it with the walks after it and drops this
 * hart's cached translations (the walk caches too) for the range. sfence.vma reaches no
 * other hart: once secondary harts are online, the SBI's remote fence (RFENCE
 * remote_sfence_vma, hart_mask_base -1: every hart) does the same on all of them.
 */
void arch_tlb_invalidate(uint64_t va, uint64_t size)
{
    uint64_t start = va & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = va + size;
    bool all = end < va || end - start > (uint64_t)SFENCE_PAGE_LIMIT * PAGE_SIZE;

    if (size == 0) {
        return;
    }
    if (all) {
        __asm__ volatile("sfence.vma" : : : "memory");
    } else {
        for (uint64_t p = start; p < end; p += PAGE_SIZE) {
            __asm__ volatile("sfence.vma %0, zero" : : "r"(p) : "memory");
        }
    }
    if (smp_result()->online > 1) {
        rv_sbi_call(RV_SBI_EXT_RFENCE, RV_SBI_RFENCE_SFENCE_VMA, 0, UINT64_MAX, all ? 0 : start,
                    all ? UINT64_MAX : end - start, NULL);
    }
}

/* 0 means the common sequence mapped no console: the UART then stays silent. */
void arch_fb_reinit(uint64_t console_mmio)
{
    console_uart_remap(console_mmio);
}

/* SPDX-License-Identifier: MIT */
/* The aarch64 memory hooks: switching to Keel's table, TLB maintenance, the console's move. */
#include <stdbool.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/assert.h>
#include <keel/console.h>
#include <keel/layout.h>
#include <keel/page_table.h>

#include <a64/a64.h>

/*
 * Above this many pages one whole-TLB invalidation is cheaper than one TLBI per page
 * (a 1 GiB block would otherwise take 262144 of them). Each TLBI ...IS is a broadcast
 * of its own, and under QEMU's TCG a trip out of the translated code (about 2.5 us
 * here), while the whole TLB of a CPU that is still booting holds a few dozen pages
 * to refill: reclaiming the 1 MiB DTB took 256 of them, 0.6 ms of the boot.
 */
#define TLBI_PAGE_LIMIT 16u

/* TLBI by VA takes VA[55:12] in bits [43:0]; the ASID field stays 0 for the -AA forms. */
#define TLBI_VA_MASK ((UINT64_C(1) << 44) - 1)

bool a64_mmu_switched;

bool arch_has_1g_pages(void)
{
    /* Level-1 blocks are part of the 4 KiB granule in every ARMv8-A implementation. */
    return true;
}

unsigned arch_va_bits(void)
{
    return PT_VA_BITS_MAX;
}

/*
 * The switch runs from the new table's identity alias of .text, so a table that lacks
 * one of these would stop the CPU silently: check them here while panic() still prints.
 */
static void expect_mapped(const struct page_table *pt, uint64_t va, uint64_t pa, pt_flags_t need,
                          const char *what)
{
    struct pt_mapping m;

    if (!pt_query(pt, va_init(va), &m) || m.pa.pa + (va - m.va.va) != pa ||
        (m.flags & need) != need) {
        panic("arch_tlb_switch: the new table does not map the %s at 0x%llx", what,
              (unsigned long long)va);
    }
}

void arch_tlb_switch(const struct page_table *pt)
{
    uint64_t root = pt->root.pa;
    uint64_t to_phys = a64_phys_base - (uint64_t)KERNEL_VBASE;
    uint64_t code = (uint64_t)(uintptr_t)&a64_ttbr_switch;
    uint64_t vectors = (uint64_t)(uintptr_t)a64_vectors;
    uint64_t exc_stack = (uint64_t)(uintptr_t)a64_exception_stack_top - 16;
    uint64_t sp;

    __asm__ volatile("mov %0, sp" : "=r"(sp));
    /* TTBR_EL1: BADDR in [47:1] (bit 0 is CnP), the ASID in [63:48]; both stay 0. */
    if ((root & (PAGE_SIZE - 1)) != 0 || (root >> 48) != 0) {
        panic("arch_tlb_switch: root 0x%llx is no TTBR base", (unsigned long long)root);
    }
    expect_mapped(pt, code, code + to_phys, PT_EXEC, "switch routine");
    expect_mapped(pt, code + to_phys, code + to_phys, PT_EXEC,
                  "identity alias of the switch routine");
    expect_mapped(pt, vectors, vectors + to_phys, PT_EXEC, "exception vectors");
    expect_mapped(pt, exc_stack, exc_stack + to_phys, PT_WRITE, "exception stack");
    expect_mapped(pt, sp, sp + to_phys, PT_WRITE, "boot stack");

    /*
     * The console UART is reached through the boot identity map, which is gone after
     * the switch: it stays silent until arch_fb_reinit() gives it its new address, so
     * an exception in between exits with its code instead of faulting again.
     */
    console_uart_suspend();
    a64_ttbr_switch(root, to_phys);
    a64_mmu_switched = true;
}

void arch_tlb_invalidate(uint64_t va, uint64_t size)
{
    uint64_t start = va & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t end = va + size;

    if (size == 0) {
        return;
    }
    /* The table stores that made this necessary must reach the walker first. */
    __asm__ volatile("dsb ishst" : : : "memory");
    if (end < va || end - start > (uint64_t)TLBI_PAGE_LIMIT * PAGE_SIZE) {
        __asm__ volatile("tlbi vmalle1is" : : : "memory");
    } else {
        /* VAAE1IS, not VAALE1IS: the walk caches for the range must go too. */
        for (uint64_t p = start; p < end; p += PAGE_SIZE) {
            __asm__ volatile("tlbi vaae1is, %0"
                             :
                             : "r"((p >> PAGE_SHIFT) & TLBI_VA_MASK)
                             : "memory");
        }
    }
    __asm__ volatile("dsb ish\n\tisb" : : : "memory");
}

/* 0 means the common sequence mapped no console: the UART then stays silent. */
void arch_fb_reinit(uint64_t console_mmio)
{
    console_uart_remap(console_mmio);
}

/* SPDX-License-Identifier: MIT */
/* The x86_64 memory hooks: 1 GiB page detection, IA32_PAT and CR3, TLB invalidation. */
#include <stdbool.h>
#include <stdint.h>

#include <arch/pte.h>
#include <keel/arch.h>
#include <keel/assert.h>
#include <keel/console.h>
#include <keel/page_table.h>
#include <x86/cpu.h>

/*
 * Above this many pages one CR3 reload is cheaper than INVLPG per page: each INVLPG
 * serialises the CPU, while a reload only costs refilling what is still in use.
 */
#define TLB_INVLPG_MAX_PAGES 64

bool arch_has_1g_pages(void)
{
    uint32_t max_ext, ebx, ecx, edx;

    x86_cpuid(0x80000000, &max_ext, &ebx, &ecx, &edx);
    if (max_ext < 0x80000001) {
        return false;
    }
    uint32_t eax;
    x86_cpuid(0x80000001, &eax, &ebx, &ecx, &edx);
    return (edx & X86_CPUID_EXT_PAGE1GB) != 0;
}

unsigned arch_va_bits(void)
{
    return PT_VA_BITS_MAX;
}

static bool cpu_has_pat(void)
{
    uint32_t eax, ebx, ecx, edx;

    x86_cpuid(1, &eax, &ebx, &ecx, &edx);
    return (edx & X86_CPUID_1_PAT) != 0;
}

/* Without a PAT (no 64-bit CPU we know of), entry 1 stays WT: slower WC, still correct. */
void x86_pat_init(void)
{
    if (cpu_has_pat()) {
        x86_wrmsr(PTE_X86_MSR_IA32_PAT, PTE_X86_PAT_VALUE);
    }
}

/*
 * The SDM (vol. 3A, "Programming the PAT") asks for a cache and TLB flush around a PAT
 * change, so that no line or translation is left with the old type. Only entry 1
 * changes (WT to WC), and nothing uses it before the switch: entry.S's tables and CR3
 * itself have PWT = PCD = 0. So writing the MSR first and then loading CR3, which drops
 * every non-global translation (neither table sets G), is enough.
 */
/* Set once the kernel's table is live: the entry code's 1:1 window is gone then. */
bool x86_mmu_switched;

void arch_tlb_switch(const struct page_table *pt)
{
    uint64_t root = pt->root.pa;

    /* Low bits would select PWT/PCD for the PML4 fetch; high bits make the load #GP. */
    if ((root & (X86_PAGE_SIZE - 1)) != 0 || (root & ~PTE_X86_ADDR_MASK) != 0) {
        panic("x86: page-table root %llx is not a 4 KiB-aligned physical address",
              (unsigned long long)root);
    }
    x86_pat_init();
    /* A port-I/O console keeps printing; an MMIO one would lose its 1:1 mapping here. */
    console_uart_suspend();
    x86_write_cr3(root);
    x86_mmu_switched = true;
}

/*
 * INVLPG drops the TLB entry for the page holding va, whatever its size, and every
 * paging-structure cache entry (SDM vol. 3A, 4.10.4.1), so freed table frames are
 * covered too. It is a no-op for a non-canonical address, so wrapping is harmless.
 */
void arch_tlb_invalidate(uint64_t va, uint64_t size)
{
    if (size > (uint64_t)TLB_INVLPG_MAX_PAGES * X86_PAGE_SIZE) {
        x86_write_cr3(x86_read_cr3());
        return;
    }
    uint64_t offset = va & (X86_PAGE_SIZE - 1);
    uint64_t pages = (offset + size + X86_PAGE_SIZE - 1) / X86_PAGE_SIZE;
    uint64_t page = va - offset;

    for (uint64_t i = 0; i < pages; i++) {
        x86_invlpg(page + i * X86_PAGE_SIZE);
    }
}

/*
 * The PC's console is COM1 behind I/O ports, which do not go through paging: the common
 * sequence then passes 0 and the remap leaves the port as it is.
 */
void arch_fb_reinit(uint64_t console_mmio)
{
    console_uart_remap(console_mmio);
}

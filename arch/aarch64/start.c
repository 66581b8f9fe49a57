/* SPDX-License-Identifier: MIT */
/* The aarch64 C entry and the small hooks that report what entry.S found. */
#include <stddef.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/board.h>
#include <keel/fmt.h>
#include <keel/init.h>
#include <keel/layout.h>

#include <a64/a64.h>
#include <a64/sysreg.h>

_Static_assert(A64_KVA_L2_INDEX + A64_KERNEL_L2_BLOCKS <= 512,
               "the kernel mapping fits one level-2 table");
_Static_assert(KERNEL_VBASE % A64_KERNEL_ALIGN == 0, "KERNEL_VBASE is 2 MiB aligned");
_Static_assert(A64_KVA_L0_INDEX >= 256 && DIRECT_MAP_BASE >= 0xffff800000000000,
               "the kernel half is what TTBR1 translates with T1SZ = 17");
_Static_assert(BOOT_STACK_SIZE % 16 == 0, "the AAPCS64 stack is 16-byte aligned");

const char arch_name[] = "aarch64";

uint64_t a64_entry_cycles_value;
uint64_t a64_phys_base;

noreturn void a64_start(uint64_t dtb_pa, uint32_t entry_el, uint64_t efi_handoff_pa)
{
    if (efi_handoff_pa != 0) {
        a64_efi_main(dtb_pa, entry_el, efi_handoff_pa);
    }
    keel_main(&(struct keel_entry){
        .protocol = BI_PROTO_FDT, .entry_state = entry_el, .info_pa = dtb_pa, .loader = "qemu"});
}

uint64_t arch_entry_cycles(void)
{
    return a64_entry_cycles_value;
}

uint64_t arch_cycles(void)
{
    uint64_t v;
    /* The ISB keeps the read from being hoisted above earlier instructions. */
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
    return v;
}

uint64_t arch_cycles_per_second(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
    return v;
}

uint64_t arch_cpu_id(void)
{
    uint64_t mpidr;

    __asm__ volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
    return mpidr & A64_MPIDR_AFFINITY; /* Aff3 in [39:32], Aff2..Aff0 in [23:0] */
}

uint64_t arch_kernel_phys_base(void)
{
    return a64_phys_base;
}

/* entry_state on aarch64 is the exception level the loader entered at (1 or 2). */
void arch_report_entry(const struct sink *s, uint32_t entry_state)
{
    sink_printf(s, "\"entry_el\": %u", (unsigned)entry_state);
}

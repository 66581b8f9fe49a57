/* SPDX-License-Identifier: MIT */
/* The C entries after entry.S, and the small arch hooks that need no device. */
#include <stdint.h>

#include <keel/arch.h>
#include <keel/boot_info.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/fmt.h>
#include <keel/image.h>
#include <keel/init.h>
#include <x86/cpu.h>

_Static_assert(X86_EXIT_UNSUPPORTED_CPU == KEEL_EXIT_BAD_INPUT, "entry.S exit code");

const char arch_name[] = "x86_64";

/* The PC's first serial port, which entry.S also uses for its one message. */
static const struct bi_console com1 = {
    .kind = BI_CONSOLE_NS16550_PIO,
    .reg_io_width = 1,
    .base = X86_COM1,
    .size = 8,
};

/* Every entry ends here, on the boot stack, with Keel's boot tables live. */
noreturn void x86_boot(const struct keel_entry *entry)
{
    /* Exceptions first: anything after this that faults is reported. */
    x86_cpu_tables_init();
    console_uart_start(&com1, false);
    x86_tsc_calibrate();
    keel_main(entry);
}

noreturn void x86_mb2_start(uint32_t magic, uint64_t info_pa)
{
    x86_boot(&(struct keel_entry){.protocol = BI_PROTO_MULTIBOOT2,
                                  .entry_state = BI_X86_PROTECTED32,
                                  .info_pa = info_pa,
                                  .magic = magic});
}

/*
 * QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04)
 * makes QEMU exit with status (value << 1) | 1 for any value written to it, so
 * status 1 means code 0 and an even status never comes from here. ./keel maps an
 * odd status s back to (s - 1) / 2. Without the device the write is ignored and
 * the CPU halts.
 */
void x86_exit_device(int code)
{
    x86_outl(X86_DEBUG_EXIT_PORT, (uint32_t)code);
}

noreturn void arch_exit(int code)
{
    x86_exit_device(code);
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/*
 * CPUID.0BH:EDX is the 32-bit x2APIC ID, valid when the leaf exists and reports a level
 * (EBX[15:0] non-zero); otherwise CPUID.01H:EBX[31:24], the 8-bit initial APIC ID. The
 * two agree wherever both exist. x86_ap_entry64 (smp_entry.S) reads it the same way.
 */
uint32_t x86_apic_id(void)
{
    uint32_t eax, ebx, ecx, edx;

    x86_cpuid(0, &eax, &ebx, &ecx, &edx);
    if (eax >= 0xb) {
        x86_cpuid(0xb, &eax, &ebx, &ecx, &edx);
        if ((ebx & 0xffff) != 0) {
            return edx;
        }
    }
    x86_cpuid(1, &eax, &ebx, &ecx, &edx);
    return ebx >> 24;
}

uint64_t arch_cpu_id(void)
{
    return x86_apic_id();
}

uint64_t arch_kernel_phys_base(void)
{
    return x86_kernel_phys;
}

/*
 * entry.S maps [0, 4 GiB) 1:1 except page 0, which stays unmapped so that NULL
 * faults; a range that touches page 0 is therefore outside the window too. The
 * window ends with arch_tlb_switch(): the kernel's table has no such map.
 */
const void *arch_early_phys_ptr(uint64_t pa, uint64_t len)
{
    if (x86_mmu_switched || pa < X86_PAGE_SIZE || pa > X86_IDENTITY_LIMIT ||
        len > X86_IDENTITY_LIMIT - pa) {
        return 0;
    }
    return (const void *)(uintptr_t)pa;
}

/* entry.S's window holds everything below 4 GiB already; nothing is ever added to it. */
int arch_early_map(uint64_t pa, uint64_t size, uint32_t mem)
{
    (void)mem;
    return arch_early_phys_ptr(pa, size) != 0 ? KEEL_OK : KEEL_E_BOOT_MAP_RANGE;
}

/*
 * Device registers share the same window: the boot map uses the default memory type,
 * and the firmware's MTRRs make the MMIO hole below 4 GiB uncacheable.
 */
volatile void *arch_early_mmio_ptr(uint64_t pa, uint64_t len)
{
    if (x86_mmu_switched || pa < X86_PAGE_SIZE || pa > X86_IDENTITY_LIMIT ||
        len > X86_IDENTITY_LIMIT - pa) {
        return 0;
    }
    return (volatile void *)(uintptr_t)pa;
}

void arch_report_entry(const struct sink *s, uint32_t entry_state)
{
    const char *mode = "unknown";

    if (entry_state == BI_X86_PROTECTED32) {
        mode = "protected32";
    } else if (entry_state == BI_X86_LONG64) {
        mode = "long64";
    }
    sink_printf(s, "\"entry_mode\": ");
    sink_json_string(s, mode);
}

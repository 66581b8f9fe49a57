/* SPDX-License-Identifier: MIT */
/* The example kernel: prints the boot report and leaves QEMU with exit code 0. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/init.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/report.h>
#include <keel/smp.h>

#define KERNEL_MAIN_LINE "keel-example: kernel_main"

/*
 * keel.fault=KIND makes the kernel do something the memory sequence must catch, to show
 * that the rights, guards and reclaim are real. Each ends in its own exit code.
 */
static const uint32_t read_only_word = 0x4b45454c;
static uint8_t data_bytes[16];

/* Recurses until the boot stack runs into its guard page (long before the bound). */
__attribute__((noinline)) static uint64_t overflow(volatile uint64_t depth)
{
    volatile uint8_t frame[512];

    frame[0] = (uint8_t)depth;
    if (depth > (UINT64_C(1) << 40)) {
        return frame[0];
    }
    return overflow(depth + 1) + frame[0];
}

static void fault(const char *kind)
{
    if (strcmp(kind, "trap") == 0) {
        __builtin_trap();
    } else if (strcmp(kind, "write-rodata") == 0) {
        *(volatile uint32_t *)&read_only_word = 0;
    } else if (strcmp(kind, "exec-data") == 0) {
        ((void (*)(void))(uintptr_t)data_bytes)();
    } else if (strcmp(kind, "stack-overflow") == 0) {
        overflow(0);
    } else if (strcmp(kind, "use-after-reclaim") == 0) {
        (void)*(volatile const uint8_t *)BOOT_INFO_VBASE;
    }
}

/*
 * keel.hold: after the report, wait (30 s at most) for a byte on the serial line, so
 * that `keel run --screenshot` can dump the screen while it still shows the report.
 */
static void hold(void)
{
    uint64_t hz = arch_cycles_per_second();
    uint64_t start = arch_cycles();
    uint64_t limit = hz != 0 ? 30 * hz : UINT64_C(1) << 36;

    kprintf("KEEL-HOLD\n");
    while (console_getc() < 0 && arch_cycles() - start < limit) {
    }
}

/*
 * keel.fault=ap-stack-overflow runs the overflow on CPU 1 instead. The secondary CPUs
 * start before kernel_main reads the command line, so CPU 1 waits (1 s at most) for
 * kernel_main to say what it should do: AP_NOTHING or AP_OVERFLOW.
 */
enum { AP_UNTOLD = 0, AP_NOTHING = 1, AP_OVERFLOW = 2 };
static uint32_t ap_request;

static uint64_t cycles_in(uint64_t seconds)
{
    uint64_t hz = arch_cycles_per_second();
    return seconds * (hz != 0 ? hz : UINT64_C(1) << 32);
}

/* Each secondary CPU: records that it ran, and on which stack, then parks. */
void kernel_ap_main(const struct cpu *cpu)
{
    keel_report_ap(cpu, (uint64_t)(uintptr_t)__builtin_frame_address(0));
    if (cpu->index == 1) {
        uint64_t start = arch_cycles();
        uint32_t r;
        while ((r = __atomic_load_n(&ap_request, __ATOMIC_ACQUIRE)) == AP_UNTOLD &&
               arch_cycles() - start < cycles_in(1)) {
        }
        if (r == AP_OVERFLOW) {
            overflow(0);
        }
    }
    arch_cpu_park();
}

int kernel_main(const struct boot_info *bi, const struct kernel_memory *km)
{
    char kind[24];

    /* The line `keel bench` times: kernel_main reached (docs/performance.md). */
    kprintf("%s\n", KERNEL_MAIN_LINE);
    bool on_ap = cmdline_value(bi->cmdline, "keel.fault", kind, sizeof(kind)) &&
                 strcmp(kind, "ap-stack-overflow") == 0;
    __atomic_store_n(&ap_request, on_ap ? AP_OVERFLOW : AP_NOTHING, __ATOMIC_RELEASE);
    if (on_ap) {
        /* CPU 1's fault ends the boot; a CPU 1 that never came leaves after 5 s. */
        uint64_t start = arch_cycles();
        while (arch_cycles() - start < cycles_in(5)) {
        }
        kprintf("keel-example: cpu 1 did not fault\n");
        return KEEL_EXIT_OK;
    }
    if (cmdline_value(bi->cmdline, "keel.fault", kind, sizeof(kind))) {
        fault(kind);
    }
    keel_report(bi, km);
    if (cmdline_flag(bi->cmdline, "keel.hold")) {
        hold();
    }
    return KEEL_EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/* The example kernel: prints the boot report and leaves QEMU with exit code 0. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/image.h>
#include <keel/init.h>
#include <keel/mm.h>
#include <keel/report.h>
#include <keel/smp.h>
#include <keel/timeline.h>

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
        (void)*(volatile const uint8_t *)mm_layout()->boot_info_vbase;
    } else if (strcmp(kind, "use-identity") == 0) {
        /* The text's identity alias, which the drop stage removed before kernel_main. */
        (void)*(volatile const uint8_t *)(uintptr_t)kernel_pa((const void *)&fault);
    }
}

/*
 * What kernel_main asks of the secondary CPUs, published before anything else it does:
 * AP_ORDER_OVERFLOW (keel.fault=ap-stack-overflow) makes CPU 1 run into its guard page;
 * AP_ORDER_OVERFLOW_ALL (keel.fault=all-stack-overflow) makes every CPU do it at once,
 * the boot CPU too, so that several faults meet in the handler and one is reported.
 */
enum { AP_ORDER_UNSET, AP_ORDER_NONE, AP_ORDER_OVERFLOW, AP_ORDER_OVERFLOW_ALL };
static uint32_t ap_order;

/* kernel_ap_main's side: the order, waited for at most 2 s (kernel_main follows the drop). */
static uint32_t ap_order_wait(void)
{
    uint64_t start = arch_cycles();
    uint32_t order;

    while ((order = __atomic_load_n(&ap_order, __ATOMIC_ACQUIRE)) == AP_ORDER_UNSET &&
           arch_cycles() - start < cycles_of_ms(2000)) {
    }
    return order;
}

/* kernel_main's side of keel.fault=ap-stack-overflow: CPU 1's fault ends the run. */
static void ap_fault(void)
{
    uint64_t start = arch_cycles();

    __atomic_store_n(&ap_order, AP_ORDER_OVERFLOW, __ATOMIC_RELEASE);
    while (arch_cycles() - start < cycles_of_ms(5000)) {
    }
    kprintf("keel-example: cpu 1 did not fault\n");
}

/* keel.fault=all-stack-overflow: the order to every secondary CPU, then the same here. */
static void all_fault(void)
{
    __atomic_store_n(&ap_order, AP_ORDER_OVERFLOW_ALL, __ATOMIC_RELEASE);
    overflow(0);
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

/* Each secondary CPU: records that it ran, and on which stack; Keel parks it on return. */
void kernel_ap_main(const struct cpu *cpu)
{
    keel_report_ap(cpu, (uint64_t)(uintptr_t)__builtin_frame_address(0));
    uint32_t order = ap_order_wait();
    if ((cpu->index == 1 && order == AP_ORDER_OVERFLOW) || order == AP_ORDER_OVERFLOW_ALL) {
        overflow(0);
    }
}

int kernel_main(const struct boot_info *bi, const struct kernel_memory *km)
{
    char kind[24];

    /* The line `keel bench` times: kernel_main reached (docs/performance.md). */
    kprintf("%s\n", KERNEL_MAIN_LINE);
    bool fault_given = cmdline_value(bi->cmdline, "keel.fault", kind, sizeof(kind));
    if (fault_given && strcmp(kind, "ap-stack-overflow") == 0) {
        ap_fault();
    } else if (fault_given && strcmp(kind, "all-stack-overflow") == 0) {
        all_fault();
    } else {
        __atomic_store_n(&ap_order, AP_ORDER_NONE, __ATOMIC_RELEASE);
    }
    if (fault_given) {
        fault(kind);
    }
    keel_report(bi, km);
    if (cmdline_flag(bi->cmdline, "keel.hold")) {
        hold();
    }
    return KEEL_EXIT_OK;
}

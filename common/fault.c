/* SPDX-License-Identifier: MIT */
/* Names a page fault in one line and leaves with that kind's exit code. */
#include <stdbool.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/fault.h>
#include <keel/mm.h>
#include <keel/smp.h>

static const char *const access_names[] = {
    [FAULT_READ] = "read of",
    [FAULT_WRITE] = "write to",
    [FAULT_EXEC] = "execute from",
};

/* The index + 1 of the CPU that reports a fault; 0 while none does. */
static uint32_t reporter;

void fault_enter(void)
{
    uint32_t me = smp_cpu_index() + 1;
    uint32_t none = 0;

    if (__atomic_compare_exchange_n(&reporter, &none, me, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        return;
    }
    if (none == me) {
        arch_exit(KEEL_EXIT_EXCEPTION);
    }
    for (;;) {
        arch_cpu_relax();
    }
}

/* The index + 1 of the CPU in arch_exit; 0 while none is. */
static uint32_t exiting;

void exit_enter(void)
{
    uint32_t me = smp_cpu_index() + 1;
    uint32_t none = 0;

    if (__atomic_compare_exchange_n(&exiting, &none, me, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE) ||
        none == me) {
        return;
    }
    for (;;) {
        arch_cpu_relax();
    }
}

bool exit_is_mine(void)
{
    return __atomic_load_n(&exiting, __ATOMIC_ACQUIRE) == smp_cpu_index() + 1;
}

noreturn void keel_page_fault(const struct fault *f)
{
    const char *access = access_names[f->access <= FAULT_EXEC ? f->access : FAULT_READ];
    const char *what;
    int code;

    if (mm_is_guard_page(f->addr)) {
        what = "guard page (stack overflow)";
        code = KEEL_EXIT_FAULT_GUARD;
    } else if (!f->present && mm_is_reclaimed_boot_info(f->addr)) {
        what = "reclaimed boot-info page";
        code = KEEL_EXIT_FAULT_RECLAIMED;
    } else if (!f->present && mm_is_dropped_identity(f->addr)) {
        what = "dropped identity mapping";
        code = KEEL_EXIT_FAULT_IDENTITY;
    } else if (f->present && f->access == FAULT_WRITE) {
        what = "read-only page";
        code = KEEL_EXIT_FAULT_WRITE_RO;
    } else if (f->present && f->access == FAULT_EXEC) {
        what = "non-executable page";
        code = KEEL_EXIT_FAULT_EXEC_NX;
    } else {
        what = "unmapped page";
        code = KEEL_EXIT_FAULT_UNMAPPED;
    }
    kprintf("keel: fault: %s %s at 0x%llx (pc 0x%llx) on cpu %u\n", access, what,
            (unsigned long long)f->addr, (unsigned long long)f->pc, smp_cpu_index());
    arch_exit(code);
}

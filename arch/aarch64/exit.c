/* SPDX-License-Identifier: MIT */
/* Leaving the machine: Arm semihosting SYS_EXIT, then PSCI SYSTEM_OFF, then halt. */
#include <stdint.h>

#include <keel/arch.h>

#include <a64/a64.h>
#include <a64/sysreg.h>

/*
 * Only semihosting carries the exit code out of QEMU, and only when QEMU runs with
 * "-semihosting-config enable=on,target=native" (the keel script always passes it).
 * Without it HLT #0xf000 is an undefined instruction: the exception vector sees that an
 * exit is in progress and calls arch_exit() again, which moves on to the next stage.
 * PSCI SYSTEM_OFF makes QEMU exit with status 0 whatever the code was. The conduit is
 * what QEMU's virt board advertises in /psci: SMC when the CPU has EL2 (we were entered
 * there and EL3 is emulated), HVC when it was entered at EL1.
 */
enum exit_stage {
    EXIT_NONE = 0,
    EXIT_SEMIHOSTING = 1,
    EXIT_PSCI = 2,
    EXIT_HALT = 3,
};

static volatile uint32_t exit_stage;
static volatile int exit_code;
static uint32_t psci_use_smc;

void a64_exit_init(uint32_t entry_el)
{
    psci_use_smc = entry_el == 2;
}

int a64_exit_in_progress(int *code)
{
    *code = exit_code;
    return exit_stage != EXIT_NONE;
}

static void semihosting_exit(int code)
{
    /* The A64 SYS_EXIT takes a two-word block: reason, then the exit status. */
    volatile uint64_t block[2] = {A64_SEMIHOST_APPLICATION_EXIT, (uint64_t)(int64_t)code};
    register uint64_t x0 __asm__("x0") = A64_SEMIHOST_SYS_EXIT;
    register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}

static void psci_system_off(void)
{
    register uint64_t x0 __asm__("x0") = A64_PSCI_SYSTEM_OFF;
    if (psci_use_smc) {
        __asm__ volatile("smc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    } else {
        __asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    }
}

noreturn void arch_exit(int code)
{
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    if (exit_stage == EXIT_NONE) {
        exit_code = code;
        exit_stage = EXIT_SEMIHOSTING;
        semihosting_exit(code);
    }
    if (exit_stage == EXIT_SEMIHOSTING) {
        exit_stage = EXIT_PSCI;
        psci_system_off();
    }
    exit_stage = EXIT_HALT;
    a64_halt();
}

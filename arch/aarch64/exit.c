/* SPDX-License-Identifier: MIT */
/* Leaving the machine: Arm semihosting SYS_EXIT, then PSCI SYSTEM_OFF, then halt. */
#include <stdint.h>

#include <keel/arch.h>
#include <keel/fault.h>
#include <keel/boot_info.h>
#include <keel/shim.h>

#include <a64/a64.h>
#include <a64/sysreg.h>

/*
 * Only semihosting carries the exit code out of QEMU, and only when QEMU runs with
 * "-semihosting-config enable=on,target=native" (the keel script always passes it).
 * Without it HLT #0xf000 is an undefined instruction: the exception vector sees that an
 * exit is in progress and calls arch_exit() again, which moves on to the next stage.
 * PSCI SYSTEM_OFF makes QEMU exit with status 0 whatever the code was. It is only
 * tried where the board has PSCI, through the conduit boot_info records (the DTB's
 * /psci method, or the FADT's on ACPI): the Raspberry Pi has none, and an SMC there
 * would go to whatever EL3 holds. Before the shim stage nothing is known, so an exit
 * that early halts after semihosting.
 */
enum exit_stage {
    EXIT_NONE = 0,
    EXIT_SEMIHOSTING = 1,
    EXIT_PSCI = 2,
    EXIT_HALT = 3,
};

static volatile uint32_t exit_stage;
static volatile int exit_code;

int a64_exit_in_progress(int *code)
{
    *code = exit_code;
    return exit_stage != EXIT_NONE && exit_is_mine();
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
    const struct boot_info *bi = shim_stage_result();
    uint32_t conduit = bi != NULL ? bi->psci_conduit : BI_PSCI_NONE;
    register uint64_t x0 __asm__("x0") = A64_PSCI_SYSTEM_OFF;

    if (conduit == BI_PSCI_SMC) {
        __asm__ volatile("smc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    } else if (conduit == BI_PSCI_HVC) {
        __asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
    }
}

noreturn void arch_exit(int code)
{
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    exit_enter();
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

/* SPDX-License-Identifier: MIT */
/* The SBI's console for drivers/uart/firmware.c: the last resort when no UART answers. */
#ifndef ARCH_FW_CONSOLE_H
#define ARCH_FW_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include <rv/csr.h>

/*
 * The legacy console putchar (SBI 2.0, "Legacy Extensions", EID 0x01): the one console
 * call of OpenSBI 1.1, which predates the debug console extension. Legacy extensions are
 * optional since SBI 0.2, so the base extension's probe_extension says whether it is
 * there. Both are ecalls: registers only, usable before and after the switch.
 */
static inline long arch_fw_console_ecall(uint64_t ext, uint64_t fn, uint64_t arg, uint64_t *value)
{
    register uint64_t a0 __asm__("a0") = arg;
    register uint64_t a1 __asm__("a1") = 0;
    register uint64_t a6 __asm__("a6") = fn;
    register uint64_t a7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
    *value = a1;
    return (long)a0;
}

static inline bool arch_fw_console_present(void)
{
    uint64_t present = 0;
    return arch_fw_console_ecall(RV_SBI_EXT_BASE, RV_SBI_BASE_PROBE, RV_SBI_LEGACY_PUTCHAR,
                                 &present) == 0 &&
           present != 0;
}

static inline void arch_fw_console_putc(uint8_t c)
{
    uint64_t unused;
    (void)arch_fw_console_ecall(RV_SBI_LEGACY_PUTCHAR, 0, c, &unused);
}

#endif

/* SPDX-License-Identifier: MIT */
/* The firmware's console call as a UART driver: no registers, the last resort of the console. */
#include <stdbool.h>
#include <stdint.h>

#include <keel/uart.h>

/*
 * A firmware console is an arch's business: an arch whose firmware has a console call
 * (riscv64: the SBI's) provides <arch/fw_console.h> with arch_fw_console_present and
 * arch_fw_console_putc as inline functions. Elsewhere (and in the host tools) there is
 * none, which the probe says.
 */
#if defined(__has_include)
#if __has_include(<arch/fw_console.h>)
#include <arch/fw_console.h>
#define FW_CONSOLE_HAVE 1
#endif
#endif
#ifndef FW_CONSOLE_HAVE
static inline bool arch_fw_console_present(void)
{
    return false;
}

static inline void arch_fw_console_putc(uint8_t c)
{
    (void)c;
}
#endif

static enum uart_probe fw_probe(const struct uart *u)
{
    (void)u;
    return arch_fw_console_present() ? UART_PROBE_FOUND : UART_PROBE_ABSENT;
}

static bool fw_putc(const struct uart *u, uint8_t c)
{
    (void)u;
    arch_fw_console_putc(c);
    return true;
}

static int fw_getc(const struct uart *u)
{
    (void)u;
    return -1;
}

static const struct uart_ops fw_ops = {
    .probe = fw_probe,
    .init = NULL,
    .putc = fw_putc,
    .getc = fw_getc,
};

/* No DT node names it and it has no registers (regs_size 0): nothing is mapped for it. */
const struct uart_driver firmware_console_driver = {
    .name = "firmware",
    .kind = BI_CONSOLE_FIRMWARE,
    .regs_size = 0,
    .reg_stride = 1,
    .io_widths = UART_WIDTH(1),
    .default_io_width = 1,
    .ops = &fw_ops,
};

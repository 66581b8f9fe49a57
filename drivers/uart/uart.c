/* SPDX-License-Identifier: MIT */
/* The table of UART drivers, one entry per driver, and the look-ups the shim and console use. */
#include <keel/compatible.h>
#include <keel/uart.h>

extern const struct uart_driver pl011_driver;
extern const struct uart_driver ns16550_driver;
extern const struct uart_driver ns16550_pio_driver;
extern const struct uart_driver bcm2835_aux_driver;
extern const struct uart_driver firmware_console_driver;

/*
 * A new UART driver is one file in drivers/uart/ that defines its struct uart_driver,
 * plus its line here and in drivers/meson.build. The order matters only when two
 * drivers claim the same compatible string: the first one wins.
 */
const struct uart_driver *const uart_drivers[] = {
    &pl011_driver,            /* arm,pl011 */
    &ns16550_driver,          /* ns16550a and its kin, in MMIO space */
    &ns16550_pio_driver,      /* the PC's COM ports */
    &bcm2835_aux_driver,      /* the Raspberry Pi's mini-UART */
    &firmware_console_driver, /* no registers: the firmware's console call, last */
};

const size_t uart_driver_count = sizeof(uart_drivers) / sizeof(uart_drivers[0]);

const struct uart_driver *uart_driver_by_kind(uint32_t kind)
{
    for (size_t i = 0; i < uart_driver_count; i++) {
        if (kind != BI_CONSOLE_NONE && uart_drivers[i]->kind == kind) {
            return uart_drivers[i];
        }
    }
    return NULL;
}

static const char *const *uart_compatible(size_t i)
{
    return uart_drivers[i]->compatible;
}

const struct uart_driver *uart_driver_by_compatible(const char *list, size_t len)
{
    size_t i = compatible_match(list, len, uart_driver_count, uart_compatible);
    return i < uart_driver_count ? uart_drivers[i] : NULL;
}

uint64_t uart_regs_extent(const struct uart_driver *drv, uint32_t reg_shift, uint32_t io_width)
{
    if (reg_shift > drv->max_reg_shift || io_width > 4 ||
        (drv->io_widths & UART_WIDTH(io_width)) == 0 ||
        io_width > (uint64_t)drv->reg_stride << reg_shift) {
        return 0;
    }
    return (uint64_t)drv->regs_size << reg_shift;
}

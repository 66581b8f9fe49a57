/* SPDX-License-Identifier: MIT */
/* Port I/O for the drivers that use it (drivers/uart/ns16550.c): x86's in and out instructions. */
#ifndef ARCH_PIO_H
#define ARCH_PIO_H

#include <stdint.h>

#include <x86/cpu.h>

static inline uint8_t arch_pio_read8(uint16_t port)
{
    return x86_inb(port);
}

static inline void arch_pio_write8(uint16_t port, uint8_t value)
{
    x86_outb(port, value);
}

#endif

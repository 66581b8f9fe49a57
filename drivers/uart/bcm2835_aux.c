/* SPDX-License-Identifier: MIT */
/* The BCM2835's auxiliary mini-UART (the Raspberry Pi's UART1): polled, no line set-up. */
#include <stdint.h>

#include <keel/mmio.h>
#include <keel/uart.h>

/*
 * Registers from the mini-UART's base (BCM2835 ARM Peripherals, 2.2: AUX_MU_IO_REG at
 * bus address 0x7e215040, the DT node's reg), one 32-bit word each. The first eight
 * are laid out like a 16550's, but the divisor latch, FIFO control and the ID a 16550
 * probe would look for are not there, so it is a driver of its own.
 */
#define AUX_MU_IO 0x00
#define AUX_MU_LSR 0x14
#define AUX_MU_LSR_DATA_READY (1u << 0)
#define AUX_MU_LSR_TX_EMPTY (1u << 5) /* the transmit FIFO can take at least one byte */
#define AUX_MU_REGS_SIZE 0x2c         /* AUX_MU_IO_REG to AUX_MU_BAUD_REG */

/* As the PL011's bound: far above a byte's time at 115200 baud, short when nothing answers. */
#define AUX_MU_TX_POLL_BOUND 1000000u

static uint32_t aux_read(const struct uart *u, uint32_t offset)
{
    return mmio_read32(u->regs + offset);
}

/*
 * The mini-UART has no identification registers. LSR's bits above 7 are reserved and
 * read as zero, so all ones there is a bus with no device behind it; anything else is
 * not contradicted.
 */
static enum uart_probe aux_probe(const struct uart *u)
{
    return aux_read(u, AUX_MU_LSR) == UINT32_MAX ? UART_PROBE_ABSENT : UART_PROBE_UNKNOWN;
}

static bool aux_putc(const struct uart *u, uint8_t c)
{
    for (uint32_t i = 0; i < AUX_MU_TX_POLL_BOUND; i++) {
        if ((aux_read(u, AUX_MU_LSR) & AUX_MU_LSR_TX_EMPTY) != 0) {
            mmio_write32(u->regs + AUX_MU_IO, c);
            return true;
        }
    }
    return false;
}

static int aux_getc(const struct uart *u)
{
    if ((aux_read(u, AUX_MU_LSR) & AUX_MU_LSR_DATA_READY) == 0) {
        return -1;
    }
    return (int)(aux_read(u, AUX_MU_IO) & 0xff);
}

/*
 * No line set-up: the baud rate divides the VideoCore's core clock, which only the
 * firmware knows; it (or U-Boot) set the line up, and QEMU's needs none.
 */
static const struct uart_ops bcm2835_aux_ops = {
    .probe = aux_probe,
    .init = NULL,
    .putc = aux_putc,
    .getc = aux_getc,
};

static const char *const bcm2835_aux_compatible[] = {"brcm,bcm2835-aux-uart", NULL};

const struct uart_driver bcm2835_aux_driver = {
    .name = "bcm2835-aux",
    .kind = BI_CONSOLE_BCM2835_AUX,
    .compatible = bcm2835_aux_compatible,
    .regs_size = AUX_MU_REGS_SIZE,
    .reg_stride = 4,
    .io_widths = UART_WIDTH(4),
    .default_io_width = 4,
    .ops = &bcm2835_aux_ops,
};

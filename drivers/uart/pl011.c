/* SPDX-License-Identifier: MIT */
/* The Arm PL011 UART: identified by its PrimeCell ID registers, polled, no line set-up. */
#include <stdint.h>

#include <keel/mmio.h>
#include <keel/uart.h>

/* Register offsets and flags (PrimeCell UART (PL011) Technical Reference Manual). */
#define PL011_DR 0x000
#define PL011_FR 0x018
#define PL011_FR_RXFE (1u << 4) /* receive FIFO empty */
#define PL011_FR_TXFF (1u << 5) /* transmit FIFO full */
#define PL011_REGS_SIZE 0x04c   /* UARTDR to UARTDMACR */

/*
 * The identification registers fill the top of the 4 KiB block: PeriphID0-3 at 0xfe0
 * and PCellID0-3 at 0xff0, one byte in the low bits of each word. A PL011 has part
 * number 0x011 (PeriphID0, and PeriphID1's low nibble); every PrimeCell has the
 * component ID 0xb105f00d (PCellID3..0).
 */
#define PL011_ID_BASE 0xfe0
#define PL011_ID_WINDOW 0x1000
#define PL011_PART_NUMBER 0x011u
#define PRIMECELL_COMPONENT_ID 0xb105f00du

/*
 * How often putc looks at the FIFO-full flag before it gives up. At 115200 baud a byte
 * takes about 87 us; this bound is far above that on any core Keel runs on and still
 * ends quickly when no UART answers.
 */
#define PL011_TX_POLL_BOUND 1000000u

static uint32_t pl011_read(const struct uart *u, uint32_t offset)
{
    return mmio_read32(u->regs + offset);
}

/*
 * A device tree may give the PL011 a window smaller than its 4 KiB block (the Raspberry
 * Pi's trees say 0x200): then the ID registers lie outside what the tree vouches for
 * and are not read. FR's bits above 8 are reserved and read as zero, so all ones
 * there is a bus with no device behind it.
 */
static enum uart_probe pl011_probe(const struct uart *u)
{
    uint32_t id[8];

    if (pl011_read(u, PL011_FR) == UINT32_MAX) {
        return UART_PROBE_ABSENT;
    }
    if (u->window < PL011_ID_WINDOW) {
        return UART_PROBE_UNKNOWN;
    }
    for (uint32_t i = 0; i < 8; i++) {
        id[i] = pl011_read(u, PL011_ID_BASE + 4 * i) & 0xff;
    }
    uint32_t part = id[0] | (id[1] & 0xf) << 8;
    uint32_t component = id[4] | id[5] << 8 | id[6] << 16 | id[7] << 24;
    return part == PL011_PART_NUMBER && component == PRIMECELL_COMPONENT_ID ? UART_PROBE_FOUND
                                                                            : UART_PROBE_ABSENT;
}

static bool pl011_putc(const struct uart *u, uint8_t c)
{
    for (uint32_t i = 0; i < PL011_TX_POLL_BOUND; i++) {
        if ((pl011_read(u, PL011_FR) & PL011_FR_TXFF) == 0) {
            mmio_write32(u->regs + PL011_DR, c);
            return true;
        }
    }
    return false;
}

static int pl011_getc(const struct uart *u)
{
    if ((pl011_read(u, PL011_FR) & PL011_FR_RXFE) != 0) {
        return -1;
    }
    return (int)(pl011_read(u, PL011_DR) & 0xff);
}

/* No baud-rate or line set-up: QEMU's PL011 needs none and firmware has done it elsewhere. */
static const struct uart_ops pl011_ops = {
    .probe = pl011_probe,
    .init = NULL,
    .putc = pl011_putc,
    .getc = pl011_getc,
};

static const char *const pl011_compatible[] = {"arm,pl011", NULL};

const struct uart_driver pl011_driver = {
    .name = "pl011",
    .kind = BI_CONSOLE_PL011,
    .compatible = pl011_compatible,
    .regs_size = PL011_REGS_SIZE,
    .reg_stride = 4,
    .io_widths = UART_WIDTH(4),
    .default_io_width = 4,
    .ops = &pl011_ops,
};

/* SPDX-License-Identifier: MIT */
/* The 16550 UART family, polled: in MMIO space (from a DTB) and behind I/O ports (the PC's COM1).
 */
#include <stdint.h>

#include <keel/mmio.h>
#include <keel/uart.h>

/*
 * Port I/O is an arch's business: an arch that has it provides <arch/pio.h> with
 * arch_pio_read8 and arch_pio_write8 as inline functions. Elsewhere (and in the host
 * tools) every port reads as all ones, which the probe takes for "nothing there".
 */
#if defined(__has_include)
#if __has_include(<arch/pio.h>)
#include <arch/pio.h>
#define NS16550_HAVE_PIO 1
#endif
#endif
#ifndef NS16550_HAVE_PIO
static inline uint8_t arch_pio_read8(uint16_t port)
{
    (void)port;
    return 0xff;
}

static inline void arch_pio_write8(uint16_t port, uint8_t value)
{
    (void)port;
    (void)value;
}
#endif

/* Registers, numbered as at reg-shift 0 (DLAB = 0 unless noted). */
#define UART_RBR 0 /* receive buffer */
#define UART_THR 0 /* transmit holding */
#define UART_DLL 0 /* divisor latch low (DLAB = 1) */
#define UART_IER 1 /* interrupt enable */
#define UART_DLM 1 /* divisor latch high (DLAB = 1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_REG_COUNT 8

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07 /* FIFOs on, both cleared */
#define MCR_DTR_RTS 0x03
#define LSR_DR 0x01   /* a received byte is waiting */
#define LSR_THRE 0x20 /* the transmit holding register is empty */

/* 115200 baud from the PC's 1.8432 MHz reference clock: divisor 1. */
#define UART_PC_DIVISOR 1

/*
 * At 115200 baud a byte takes about 87 us; a real UART with its FIFO full needs at most
 * a few thousand polls. QEMU's keeps THRE clear while the host end of its character
 * device is full (a reader on a loaded host that has not drained its pipe yet), which
 * under TCG has outlasted 100000 polls (about 0.1 s) and lost a fault's line. Past the
 * bound putc gives up rather than hang; a dead UART costs that wait once.
 */
#define THRE_POLL_BOUND 2000000u

/* One register access, through MMIO (reg-shift, reg-io-width) or an I/O port. */
struct ns16550_io {
    uint8_t (*read)(const struct uart *u, uint32_t reg);
    void (*write)(const struct uart *u, uint32_t reg, uint8_t value);
};

static uint8_t mmio_reg_read(const struct uart *u, uint32_t reg)
{
    volatile uint8_t *p = u->regs + ((uintptr_t)reg << u->reg_shift);

    if (u->io_width == 4) {
        return (uint8_t)mmio_read32(p);
    }
    return u->io_width == 2 ? (uint8_t)mmio_read16(p) : mmio_read8(p);
}

static void mmio_reg_write(const struct uart *u, uint32_t reg, uint8_t value)
{
    volatile uint8_t *p = u->regs + ((uintptr_t)reg << u->reg_shift);

    if (u->io_width == 4) {
        mmio_write32(p, value);
    } else if (u->io_width == 2) {
        mmio_write16(p, value);
    } else {
        mmio_write8(p, value);
    }
}

static uint8_t pio_reg_read(const struct uart *u, uint32_t reg)
{
    return arch_pio_read8((uint16_t)(u->port + reg));
}

static void pio_reg_write(const struct uart *u, uint32_t reg, uint8_t value)
{
    arch_pio_write8((uint16_t)(u->port + reg), value);
}

static const struct ns16550_io mmio_io = {mmio_reg_read, mmio_reg_write};
static const struct ns16550_io pio_io = {pio_reg_read, pio_reg_write};

/*
 * The 16550 has no identification registers. A line status of all ones cannot come
 * from one (bit 7 is set only with an error in the FIFO, bit 0 only with data), and is
 * what a bus with nothing behind it reads.
 */
static enum uart_probe probe(const struct ns16550_io *io, const struct uart *u)
{
    return io->read(u, UART_LSR) == 0xff ? UART_PROBE_ABSENT : UART_PROBE_UNKNOWN;
}

static bool put(const struct ns16550_io *io, const struct uart *u, uint8_t c)
{
    for (uint32_t i = 0; i < THRE_POLL_BOUND; i++) {
        if ((io->read(u, UART_LSR) & LSR_THRE) != 0) {
            io->write(u, UART_THR, c);
            return true;
        }
    }
    return false;
}

static int get(const struct ns16550_io *io, const struct uart *u)
{
    if ((io->read(u, UART_LSR) & LSR_DR) == 0) {
        return -1;
    }
    return io->read(u, UART_RBR);
}

static enum uart_probe mmio_probe(const struct uart *u)
{
    return probe(&mmio_io, u);
}

static bool mmio_putc(const struct uart *u, uint8_t c)
{
    return put(&mmio_io, u, c);
}

static int mmio_getc(const struct uart *u)
{
    return get(&mmio_io, u);
}

static enum uart_probe pio_probe(const struct uart *u)
{
    return probe(&pio_io, u);
}

/* The PC's COM1 is Keel's to set up: 115200 8N1, FIFOs on, no interrupts. */
static void pio_init(const struct uart *u)
{
    pio_reg_write(u, UART_IER, 0);
    pio_reg_write(u, UART_LCR, LCR_DLAB);
    pio_reg_write(u, UART_DLL, UART_PC_DIVISOR & 0xff);
    pio_reg_write(u, UART_DLM, UART_PC_DIVISOR >> 8);
    pio_reg_write(u, UART_LCR, LCR_8N1);
    pio_reg_write(u, UART_FCR, FCR_ENABLE_CLEAR);
    pio_reg_write(u, UART_MCR, MCR_DTR_RTS);
}

static bool pio_putc(const struct uart *u, uint8_t c)
{
    return put(&pio_io, u, c);
}

static int pio_getc(const struct uart *u)
{
    return get(&pio_io, u);
}

/*
 * In MMIO space the input clock is the board's and unknown here, so the firmware's
 * line settings are kept.
 */
static const struct uart_ops ns16550_ops = {
    .probe = mmio_probe,
    .init = NULL,
    .putc = mmio_putc,
    .getc = mmio_getc,
};

static const struct uart_ops ns16550_pio_ops = {
    .probe = pio_probe,
    .init = pio_init,
    .putc = pio_putc,
    .getc = pio_getc,
};

static const char *const ns16550_compatible[] = {"ns16550a", "ns16550", "ns16450", "ns8250", NULL};

const struct uart_driver ns16550_driver = {
    .name = "ns16550",
    .kind = BI_CONSOLE_NS16550_MMIO,
    .compatible = ns16550_compatible,
    .regs_size = UART_REG_COUNT,
    .reg_stride = 1,
    .dt_props = UART_DT_REG_SHIFT | UART_DT_REG_IO_WIDTH,
    .io_widths = UART_WIDTH(1) | UART_WIDTH(2) | UART_WIDTH(4),
    .default_io_width = 1,
    .max_reg_shift = 4,
    .ops = &ns16550_ops,
};

/* The PC's COM1: no device tree names it, x86_start starts it at port 0x3f8. */
const struct uart_driver ns16550_pio_driver = {
    .name = "ns16550-pio",
    .kind = BI_CONSOLE_NS16550_PIO,
    .port_io = true,
    .regs_size = UART_REG_COUNT,
    .reg_stride = 1,
    .io_widths = UART_WIDTH(1),
    .default_io_width = 1,
    .ops = &ns16550_pio_ops,
};

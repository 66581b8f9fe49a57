/* SPDX-License-Identifier: MIT */
/* The early console: a 16550 UART driven through port I/O (COM1 unless the shim says otherwise). */
#include <stdint.h>

#include <keel/arch.h>
#include <x86/cpu.h>

#define UART_THR 0 /* transmit holding register (DLAB = 0) */
#define UART_DLL 0 /* divisor latch, low byte (DLAB = 1) */
#define UART_IER 1 /* interrupt enable (DLAB = 0) */
#define UART_DLM 1 /* divisor latch, high byte (DLAB = 1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07 /* FIFOs on, both cleared */
#define MCR_DTR_RTS 0x03
#define LSR_THRE 0x20
#define LSR_DR 0x01 /* a received byte is waiting */
#define UART_RBR 0  /* receive buffer (DLAB = 0) */

/* 115200 baud from the 1.8432 MHz reference clock: divisor 1. */
#define UART_DIVISOR 1

/*
 * At 115200 baud a byte takes about 87 us; a real UART with its FIFO full needs at
 * most a few thousand polls. Past the bound the byte is dropped rather than hanging
 * on a port with nothing behind it (which reads 0xff, so THRE looks set anyway).
 */
#define THRE_POLL_LIMIT 100000

static uint16_t uart_port;
static int uart_ready;

void x86_uart_init(uint16_t port)
{
    x86_outb(port + UART_IER, 0);
    x86_outb(port + UART_LCR, LCR_DLAB);
    x86_outb(port + UART_DLL, UART_DIVISOR & 0xff);
    x86_outb(port + UART_DLM, UART_DIVISOR >> 8);
    x86_outb(port + UART_LCR, LCR_8N1);
    x86_outb(port + UART_FCR, FCR_ENABLE_CLEAR);
    x86_outb(port + UART_MCR, MCR_DTR_RTS);
    uart_port = port;
    uart_ready = 1;
}

void arch_console_putc(char c)
{
    if (!uart_ready) {
        return;
    }
    for (unsigned i = 0; i < THRE_POLL_LIMIT; i++) {
        if (x86_inb(uart_port + UART_LSR) & LSR_THRE) {
            x86_outb(uart_port + UART_THR, (uint8_t)c);
            return;
        }
    }
}

int arch_console_getc(void)
{
    if (uart_port == 0 || (x86_inb(uart_port + UART_LSR) & LSR_DR) == 0) {
        return -1;
    }
    return x86_inb(uart_port + UART_RBR);
}

void arch_console_setup(const struct bi_console *console)
{
    /* Only a 16550 behind an I/O port is driven here; anything else keeps COM1. */
    if (console == 0 || console->kind != BI_CONSOLE_UART16550_PIO) {
        return;
    }
    if (console->base == 0 || console->base > 0xfff8) {
        return;
    }
    if (console->base != uart_port) {
        x86_uart_init((uint16_t)console->base);
    }
}

/* The 16550 is reached through I/O ports: there is no MMIO page to map. */
uint64_t arch_console_mmio_base(void)
{
    return 0;
}

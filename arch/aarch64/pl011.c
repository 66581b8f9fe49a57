/* SPDX-License-Identifier: MIT */
/* The early console on an Arm PL011 UART: polled transmit only, no interrupts. */
#include <stdint.h>

#include <keel/arch.h>

#include <a64/a64.h>

#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_FR_TXFF (1u << 5) /* transmit FIFO full */
#define PL011_FR_RXFE (1u << 4) /* receive FIFO empty */

/*
 * How often putc looks at the FIFO-full flag before it drops the byte. At 115200 baud
 * a byte takes about 87 us; this bound is far above that on any core Keel runs on and
 * still ends quickly when no UART answers.
 */
#define PL011_TX_POLL_BOUND 1000000u

/*
 * No baud-rate or line setup: QEMU's PL011 transmits without it and U-Boot or other
 * firmware has already configured the port. Until the memory sequence switches tables
 * the base is the physical address, reached through the identity map, whose first
 * A64_IDMAP_DEVICE_END bytes are Device-nGnRnE; afterwards it is the device mapping the
 * common sequence made (arch_fb_reinit). console_pa is the register block's physical
 * address throughout.
 */
static uintptr_t console_base = A64_EARLY_UART_BASE;
static uint64_t console_pa = A64_EARLY_UART_BASE;

_Static_assert(A64_EARLY_UART_BASE < A64_IDMAP_DEVICE_END,
               "the early UART must lie in the identity map's device range");

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

void arch_console_putc(char c)
{
    uintptr_t base = console_base;
    if (base == 0) {
        return;
    }
    for (uint32_t i = 0; i < PL011_TX_POLL_BOUND; i++) {
        if ((mmio_read32(base + PL011_FR) & PL011_FR_TXFF) == 0) {
            mmio_write32(base + PL011_DR, (uint8_t)c);
            return;
        }
    }
}

int arch_console_getc(void)
{
    uintptr_t base = console_base;

    if (base == 0 || (mmio_read32(base + PL011_FR) & PL011_FR_RXFE) != 0) {
        return -1;
    }
    return (int)(mmio_read32(base + PL011_DR) & 0xff);
}

void arch_console_setup(const struct bi_console *console)
{
    /* Only a PL011 inside the device part of the identity map can be driven early. */
    if (console->kind != BI_CONSOLE_PL011 || console->base == 0 ||
        console->base > A64_IDMAP_DEVICE_END - 0x1000 || (console->base & 3) != 0 ||
        a64_mmu_switched) {
        return;
    }
    console_base = (uintptr_t)console->base;
    console_pa = console->base;
}

uint64_t arch_console_mmio_base(void)
{
    return console_pa;
}

void a64_console_move(uintptr_t base)
{
    console_base = base;
}

void a64_console_write(const char *s)
{
    while (*s != '\0') {
        arch_console_putc(*s++);
    }
}

void a64_console_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[19];
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xf) == 0) {
        shift -= 4;
    }
    int n = 0;
    buf[n++] = '0';
    buf[n++] = 'x';
    for (; shift >= 0; shift -= 4) {
        buf[n++] = digits[(v >> shift) & 0xf];
    }
    buf[n] = '\0';
    a64_console_write(buf);
}

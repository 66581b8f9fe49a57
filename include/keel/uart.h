/* SPDX-License-Identifier: MIT */
/* The UART driver interface (drivers/uart/) and the one table the FDT shim and the console share.
 */
#ifndef KEEL_UART_H
#define KEEL_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>

/*
 * One UART as its driver sees it. The console fills this from a bi_console and keeps
 * it up to date: `regs` is the register block through the mapping in use now (the boot
 * identity map until the page-table switch, the common sequence's device mapping
 * after it). Drivers never map anything and never keep state of their own, so one
 * driver serves any number of devices.
 */
struct uart {
    volatile uint8_t *regs; /* MMIO drivers: register 0 */
    uint16_t port;          /* port-I/O drivers: the port of register 0 */
    uint8_t reg_shift;      /* register n is at offset n << reg_shift */
    uint8_t io_width;       /* bytes per register access: 1, 2 or 4 */
    uint32_t window;        /* bytes readable from regs: a probe stays inside them */
};

/* What a probe learned from the registers. */
enum uart_probe {
    UART_PROBE_ABSENT = 0,  /* they answer as some other device, or as nothing at all */
    UART_PROBE_UNKNOWN = 1, /* nothing contradicts the driver, nothing confirms it either */
    UART_PROBE_FOUND = 2,   /* identification registers name the driver's hardware */
};

/*
 * A driver's operations. All of them poll with a bound and never block; none may
 * allocate or print. `init` may be NULL (the firmware set the line up).
 */
struct uart_ops {
    enum uart_probe (*probe)(const struct uart *u);
    void (*init)(const struct uart *u);
    bool (*putc)(const struct uart *u, uint8_t c); /* false: still busy when the bound ran out */
    int (*getc)(const struct uart *u);             /* one received byte, or -1 */
};

/* Device-tree properties a driver reads besides reg (Linux's serial bindings). */
#define UART_DT_REG_SHIFT (1u << 0)
#define UART_DT_REG_IO_WIDTH (1u << 1)

/* Access widths, as a mask of the byte counts (1, 2, 4) a driver supports. */
#define UART_WIDTH(bytes) (1u << (bytes))

/*
 * One driver. `kind` is the id boot_info records; `compatible` lists the DT compatible
 * strings the driver serves (NULL-terminated; NULL when no DTB describes the device,
 * as for the PC's COM1). `regs_size` is the span of the registers the driver uses at
 * reg-shift 0, `reg_stride` the distance between two of them there: the console
 * refuses a device whose registers, so spread, cross a page, and an access width
 * wider than the spread registers. A driver with no registers (`regs_size` 0, the
 * firmware's console call) takes no base and is never mapped.
 */
struct uart_driver {
    const char *name;
    uint32_t kind; /* enum bi_console_kind */
    const char *const *compatible;
    bool port_io;       /* base is an I/O port, not an MMIO address */
    uint32_t regs_size; /* bytes, at reg-shift 0 */
    uint8_t reg_stride; /* bytes from one register to the next, at reg-shift 0 */
    uint32_t dt_props;  /* UART_DT_*: the properties its device nodes may carry */
    uint8_t io_widths;  /* UART_WIDTH() mask */
    uint8_t default_io_width;
    uint8_t max_reg_shift;
    const struct uart_ops *ops;
};

/* Every driver, one entry each (drivers/uart/uart.c). */
extern const struct uart_driver *const uart_drivers[];
extern const size_t uart_driver_count;

/* The driver whose kind is `kind`, or NULL. */
const struct uart_driver *uart_driver_by_kind(uint32_t kind);

/*
 * The driver for a DT compatible property (`len` bytes of NUL-separated strings). A
 * node lists its most specific string first, so the first string some driver serves
 * decides. NULL when none does.
 */
const struct uart_driver *uart_driver_by_compatible(const char *list, size_t len);

/*
 * Bytes from a device's base that its driver touches with this shift and width: the
 * registers the console maps and a probe may read. 0 for a bad shift or width.
 */
uint64_t uart_regs_extent(const struct uart_driver *drv, uint32_t reg_shift, uint32_t io_width);

#endif

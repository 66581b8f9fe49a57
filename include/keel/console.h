/* SPDX-License-Identifier: MIT */
/* The console: one API that feeds every sink (serial now; the framebuffer when there is one). */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/fmt.h>
#include <keel/kprintf.h>

/* console_write, kprintf and console_getc are public: keel/kprintf.h. */

/*
 * The serial sink: one UART at a time, driven through its driver's ops (drivers/uart/,
 * include/keel/uart.h). docs/console.md tells how the device is chosen.
 *
 * start: from the first C code on (the arch's fixed UART, or the board layer from the
 * DTB), attaches to `dev` through the boot mapping (arch_early_mmio_ptr or its port)
 * once its driver's probe did not find another device there; with must_identify the
 * probe must positively identify it (a guessed address). Returns KEEL_OK or a
 * KEEL_E_CONSOLE_* code, and then the console stays where it was. The UART it leaves
 * is kept as the fallback: a UART that lets a byte time out is given up, the console
 * goes back to the previous one and one "keel: warning:" line says so.
 *
 * setup: once, after the shim, with bi->console: moves there unless it is the device in
 * use already (or one that was refused); a failure is one "keel: warning:" line.
 */
struct bi_console;
int console_uart_start(const struct bi_console *dev, bool must_identify);
void console_uart_setup(const struct bi_console *dev);

/*
 * The one warning line for a UART that was not taken: "keel: warning: <err> (<driver>
 * at <base>); the console is <driver> at <base>". `dev` may be NULL when the device
 * has no address worth naming.
 */
void console_uart_warn(int err, const struct bi_console *dev);

/*
 * One byte to the serial sink alone, without "\n" translation: for the exception
 * handlers, which must not depend on the rest of the console. Never fails.
 */
void console_putc(char c);

/*
 * A string, and a number as 0x followed by its hex digits without leading zeros, both
 * through console_putc alone: what the exception handlers build their one line from.
 */
void console_put_str(const char *s);
void console_put_hex(uint64_t v);

/*
 * The page-table switch (common/mm/init.c, through the arch hooks): the physical MMIO
 * page of the UART in use (0 for port I/O or none), which the memory sequence maps as
 * device memory; suspend, called by arch_tlb_switch() just before the boot mapping
 * goes, silences an MMIO UART; remap, called by arch_fb_reinit(), points it at the
 * address the sequence mapped it at (0: there is no mapping, the UART stays silent).
 */
uint64_t console_uart_mmio_base(void);
void console_uart_suspend(void);
void console_uart_remap(uint64_t mmio_va);

/*
 * The framebuffer sink. attach: from the shim on, `pixels` reaching the framebuffer
 * through the boot mapping; fails (and the console stays serial-only) for a format
 * the framebuffer console does not draw. pause: nothing draws from the page-table
 * switch until resume, which re-points the console at the new mapping (fb_reinit).
 */
struct bi_framebuffer;
int console_fb_attach(const struct bi_framebuffer *fb, void *pixels);
bool console_fb_attached(void);
void console_fb_pause(void);
void console_fb_resume(void *pixels);

/* Cycle-counter ticks spent drawing on the framebuffer so far. */
uint64_t console_fb_draw_ticks(void);

/* A sink that writes to the console, for sink_printf and the report writers. */
extern const struct sink console_sink;

/*
 * A pointer through which the console can draw on `fb` before the memory sequence: the
 * boot 1:1 window for a framebuffer in RAM (ramfb), the early device window for one in
 * MMIO space (a loader's), or NULL when neither reaches all of it.
 */
void *console_fb_early_pixels(const struct bi_framebuffer *fb);

/*
 * The console stage (keel_main): moves the serial console to the device the shim found
 * (bi->console) and attaches the framebuffer console to bi->framebuffer. A framebuffer
 * that the shim refused (bi->framebuffer_error) or that the console cannot draw on gets
 * one "keel: warning:" line and the boot goes on on serial. Never fails; reads bi only.
 */
struct boot_info;
void console_init(const struct boot_info *bi);

#endif

/* SPDX-License-Identifier: MIT */
/* The console: one API that feeds every sink (serial now; the framebuffer when there is one). */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/fmt.h>

/* Writes to every console sink; "\n" becomes "\r\n" on serial. Early; never fails. */
void console_write(const char *buf, size_t len);

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

/* Formatted output to every console sink. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* SPDX-License-Identifier: MIT */
/* Console output for a kernel on Keel: every sink at once (serial, and the framebuffer). */
#ifndef KEEL_KPRINTF_H
#define KEEL_KPRINTF_H

#include <stddef.h>

#include <keel/cdefs.h>

KEEL_BEGIN_DECLS

/*
 * Writes to every console sink; "\n" becomes "\r\n" on serial. Early; never fails.
 * It and kprintf hold the console lock for the whole call, so that the output of
 * several CPUs does not interleave within one call (docs/memory.md, "Locks").
 */
void console_write(const char *buf, size_t len);

/*
 * Formatted output to every console sink: %% %c %s %d %i %u %x %X %p with the h, hh,
 * l, ll, z and j length modifiers, the '0' and '-' flags, a field width and a
 * precision for %s. No floating point.
 */
void kprintf(const char *fmt, ...) KEEL_PRINTF(1, 2);

/* One received byte from the serial console, or -1 when none is waiting. Never blocks. */
int console_getc(void);

KEEL_END_DECLS

#endif

/* SPDX-License-Identifier: MIT */
/* A small printf that writes to a sink; the same code serves the kernel and host tools. */
#ifndef KEEL_FMT_H
#define KEEL_FMT_H

#include <stdarg.h>
#include <stddef.h>

struct sink {
    void (*write)(void *ctx, const char *buf, size_t len);
    void *ctx;
};

/*
 * Supports %% %c %s %d %i %u %x %X %p with the h, hh, l, ll, z and j length
 * modifiers, the '0' and '-' flags, a field width and a precision for %s.
 * Returns the number of bytes written.
 */
int sink_vprintf(const struct sink *s, const char *fmt, va_list ap);
int sink_printf(const struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes `str` as a JSON string literal, quotes included. */
void sink_json_string(const struct sink *s, const char *str);

#endif

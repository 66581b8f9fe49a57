/* SPDX-License-Identifier: MIT */
/* The console: one API that feeds every sink (serial now; the framebuffer when there is one). */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <stddef.h>

#include <keel/fmt.h>

/* Writes to every console sink; "\n" becomes "\r\n" on serial. Early; never fails. */
void console_write(const char *buf, size_t len);

/* A sink that writes to the console, for sink_printf and the report writers. */
extern const struct sink console_sink;

#endif

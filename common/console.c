/* SPDX-License-Identifier: MIT */
/* The kernel console: kprintf and the sinks it feeds. */
#include <stdarg.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/init.h>

void console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            arch_console_putc('\r');
        }
        arch_console_putc(buf[i]);
    }
}

static void console_sink_write(void *ctx, const char *buf, size_t len)
{
    (void)ctx;
    console_write(buf, len);
}

const struct sink console_sink = {.write = console_sink_write, .ctx = NULL};

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sink_vprintf(&console_sink, fmt, ap);
    va_end(ap);
}

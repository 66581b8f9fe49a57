/* SPDX-License-Identifier: MIT */
/* The one place where a failed boot phase becomes a printed line and an exit code. */
#include <stdarg.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/init.h>

noreturn void keel_fail(int err)
{
    kprintf("keel: error: %s\n", keel_strerror(err));
    arch_exit(KEEL_EXIT_BAD_INPUT);
}

noreturn void keel_fail_in(const char *phase, int err)
{
    kprintf("keel: error: %s: %s\n", phase, keel_strerror(err));
    arch_exit(KEEL_EXIT_BAD_INPUT);
}

noreturn void panic(const char *fmt, ...)
{
    va_list ap;

    kprintf("keel: panic: ");
    va_start(ap, fmt);
    sink_vprintf(&console_sink, fmt, ap);
    va_end(ap);
    kprintf("\n");
    arch_exit(KEEL_EXIT_PANIC);
}

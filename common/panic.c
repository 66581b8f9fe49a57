/* SPDX-License-Identifier: MIT */
/* panic(): a broken invariant inside Keel becomes one "keel: panic:" line and KEEL_EXIT_PANIC. */
#include <stdarg.h>

#include <keel/arch.h>
#include <keel/assert.h>
#include <keel/console.h>

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

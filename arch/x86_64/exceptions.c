/* SPDX-License-Identifier: MIT */
/* The exception handler: one line on the console, then exit with KEEL_EXIT_EXCEPTION. */
#include <stdint.h>

#include <keel/arch.h>
#include <x86/cpu.h>

static const char *const exception_names[X86_EXCEPTION_COUNT] = {
    "divide error",
    "debug",
    "non-maskable interrupt",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection",
    "page fault",
    "reserved (15)",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point",
    "virtualization",
    "control protection",
    "reserved (22)",
    "reserved (23)",
    "reserved (24)",
    "reserved (25)",
    "reserved (26)",
    "reserved (27)",
    "hypervisor injection",
    "VMM communication",
    "security",
    "reserved (31)",
};

/*
 * The handler formats by hand rather than through kprintf: it only relies on
 * arch_console_putc, so it still works when the fault came from the common code.
 */
static void put_str(const char *s)
{
    while (*s != '\0') {
        arch_console_putc(*s++);
    }
}

static void put_num(uint64_t v, unsigned base)
{
    char buf[20];
    unsigned n = 0;

    do {
        buf[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v != 0);
    while (n > 0) {
        arch_console_putc(buf[--n]);
    }
}

noreturn void x86_exception(const struct x86_exception_frame *frame)
{
    static int nesting;
    uint64_t addr = frame->vector == 14 ? x86_read_cr2() : 0;

    /* A fault while reporting a fault: leave without printing again. */
    if (nesting++ != 0) {
        arch_exit(KEEL_EXIT_EXCEPTION);
    }
    put_str("keel: exception: ");
    put_str(frame->vector < X86_EXCEPTION_COUNT ? exception_names[frame->vector] : "unknown");
    put_str(" (vector ");
    put_num(frame->vector, 10);
    put_str(", error 0x");
    put_num(frame->error, 16);
    put_str(") at pc 0x");
    put_num(frame->rip, 16);
    put_str(" addr 0x");
    put_num(addr, 16);
    put_str("\r\n"); /* serial, like console_write */
    arch_exit(KEEL_EXIT_EXCEPTION);
}

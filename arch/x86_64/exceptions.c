/* SPDX-License-Identifier: MIT */
/* The exception handler: page faults go to keel_page_fault, the rest print one line and exit. */
#include <stdint.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/fault.h>
#include <keel/smp.h>
#include <x86/cpu.h>

#define VECTOR_PAGE_FAULT 14

/* #PF error code bits (SDM vol. 3A, "Page-Fault Exception"). */
#define PF_ERR_PRESENT (1u << 0)  /* 0: no translation; 1: a protection violation */
#define PF_ERR_WRITE (1u << 1)    /* the access was a write */
#define PF_ERR_RESERVED (1u << 3) /* a reserved bit was set in a paging entry */
#define PF_ERR_FETCH (1u << 4)    /* an instruction fetch (reported because EFER.NXE = 1) */

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
 * console_putc, so it still works when the fault came from the common code.
 */
static void put_str(const char *s)
{
    while (*s != '\0') {
        console_putc(*s++);
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
        console_putc(buf[--n]);
    }
}

/*
 * Runs on IST3, so a stack overflow into a guard page is reported too. A reserved-bit
 * fault means Keel wrote a broken entry, not that some access was refused: it gets the
 * generic line with the raw error code instead.
 */
static void page_fault(const struct x86_exception_frame *frame, uint64_t addr)
{
    struct fault f = {
        .addr = addr,
        .pc = frame->rip,
        .access = FAULT_READ,
        .present = (frame->error & PF_ERR_PRESENT) != 0,
    };

    if ((frame->error & PF_ERR_RESERVED) != 0) {
        return;
    }
    if ((frame->error & PF_ERR_FETCH) != 0) {
        f.access = FAULT_EXEC;
    } else if ((frame->error & PF_ERR_WRITE) != 0) {
        f.access = FAULT_WRITE;
    }
    keel_page_fault(&f);
}

noreturn void x86_exception(const struct x86_exception_frame *frame)
{
    /* Read CR2 first: a later fault, even a nested one, would overwrite it. */
    uint64_t addr = frame->vector == VECTOR_PAGE_FAULT ? x86_read_cr2() : 0;

    fault_enter();
    if (frame->vector == VECTOR_PAGE_FAULT) {
        page_fault(frame, addr);
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
    put_str(" on cpu ");
    put_num(smp_cpu_index(), 10);
    put_str("\r\n"); /* serial, like console_write */
    arch_exit(KEEL_EXIT_EXCEPTION);
}

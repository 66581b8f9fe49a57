/* SPDX-License-Identifier: MIT */
/* Exceptions: page faults go to keel_page_fault, the rest print one line and exit. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/fault.h>
#include <keel/fmt.h>
#include <keel/smp.h>

#include <a64/a64.h>

#define EC_IABT_LOWER 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOWER 0x24
#define EC_DABT_CUR 0x25

/* ISS fields of instruction and data aborts (Arm ARM, ESR_ELx, "ISS encoding for ... Abort"). */
#define ABT_FSC_MASK 0x3fu
#define ABT_WNR (1u << 6)  /* data aborts: the access was a write */
#define ABT_FNV (1u << 10) /* FAR_EL1 does not hold the faulting address */

/* Fault status codes 0b0001xx, 0b0010xx, 0b0011xx; the low two bits give the table level. */
#define FSC_TRANSLATION 0x04u
#define FSC_ACCESS_FLAG 0x08u
#define FSC_PERMISSION 0x0cu

/* ESR_EL1.EC values (Arm ARM, "ESR_ELx"), named for the report. */
static const char *const ec_names[64] = {
    [0x00] = "unknown instruction",
    [0x01] = "wfi/wfe trap",
    [0x07] = "fp/simd access",
    [0x0e] = "illegal execution state",
    [0x15] = "svc",
    [0x16] = "hvc",
    [0x17] = "smc",
    [0x18] = "system register trap",
    [0x20] = "instruction abort from lower el",
    [0x21] = "instruction abort",
    [0x22] = "pc alignment",
    [0x24] = "data abort from lower el",
    [0x25] = "data abort",
    [0x26] = "sp alignment",
    [0x2c] = "fp exception",
    [0x2f] = "serror",
    [0x30] = "breakpoint",
    [0x31] = "breakpoint",
    [0x32] = "software step",
    [0x33] = "software step",
    [0x34] = "watchpoint",
    [0x35] = "watchpoint",
    [0x3c] = "brk",
};

/* Non-synchronous vectors (entry number modulo 4) have no class in ESR. */
static const char *const async_names[4] = {NULL, "irq", "fiq", "serror"};

/*
 * A translation, access-flag or permission fault becomes a struct fault for common
 * code; returns when the abort is of another kind (alignment, external, TLB conflict,
 * address size), which gets the generic line. Every Keel leaf has AF set, so an
 * access-flag fault means a page that is present but not usable, like a permission
 * fault. Cache maintenance by VA reports WnR = 1, and counts as a write here.
 */
static void page_fault(uint32_t ec, uint64_t esr, uint64_t elr, uint64_t far)
{
    uint32_t iss = (uint32_t)esr & 0x1ffffffu;
    uint32_t fsc_class = iss & ABT_FSC_MASK & ~0x3u;
    bool instruction = ec == EC_IABT_LOWER || ec == EC_IABT_CUR;

    if (!instruction && ec != EC_DABT_LOWER && ec != EC_DABT_CUR) {
        return;
    }
    if ((fsc_class != FSC_TRANSLATION && fsc_class != FSC_ACCESS_FLAG &&
         fsc_class != FSC_PERMISSION) ||
        (iss & ABT_FNV) != 0) {
        return;
    }
    struct fault f = {
        .addr = far,
        .pc = elr,
        .access = instruction            ? FAULT_EXEC
                  : (iss & ABT_WNR) != 0 ? FAULT_WRITE
                                         : FAULT_READ,
        .present = fsc_class != FSC_TRANSLATION,
    };
    keel_page_fault(&f);
}

/* The printf core straight onto the UART, past the console's lock (keel/fmt.h). */
static void putc_write(void *ctx, const char *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        console_putc(buf[i]);
    }
}

static const struct sink putc_sink = {.write = putc_write, .ctx = NULL};

/*
 * Uses only console_putc, not kprintf: the fault may have happened inside the
 * common console code. fault_enter: a fault while reporting skips straight to the exit,
 * and a second CPU's fault waits for the first one's report to end the boot. This runs
 * on the SP_EL1 exception stack (vectors.S), so an overflow of the boot stack into its
 * guard page still reaches keel_page_fault.
 */
noreturn void a64_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far,
                            uint64_t spsr)
{
    int code;

    (void)spsr;
    if (a64_exit_in_progress(&code)) {
        arch_exit(code);
    }
    fault_enter();

    uint32_t ec = (uint32_t)(esr >> 26) & 0x3f;
    if ((vector & 3) == 0) {
        page_fault(ec, esr, elr, far);
    }
    const char *what = async_names[vector & 3];
    if (what == NULL) {
        what = ec_names[ec] != NULL ? ec_names[ec] : "synchronous";
    }
    console_put_str("keel: exception: ");
    console_put_str(what);
    console_put_str(" (ESR ");
    console_put_hex(esr);
    console_put_str(", EC ");
    console_put_hex(ec);
    console_put_str(") at pc ");
    console_put_hex(elr);
    console_put_str(" addr ");
    console_put_hex(far);
    sink_printf(&putc_sink, " on cpu %u\n", smp_cpu_index());
    arch_exit(KEEL_EXIT_EXCEPTION);
}

/* SPDX-License-Identifier: MIT */
/* Traps: page faults go to keel_page_fault, the rest print one line and exit. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/fault.h>
#include <keel/mm.h>

#include <rv/csr.h>
#include <rv/rv.h>

#define CAUSE_INTERRUPT (UINT64_C(1) << 63)

/* scause's exception codes (the privileged spec's table of supervisor causes), named. */
static const char *const cause_names[16] = {
    [RV_EXC_INST_MISALIGNED] = "instruction address misaligned",
    [RV_EXC_INST_ACCESS] = "instruction access fault",
    [RV_EXC_ILLEGAL] = "illegal instruction",
    [RV_EXC_BREAKPOINT] = "breakpoint",
    [RV_EXC_LOAD_MISALIGNED] = "load address misaligned",
    [RV_EXC_LOAD_ACCESS] = "load access fault",
    [RV_EXC_STORE_MISALIGNED] = "store address misaligned",
    [RV_EXC_STORE_ACCESS] = "store access fault",
    [RV_EXC_ECALL_U] = "ecall from u-mode",
    [RV_EXC_ECALL_S] = "ecall from s-mode",
    [RV_EXC_INST_PAGE_FAULT] = "instruction page fault",
    [RV_EXC_LOAD_PAGE_FAULT] = "load page fault",
    [RV_EXC_STORE_PAGE_FAULT] = "store page fault",
};

/*
 * The three page-fault causes become a struct fault for common code. RISC-V does not
 * say whether the page was mapped (a missing entry and a missing right raise the same
 * cause), so the kernel's table answers it: a fault on a page that table maps is a
 * permission fault. Before the switch to that table nothing is "present".
 */
static void page_fault(uint64_t cause, uint64_t epc, uint64_t tval)
{
    uint64_t pa;

    if (cause != RV_EXC_INST_PAGE_FAULT && cause != RV_EXC_LOAD_PAGE_FAULT &&
        cause != RV_EXC_STORE_PAGE_FAULT) {
        return;
    }
    struct fault f = {
        .addr = tval,
        .pc = epc,
        .access = cause == RV_EXC_INST_PAGE_FAULT    ? FAULT_EXEC
                  : cause == RV_EXC_STORE_PAGE_FAULT ? FAULT_WRITE
                                                     : FAULT_READ,
        .present = rv_mmu_switched && mm_virt_to_phys((const void *)(uintptr_t)tval, &pa),
    };
    keel_page_fault(&f);
}

/*
 * Before the switch the boot map holds as device memory only what the DTB named (the
 * console, the framebuffer's device, the exit device). Where QEMU's riscv virt board has
 * nothing, an access is an access fault rather than a read of all ones, so a DTB that
 * names a device in such a hole stops the boot here: bad input, in one error line.
 */
static void absent_device(uint64_t cause, uint64_t epc, uint64_t tval)
{
    if ((cause != RV_EXC_LOAD_ACCESS && cause != RV_EXC_STORE_ACCESS) || rv_mmu_switched ||
        arch_early_mmio_ptr(tval, 1) == NULL) {
        return;
    }
    console_put_str("keel: error: dtb: a device the DTB names does not answer at ");
    console_put_hex(tval);
    console_put_str(" (");
    console_put_str(cause_names[cause]);
    console_put_str(" at pc ");
    console_put_hex(epc);
    console_put_str(")\n");
    arch_exit(KEEL_EXIT_BAD_INPUT);
}

/*
 * Uses only console_putc, not kprintf: the trap may have come from inside the console
 * code. fault_enter: a trap while reporting goes straight to the exit, and a second
 * hart's trap waits for the first one's report to end the boot.
 */
noreturn void rv_trap(uint64_t cause, uint64_t epc, uint64_t tval)
{
    int code;

    if (rv_exit_in_progress(&code)) {
        arch_exit(code);
    }
    fault_enter();
    const char *what = "interrupt";
    if ((cause & CAUSE_INTERRUPT) == 0) {
        page_fault(cause, epc, tval);
        absent_device(cause, epc, tval);
        what = cause < 16 && cause_names[cause] != NULL ? cause_names[cause] : "exception";
    }
    console_put_str("keel: exception: ");
    console_put_str(what);
    console_put_str(" (scause ");
    console_put_hex(cause);
    console_put_str(") at pc ");
    console_put_hex(epc);
    console_put_str(" addr ");
    console_put_hex(tval);
    console_put_str("\n");
    arch_exit(KEEL_EXIT_EXCEPTION);
}

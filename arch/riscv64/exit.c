/* SPDX-License-Identifier: MIT */
/* SBI calls, and leaving the machine: the DTB's test finisher, then SBI system reset, then halt. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/arch.h>
#include <keel/fault.h>

#include <rv/csr.h>
#include <rv/rv.h>

/*
 * QEMU's virt board exits with a code only through its test device (sifive,test0 in
 * the DTB): a 32-bit write of 0x5555 exits with 0, of (code << 16) | 0x3333 with code.
 * The SBI's system reset (SRST) also ends the run, but the SBI has nowhere to put a
 * code beyond "failure", so it is the fallback when the DTB names no finisher (or the
 * write to it faulted). The finisher's page stays mapped 1:1 in the boot tables,
 * device memory; after the switch to Keel's table, which does not map it, the exit
 * goes back to the boot root in the same few instructions that write the finisher:
 * the boot tables are part of the image and stay as the switch left them, and the
 * code runs in the kernel half, which both tables map.
 */
#define FINISHER_PASS 0x5555u
#define FINISHER_FAIL 0x3333u

enum exit_stage {
    EXIT_NONE = 0,
    EXIT_FINISHER = 1,
    EXIT_SRST = 2,
    EXIT_HALT = 3,
};

static volatile uint32_t exit_stage;
static volatile int exit_code;
static uint64_t finisher_pa;

long rv_sbi_call(uint64_t ext, uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                 uint64_t *value)
{
    register uint64_t r0 __asm__("a0") = a0;
    register uint64_t r1 __asm__("a1") = a1;
    register uint64_t r2 __asm__("a2") = a2;
    register uint64_t r3 __asm__("a3") = a3;
    register uint64_t r6 __asm__("a6") = fn;
    register uint64_t r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r6), "r"(r7) : "memory");
    if (value != NULL) {
        *value = r1;
    }
    return (long)r0;
}

void rv_exit_init(uint64_t pa)
{
    finisher_pa = pa;
}

bool rv_exit_in_progress(int *code)
{
    *code = exit_code;
    return exit_stage != EXIT_NONE && exit_is_mine();
}

static void finisher_exit(int code)
{
    uint32_t value = code == 0 ? FINISHER_PASS : (uint32_t)code << 16 | FINISHER_FAIL;
    uint64_t satp = rv_mmu_switched ? rv_boot_satp : 0;

    /*
     * One asm statement: between the satp write and the store nothing may touch the
     * stack, which the boot root may not map (a secondary hart's, the heap's).
     */
    if (satp != 0) {
        __asm__ volatile("csrw satp, %0\n\tsfence.vma\n\tsw %1, 0(%2)"
                         :
                         : "r"(satp), "r"(value), "r"(finisher_pa)
                         : "memory");
    } else {
        __asm__ volatile("sw %0, 0(%1)" : : "r"(value), "r"(finisher_pa) : "memory");
    }
}

noreturn void arch_exit(int code)
{
    __asm__ volatile("csrci sstatus, %0" : : "i"(RV_SSTATUS_SIE) : "memory");
    exit_enter();
    if (exit_stage == EXIT_NONE) {
        exit_code = code;
        exit_stage = EXIT_FINISHER;
        if (finisher_pa != 0) {
            finisher_exit(code);
        }
    }
    if (exit_stage == EXIT_FINISHER) {
        exit_stage = EXIT_SRST;
        rv_sbi_call(RV_SBI_EXT_SRST, 0, RV_SBI_SRST_SHUTDOWN,
                    exit_code == 0 ? RV_SBI_SRST_REASON_NONE : RV_SBI_SRST_REASON_FAILURE, 0, 0,
                    NULL);
    }
    exit_stage = EXIT_HALT;
    rv_halt();
}

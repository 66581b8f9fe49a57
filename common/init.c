/* SPDX-License-Identifier: MIT */
/* keel_main: the boot as one table of contents, the same C code on every arch. */
#include <stddef.h>

#include <keel/arch.h>
#include <keel/board.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/init.h>
#include <keel/mm.h>
#include <keel/report.h>
#include <keel/shim.h>
#include <keel/smp.h>
#include <keel/timeline.h>

/*
 * The one place where a failed stage becomes a printed line and an exit code:
 * "keel: error: [<stage>: ]<message>", then KEEL_EXIT_PANIC for a broken invariant of
 * Keel's own and KEEL_EXIT_BAD_INPUT for everything the loader, firmware or DTB gave.
 */
static noreturn void fail(const char *stage, int err)
{
    if (stage != NULL) {
        kprintf("keel: error: %s: %s%s\n", stage, keel_strerror(err), keel_err_detail());
    } else {
        kprintf("keel: error: %s%s\n", keel_strerror(err), keel_err_detail());
    }
    arch_exit(keel_err_is_internal(err) ? KEEL_EXIT_PANIC : KEEL_EXIT_BAD_INPUT);
}

noreturn void keel_main(const struct keel_entry *entry)
{
    static struct kernel_memory km;
    const struct boot_info *bi;
    const char *stage;
    int err;

    /*
     * The board: the boot identity map (RAM, the console, the fb device) and the console,
     * from a DTB, or for a UEFI boot from the firmware's map and its DTB or SPCR table.
     */
    if (entry->protocol == BI_PROTO_FDT) {
        board_early_setup(entry->info_pa);
        timeline_mark("board");
    } else if (entry->protocol == BI_PROTO_UEFI) {
        board_efi_setup(entry->info_pa);
    }

    /* An error the EFI entry met after ExitBootServices, printed on the console now. */
    if (entry->error != KEEL_OK) {
        fail(NULL, (int)entry->error);
    }

    /* The loader's data into the one boot_info, then the platform fix-ups; const after. */
    err = shim_stage(entry, &bi);
    if (err != KEEL_OK) {
        fail(NULL, err);
    }
    timeline_mark("shim");

    /* Serial on the device the shim found; the framebuffer console on its framebuffer. */
    console_init(bi);
    timeline_mark("console");

    /* What the loader gave: keel.dump-info's hex dump, then the readable summary. */
    shim_dump_info(bi);
    keel_summary(bi);

    /* Frames, Keel's own page tables, the heap, the module list, the boot info reclaimed. */
    err = mm_kernel_init(bi, &km, &stage);
    if (err != KEEL_OK) {
        fail(stage, err);
    }
    timeline_mark("init");

    /* Secondary CPUs, each on its own guarded stack; those that do not come are left out. */
    struct smp_result smp;
    err = mm_kernel_stage_done(smp_start(bi, &km, &smp));
    if (err != KEEL_OK) {
        fail("smp", err);
    }
    timeline_mark("smp");

    /*
     * The identity mappings go now that every CPU is up (or given up on), before
     * anything of the kernel's runs: unmapped with their empty tables, the table
     * audited again, and every CPU's TLB made to forget them.
     */
    err = mm_kernel_drop_identity(&km);
    if (err != KEEL_OK) {
        fail("drop", err);
    }
    smp_tlb_sync();
    timeline_mark("drop");

    /* The kernel built on Keel, on Keel's page tables and heap. */
    arch_exit(kernel_main(bi, &km));
}

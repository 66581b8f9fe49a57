/* SPDX-License-Identifier: MIT */
/* The example kernel: prints the boot report and leaves QEMU with exit code 0. */
#include <string.h>

#include <keel/arch.h>
#include <keel/cmdline.h>
#include <keel/init.h>
#include <keel/report.h>

int kernel_main(const struct boot_info *bi)
{
    char fault[16];

    /* keel.fault=trap runs an undefined instruction, to show the vectors are live. */
    if (cmdline_value(bi->cmdline, "keel.fault", fault, sizeof(fault)) &&
        strcmp(fault, "trap") == 0) {
        __builtin_trap();
    }
    keel_report(bi);
    return KEEL_EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/* The boot's one entry into common code, and the kernel's entry that Keel calls at the end. */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

#include <stdint.h>
#include <stdnoreturn.h>

#include <keel/boot_info.h>
#include <keel/kernel.h> /* kernel_main, which keel_main calls last */

/*
 * What the arch's entry hands over: the loader's registers as they came, untouched.
 * The shim stage decides what they mean; nothing here has been checked yet.
 */
struct keel_entry {
    uint32_t protocol;    /* enum bi_protocol: which shim reads the loader's data */
    uint32_t entry_state; /* copied into boot_info.entry_state */
    uint64_t info_pa;     /* multiboot2: the information structure; FDT: the DTB; UEFI: the
                             struct efi_handoff of Keel's EFI entry */
    uint32_t magic;       /* multiboot2: EAX at entry */
    /*
     * A keel_err the entry met once the firmware could no longer print it (after
     * ExitBootServices was called): keel_main reports it as its first stage's failure.
     */
    uint32_t error;
    const char *loader; /* FDT: the loader's name when the DTB does not say ("qemu") */
};

/*
 * The boot, as one table of contents (common/init.c, docs/boot-flow.md). The arch's C
 * entry calls it once its exception vectors, early console and cycle counter are up.
 * Every stage that fails comes back to one place in it, which prints the one
 * "keel: error:" line and exits: KEEL_EXIT_BAD_INPUT for bad input from the loader,
 * firmware or DTB, KEEL_EXIT_PANIC for an invariant Keel itself broke.
 */
noreturn void keel_main(const struct keel_entry *entry);

#endif

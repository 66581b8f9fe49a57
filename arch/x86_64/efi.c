/* SPDX-License-Identifier: MIT */
/* The x86_64 side of the EFI entry: from entry.S to the common EFI work and back out. */
#include <stdint.h>

#include <keel/arch.h>
#include <keel/efi.h>
#include <keel/efi_entry.h>
#include <keel/errors.h>
#include <keel/image.h>
#include <x86/cpu.h>
#include <x86/defs.h>

#define PTE_TABLE (X86_PTE_P | X86_PTE_W)

/*
 * Keel's boot identity map, the one entry32 builds on the multiboot2 path: [0, 4 GiB)
 * 1:1 in 2 MiB pages, except the first 2 MiB in 4 KiB pages with page 0 unmapped. It
 * replaces the copy of the firmware's map in PML4[0..510]: once boot services are
 * over, the frames of the firmware's page tables are free memory, which the frame
 * allocator may hand out while the boot tables are still live.
 */
static void boot_identity_map(void)
{
    for (unsigned i = 0; i < 4; i++) {
        x86_boot_pdpt_low[i] = kernel_pa(x86_boot_pd_low[i]) | PTE_TABLE;
        for (unsigned j = 0; j < 512; j++) {
            uint64_t pa = ((uint64_t)i * 512 + j) * X86_LARGE_PAGE_SIZE;
            x86_boot_pd_low[i][j] = pa | PTE_TABLE | X86_PTE_PS;
        }
    }
    x86_boot_pd_low[0][0] = kernel_pa(x86_boot_pt_first) | PTE_TABLE;
    x86_boot_pt_first[0] = 0;
    for (unsigned j = 1; j < 512; j++) {
        x86_boot_pt_first[j] = (uint64_t)j * X86_PAGE_SIZE | PTE_TABLE;
    }
    x86_boot_pml4[0] = kernel_pa(x86_boot_pdpt_low) | PTE_TABLE;
    for (unsigned i = 1; i < 511; i++) {
        x86_boot_pml4[i] = 0;
    }
    x86_write_cr3(kernel_pa(x86_boot_pml4));
}

static noreturn void after_exit_boot_services(void *handoff)
{
    boot_identity_map();
    x86_efi_boot(handoff);
}

uint64_t x86_efi_start(void *image, struct efi_system_table *st)
{
    struct efi_handoff *handoff;

    if (efi_boot(image, st, &handoff) != KEEL_OK) {
        /* Under QEMU the exit device ends the run here; elsewhere the firmware goes on. */
        x86_exit_device(KEEL_EXIT_BAD_INPUT);
        return EFI_LOAD_ERROR;
    }
    /* The firmware's interrupt handlers are gone with its boot services. */
    __asm__ volatile("cli");
    x86_boot_stack_call(after_exit_boot_services, handoff);
}

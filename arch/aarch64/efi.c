/* SPDX-License-Identifier: MIT */
/* The aarch64 side of the EFI entry: from efi_entry.S to the common EFI work and out. */
#include <stdbool.h>
#include <stdint.h>

#include <keel/efi.h>
#include <keel/efi_entry.h>
#include <keel/errors.h>
#include <keel/image.h>
#include <keel/init.h>
#include <keel/layout.h>

#include <a64/a64.h>

/* The error the EFI work met after ExitBootServices, for keel_main to report. */
static uint32_t efi_error;

/* An ELF64 relocation with addend (the ELF spec), as the linker lists them in .rela.dyn. */
struct a64_rela {
    uint64_t offset; /* the place, a link-time address */
    uint64_t info;   /* the type in the low 32 bits */
    int64_t addend;  /* the link-time address the place holds */
};

#define R_AARCH64_NONE 0
#define R_AARCH64_RELATIVE 1027

extern const struct a64_rela a64_rela_start[], a64_rela_end[]; /* kernel.ld.S */

/*
 * Writes every absolute address in the image that lies at `base` as the image running
 * at `run` sees it: run == base to run the copy at its physical address, run ==
 * KERNEL_VBASE for the link-time values. Called from efi_entry.S before the copy runs
 * (from the firmware's load of the image) and from a64_efi_start before the Image path;
 * PC-relative code only, reading no address it writes. Returns 0, or -1 for a
 * relocation of another type (the build makes none).
 */
int a64_image_relocate(uint64_t base, uint64_t run)
{
    for (const struct a64_rela *r = a64_rela_start; r < a64_rela_end; r++) {
        uint32_t type = (uint32_t)r->info;
        if (type == R_AARCH64_RELATIVE) {
            uint64_t *place = (uint64_t *)(uintptr_t)(base + (r->offset - KERNEL_VBASE));
            *place = run + ((uint64_t)r->addend - KERNEL_VBASE);
        } else if (type != R_AARCH64_NONE) {
            return -1;
        }
    }
    return 0;
}

/* Cleans [pa, pa + len) to the point of coherency through the firmware's identity map. */
static void clean(uint64_t pa, uint64_t len)
{
    if (pa != 0 && len != 0) {
        a64_dcache_clean_range(pa, len);
    }
}

/* The DTB's totalsize, read through the firmware's map (big-endian, at offset 4). */
static uint64_t dtb_size(uint64_t dtb_pa)
{
    const volatile uint8_t *p = (const volatile uint8_t *)(uintptr_t)dtb_pa;

    if (dtb_pa == 0 || dtb_pa % 8 != 0) {
        return 0;
    }
    return (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 | (uint64_t)p[6] << 8 | p[7];
}

/*
 * Everything the boot reads after the MMU goes off, cleaned to the point of coherency:
 * the image (its code runs with the caches off until entry.S turns them on, and its
 * .bss holds the handoff), the DTB (whose header entry.S reads with the MMU off), and
 * the buffers the handoff names (the memory map, the module files), which the
 * firmware and the EFI work wrote through the caches.
 */
static void clean_for_the_image_path(const struct efi_handoff *h)
{
    struct keel_image image;

    image_describe(&image);
    a64_dcache_clean_range(image.virt.start, image.virt.end - image.virt.start);
    clean(h->dtb, dtb_size(h->dtb));
    clean(h->memmap_pa, h->memmap_size);
    const struct efi_handoff_module *m = (const void *)(uintptr_t)h->modules_pa;
    for (uint32_t i = 0; m != NULL && i < h->module_count; i++) {
        clean(m[i].base, m[i].size);
    }
}

/*
 * Called by efi_entry.S in the copy at its physical address, on the firmware's stack
 * and map. Returns only when the boot goes back to the firmware: an error before
 * ExitBootServices, which efi_boot printed on the firmware's console. After it, the
 * image's absolute addresses go back to their link-time values for the Image path;
 * from there on nothing here reads one.
 */
uint64_t a64_efi_start(void *image, void *system_table)
{
    struct efi_handoff *handoff;
    bool gone;
    int err = efi_boot(image, system_table, &handoff, &gone);

    if (err != KEEL_OK && !gone) {
        return EFI_LOAD_ERROR;
    }
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    efi_error = (uint32_t)err;
    (void)a64_image_relocate(a64_phys_base, KERNEL_VBASE);
    clean_for_the_image_path(handoff);
    a64_efi_leave(handoff->dtb, kernel_pa(handoff), a64_entry_cycles_value);
}

/* From a64_start once the Image path has built Keel's boot tables around the copy. */
noreturn void a64_efi_main(uint64_t dtb_pa, uint32_t entry_el, uint64_t handoff_pa)
{
    (void)dtb_pa; /* the handoff names it too: the board layer and the shim read it there */
    keel_main(&(struct keel_entry){.protocol = BI_PROTO_UEFI,
                                   .entry_state = entry_el,
                                   .info_pa = handoff_pa,
                                   .error = efi_error});
}

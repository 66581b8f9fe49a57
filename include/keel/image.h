/* SPDX-License-Identifier: MIT */
/* Keel's own image: where the loader put it, and where its sections and boot stack lie. */
#ifndef KEEL_IMAGE_H
#define KEEL_IMAGE_H

#include <stdint.h>

/* A virtual range [start, end) inside the image. */
struct image_range {
    uint64_t start;
    uint64_t end;
};

/*
 * The image as linked and as loaded. Addresses are virtual (the image runs at
 * KERNEL_VBASE); the loader places the image in one piece, so the physical address of
 * any byte of it is phys_base plus its offset from virt.start. Each section starts on
 * a page and every end but bss's is page-aligned; the boot stack lies inside bss, above
 * a guard page of its own. The kernel fills this from its linker script's symbols
 * (image_describe); the host tests write one by hand.
 */
struct keel_image {
    uint64_t phys_base;      /* where the loader put the byte at virt.start */
    struct image_range virt; /* the whole image, boot page tables included */
    struct image_range text, rodata, data, bss;
    uint64_t boot_stack_guard;  /* the unmapped page below the boot stack */
    uint64_t boot_stack_bottom; /* the boot stack is [bottom, top) */
    uint64_t boot_stack_top;
};

/* The physical address of the byte at virtual address `va` inside `image`. */
static inline uint64_t image_pa(const struct keel_image *image, uint64_t va)
{
    return image->phys_base + (va - image->virt.start);
}

/* Fills *image for the running kernel (kernel only; early: arch_kernel_phys_base()). */
void image_describe(struct keel_image *image);

/* The physical address of a byte of the running kernel's image (code, data or bss). */
uint64_t kernel_pa(const void *va);

#endif

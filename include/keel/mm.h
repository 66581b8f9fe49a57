/* SPDX-License-Identifier: MIT */
/* The memory sequence's result, and the kernel's view of physical memory after it. */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/boot_info.h>
#include <keel/fmt.h>
#include <keel/frame_alloc.h>
#include <keel/heap.h>
#include <keel/page_table.h>

/* A virtual range and what backs it. */
struct mm_region {
    const char *name;
    vaddr_t va;
    paddr_t pa;
    uint64_t size;
    pt_flags_t flags;
};

/* A stack from the stack allocator: [bottom, top) mapped, the page below bottom not. */
struct stack {
    vaddr_t guard;
    vaddr_t bottom;
    vaddr_t top;
};

#define MM_PINNED_MAX 12u
#define MM_IDENTITY_MAX 4u

/*
 * The kernel's address space. `pinned` lists the mappings of code and stacks that may
 * be running: mm_unmap() refuses to touch them, on every path, error paths included.
 * This is how C gets what a Rust NoDrop type gives: nothing but mm_unmap() removes
 * kernel mappings, and it checks this list first.
 */
struct address_space {
    struct page_table pt;
    struct mm_region pinned[MM_PINNED_MAX];
    size_t pinned_count;
};

/* The module list, copied out of the boot info onto the heap. */
struct module_list {
    struct bi_module *items;
    size_t count;
};

/* What the memory sequence hands the kernel (step 11). Its mappings are pinned. */
struct kernel_memory {
    struct address_space *as; /* on the heap */
    struct mm_region text, rodata, data;
    struct stack boot_stack;
    struct stack cpu0_stack; /* the first stack of the stack allocator */
    struct module_list modules;
    struct mm_region identity[MM_IDENTITY_MAX]; /* what secondary CPUs need 1:1 */
    size_t identity_count;
};

/*
 * Runs the memory sequence of docs/memory.md on `bi`. On failure returns a keel_err
 * and points *phase at the step's name; nothing running is unmapped on that path.
 */
int mm_init(const struct boot_info *bi, struct kernel_memory *km, const char **phase);

/*
 * A pointer to physical [pa, pa + len): through the direct map once the kernel's
 * table is live, through the entry code's 1:1 window before. NULL when unreachable.
 */
const void *mm_phys_ptr(uint64_t pa, uint64_t len);

/* Removes a mapping from the kernel's table; KEEL_E_MM_PINNED for a pinned range. */
int mm_unmap(struct address_space *as, vaddr_t va, uint64_t size);

/* Allocates a stack of `pages` pages above an unmapped guard page. */
int mm_stack_alloc(size_t pages, struct stack *out);

/* Fault naming: is `va` in a stack's guard page, or in the reclaimed boot info? */
bool mm_is_guard_page(uint64_t va);
bool mm_range_has_guard(uint64_t va, uint64_t size); /* any byte of it in a guard page */
bool mm_is_reclaimed_boot_info(uint64_t va);

/* The kernel heap (valid after step 7). */
void *kmalloc(size_t size);
void kfree(void *ptr);

/* The framebuffer's mapping in the kernel's table, or NULL when there is none. */
struct fb_mapping;
const struct fb_mapping *mm_fb_mapping(void);

/* Writes the boot report's "mm" member (without a leading comma). */
void mm_report_json(const struct sink *s, const struct kernel_memory *km);

#endif

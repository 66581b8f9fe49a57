/* SPDX-License-Identifier: MIT */
/* The stack allocator: each stack sits in its own slot above a guard page that is never mapped. */
#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/mm.h>

#include "mm_internal.h"

/* A slot is a guard page and up to STACK_SLOT_PAGES - 1 pages of stack. */
#define STACK_SLOT_PAGES 16u
#define STACK_SLOT_SIZE (STACK_SLOT_PAGES * PAGE_SIZE)
#define STACK_SLOT_MAX 4096u

int mm_stack_alloc_in(struct mm_state *mm, size_t pages, struct stack *out)
{
    if (pages == 0 || pages >= STACK_SLOT_PAGES) {
        return KEEL_E_INVALID;
    }
    if (mm->stack_count >= STACK_SLOT_MAX) {
        return KEEL_E_MM_STACKS;
    }
    uint64_t guard = mm->layout.stacks_vbase + mm->stack_count * STACK_SLOT_SIZE;
    paddr_t pa;
    int err = frame_alloc_run(&mm->frames, pages, 1, FRAME_OWNER_STACKS, &pa);
    if (err != KEEL_OK) {
        return err;
    }
    err = arch_map_section(&mm->as->pt, va_init(guard + PAGE_SIZE), pa, pages * PAGE_SIZE,
                           PT_READ | PT_WRITE);
    if (err != KEEL_OK) {
        frame_free(&mm->frames, pa, pages, FRAME_OWNER_STACKS);
        return err;
    }
    mm->stack_count++;
    *out = (struct stack){.guard = va_init(guard),
                          .bottom = va_init(guard + PAGE_SIZE),
                          .top = va_init(guard + PAGE_SIZE + pages * PAGE_SIZE)};
    return KEEL_OK;
}

bool mm_range_has_guard(const struct mm_state *mm, uint64_t va, uint64_t size)
{
    uint64_t end = va + size;

    if (mm->boot_guard != 0 && va < mm->boot_guard + PAGE_SIZE && mm->boot_guard < end) {
        return true;
    }
    uint64_t region_end = mm->layout.stacks_vbase + STACK_SLOT_MAX * STACK_SLOT_SIZE;
    if (end <= mm->layout.stacks_vbase || va >= region_end) {
        return false;
    }
    /* The first slot start at or after the range's start is a guard page. */
    uint64_t from = va > mm->layout.stacks_vbase ? va - mm->layout.stacks_vbase : 0;
    if (from % STACK_SLOT_SIZE < PAGE_SIZE) {
        return true;
    }
    uint64_t next_guard = mm->layout.stacks_vbase + (from / STACK_SLOT_SIZE + 1) * STACK_SLOT_SIZE;
    return next_guard < end && next_guard < region_end;
}

bool mm_is_guard_page_in(const struct mm_state *mm, uint64_t va)
{
    if (mm->boot_guard != 0 && va - mm->boot_guard < PAGE_SIZE) {
        return true;
    }
    /* Every slot's first page is a guard, handed out or not: none is ever mapped. */
    return va >= mm->layout.stacks_vbase &&
           va - mm->layout.stacks_vbase < STACK_SLOT_MAX * STACK_SLOT_SIZE &&
           (va - mm->layout.stacks_vbase) % STACK_SLOT_SIZE < PAGE_SIZE;
}

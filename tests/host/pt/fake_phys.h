/* SPDX-License-Identifier: MIT */
/* A fake physical memory for the page-table tests: frames, failure injection, a TLB log. */
#ifndef PT_FAKE_PHYS_H
#define PT_FAKE_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/page_table.h>

/*
 * Frames live in one host buffer but have physical addresses far from its address
 * (base), and are handed out in a shuffled order, so the builder must go through
 * phys_to_virt. New frames are filled with garbage and freed ones poisoned (for ASan
 * as well, when it is on), so an uninitialised or freed table is noticed.
 */
struct fake_phys {
    uint8_t *mem;
    uint64_t base;
    size_t frame_count;
    uint8_t *in_use;
    size_t *free_stack;
    size_t free_top;
    size_t allocated;
    /* -1: never fail; n >= 0: the allocation after n more successful ones fails. */
    long fail_countdown;
    size_t failures;
    size_t invalidations;
};

void fake_phys_init(struct fake_phys *fp, uint64_t base, size_t frame_count, uint64_t seed);
void fake_phys_fini(struct fake_phys *fp);
struct pt_ops fake_phys_ops(struct fake_phys *fp, bool huge_1g, bool live);

#endif

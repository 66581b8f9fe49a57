/* SPDX-License-Identifier: MIT */
/* Fake physical memory: a frame pool for the page-table tests, sparse RAM for the sequence's. */
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

/*
 * RAM at its real physical addresses, for the test of the whole memory sequence: one
 * host mapping spans [base, base + size) but is only reserved (MAP_NORESERVE), so a
 * machine of 4 or 8 GiB costs the pages that are touched and no more. Only the ranges
 * given to fake_ram_add() can be touched; the rest of the span faults.
 */
struct fake_ram {
    uint8_t *mem;
    uint64_t base;
    uint64_t size;
};

void fake_ram_init(struct fake_ram *fr, uint64_t base, uint64_t size);
void fake_ram_add(struct fake_ram *fr, uint64_t base, uint64_t size);
void fake_ram_fini(struct fake_ram *fr);
/* A host pointer to physical [pa, pa + len), or NULL outside the span (or when it wraps). */
void *fake_ram_ptr(const struct fake_ram *fr, uint64_t pa, uint64_t len);

#endif

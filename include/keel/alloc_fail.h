/* SPDX-License-Identifier: MIT */
/* Failure injection for allocators: make exactly the N-th allocation fail (keel.fail_alloc=N). */
#ifndef KEEL_ALLOC_FAIL_H
#define KEEL_ALLOC_FAIL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One counter that several allocators can share: the kernel hands the same object to
 * the frame allocator and the heap, so that "the N-th frame or page allocation of the
 * init sequence" is counted across both. An allocator with no counter attached
 * (NULL) never fails on purpose. Only the N-th allocation fails; the ones after it
 * succeed again, so that the error path of one call site is exercised at a time.
 */
struct alloc_fail {
    uint64_t fail_at; /* 1-based number of the allocation that fails; 0 = never */
    uint64_t count;   /* allocations counted so far */
    uint64_t failed;  /* allocations failed on purpose so far */
};

/* Arms (or, with n == 0, disarms) the counter and restarts counting. */
static inline void alloc_fail_arm(struct alloc_fail *f, uint64_t n)
{
    f->fail_at = n;
    f->count = 0;
    f->failed = 0;
}

/* Counts one allocation; true when this one must fail. Allocators call it before any work. */
static inline bool alloc_fail_hit(struct alloc_fail *f)
{
    if (f == NULL) {
        return false;
    }
    f->count++;
    if (f->fail_at != 0 && f->count == f->fail_at) {
        f->failed++;
        return true;
    }
    return false;
}

#endif

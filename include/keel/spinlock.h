/* SPDX-License-Identifier: MIT */
/* A simple spinlock over the compiler's atomics, for the state several CPUs share. */
#ifndef KEEL_SPINLOCK_H
#define KEEL_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Zero is unlocked: a static or memset lock starts free. */
struct spinlock {
    uint32_t held;
};

static inline bool spin_try_lock(struct spinlock *l)
{
    return __atomic_exchange_n(&l->held, 1u, __ATOMIC_ACQUIRE) == 0;
}

/* Test-and-test-and-set: waits on plain loads, so the line is only written to take it. */
static inline void spin_lock(struct spinlock *l)
{
    while (!spin_try_lock(l)) {
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED) != 0) {
        }
    }
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->held, 0u, __ATOMIC_RELEASE);
}

#endif

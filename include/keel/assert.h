/* SPDX-License-Identifier: MIT */
/* ASSERT and panic: for broken contracts inside Keel, never for input from a loader or firmware. */
#ifndef KEEL_ASSERT_H
#define KEEL_ASSERT_H

#include <stdnoreturn.h>

/* A broken invariant inside Keel: prints "keel: panic: ..." and exits with KEEL_EXIT_PANIC. */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);                      \
        }                                                                                          \
    } while (0)

#endif

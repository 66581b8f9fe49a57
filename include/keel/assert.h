/* SPDX-License-Identifier: MIT */
/* ASSERT: for broken contracts inside Keel, never for input from a loader or firmware. */
#ifndef KEEL_ASSERT_H
#define KEEL_ASSERT_H

#include <keel/init.h>

#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);                      \
        }                                                                                          \
    } while (0)

#endif

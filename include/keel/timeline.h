/* SPDX-License-Identifier: MIT */
/* Reading back the boot timeline that timeline_mark() records. */
#ifndef KEEL_TIMELINE_H
#define KEEL_TIMELINE_H

#include <stdint.h>

/* The longest stage name a mark keeps, with its NUL. */
#define TIMELINE_NAME_MAX 16

/*
 * Records the cycle counter under `stage` for the boot report's timeline. The name is
 * copied (cut at TIMELINE_NAME_MAX - 1 characters): marks are made before the image
 * runs at its link address as well (aarch64's EFI entry runs it at its physical
 * address), where a pointer to the caller's string would not outlive the move.
 */
void timeline_mark(const char *stage);

struct timeline_entry {
    char stage[TIMELINE_NAME_MAX];
    uint64_t ticks; /* arch_cycles() when the stage ended */
};

/* The cycle-counter ticks of `ms` milliseconds, for bounded waits; 2^32 when the rate is unknown.
 */
uint64_t cycles_of_ms(uint32_t ms);

/* Points *out at the entries in the order they were marked; returns their count. */
unsigned timeline_get(const struct timeline_entry **out);

#endif

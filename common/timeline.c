/* SPDX-License-Identifier: MIT */
/* The boot timeline: cycle-counter stamps per stage, printed in the boot report. */
#include <stddef.h>

#include <keel/arch.h>
#include <keel/timeline.h>

#define TIMELINE_MAX 32

static struct timeline_entry entries[TIMELINE_MAX];
static unsigned entry_count;

void timeline_mark(const char *stage)
{
    /* Marks past the table's end are dropped: the timeline is a report, not a log. */
    if (entry_count < TIMELINE_MAX) {
        struct timeline_entry *e = &entries[entry_count];
        size_t n = 0;
        while (n < sizeof(e->stage) - 1 && stage[n] != '\0') {
            e->stage[n] = stage[n];
            n++;
        }
        e->stage[n] = '\0';
        entries[entry_count].ticks = arch_cycles();
        entry_count++;
    }
}

unsigned timeline_get(const struct timeline_entry **out)
{
    *out = entries;
    return entry_count;
}

uint64_t cycles_of_ms(uint32_t ms)
{
    uint64_t hz = arch_cycles_per_second();

    return hz != 0 ? hz / 1000 * ms : UINT64_C(1) << 32;
}

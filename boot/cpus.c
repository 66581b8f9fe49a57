/* SPDX-License-Identifier: MIT */
/* The boot_info's CPU records: adding one, the overflow count, and the boot CPU. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>

#include "cpus.h"

struct bi_cpu *cpus_add(struct boot_info *bi, uint64_t id, uint32_t method, uint32_t flags)
{
    for (uint32_t i = 0; i < bi->cpu_count; i++) {
        if (bi->cpus[i].id == id) {
            return NULL;
        }
    }
    bi->cpu_total++;
    if (bi->cpu_count == BI_CPU_MAX) {
        return NULL; /* counted: the summary's warning says how many are left out */
    }
    struct bi_cpu *c = &bi->cpus[bi->cpu_count++];
    memset(c, 0, sizeof(*c));
    c->id = id;
    c->method = method;
    c->flags = flags;
    if (bi->cpu_method == BI_CPU_METHOD_NONE) {
        bi->cpu_method = method;
    }
    return c;
}

void cpus_finish(struct boot_info *bi, uint64_t boot_cpu_id)
{
    for (uint32_t i = 0; i < bi->cpu_count; i++) {
        if (bi->cpus[i].id == boot_cpu_id) {
            bi->boot_cpu = i;
            bi->cpus[i].flags |= BI_CPU_BOOT | BI_CPU_ENABLED;
            bi->cpus[i].error = KEEL_OK;
            return;
        }
    }
    /* A loader that lists no CPUs (no MADT, an empty /cpus) still booted this one. */
    if (bi->cpu_count != 0) {
        bi->cpu_error = KEEL_E_CPU_BOOT_UNLISTED;
    }
    if (bi->cpu_count == BI_CPU_MAX) {
        bi->cpu_count--; /* the boot CPU takes the last slot; that CPU stays counted in total */
    } else {
        bi->cpu_total++;
    }
    struct bi_cpu *c = &bi->cpus[bi->cpu_count];
    memset(c, 0, sizeof(*c));
    c->id = boot_cpu_id;
    c->flags = BI_CPU_BOOT | BI_CPU_ENABLED;
    bi->boot_cpu = bi->cpu_count++;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer target: memmap_normalise on arbitrary ranges, checking its output promises. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/memmap.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bi_mem_range in[128];
    static struct bi_mem_range out[BI_MEM_MAX];
    size_t n = size / sizeof(in[0]);
    if (n > 128) {
        n = 128;
    }
    memcpy(in, data, n * sizeof(in[0]));
    /* Keep most types valid so that the sweep itself gets exercised. */
    for (size_t i = 0; i < n; i++) {
        if (in[i].type > BI_MEM_TYPE_MAX + 1) {
            in[i].type = 1 + in[i].type % BI_MEM_TYPE_MAX;
        }
    }
    size_t count;
    /* The overlap rule names bad entries first, as the normaliser does, and never reads
     * past them: the two must agree on what is a bad entry. */
    int rule = memmap_check_overlaps(in, n);
    int norm = memmap_normalise(in, n, out, BI_MEM_MAX, &count);
    if ((rule == KEEL_E_MEM_ZERO_SIZE || rule == KEEL_E_MEM_WRAP || rule == KEEL_E_MEM_TYPE) !=
        (norm == KEEL_E_MEM_ZERO_SIZE || norm == KEEL_E_MEM_WRAP || norm == KEEL_E_MEM_TYPE)) {
        __builtin_trap();
    }
    if (norm != 0) {
        return 0;
    }
    int usable = 0;
    for (size_t i = 0; i < count; i++) {
        if (out[i].size == 0 || out[i].base % MEMMAP_PAGE_SIZE != 0 ||
            out[i].size % MEMMAP_PAGE_SIZE != 0 ||
            (out[i].type == BI_MEM_USABLE && out[i].base == 0)) {
            __builtin_trap();
        }
        if (i > 0) {
            uint64_t prev_last = out[i - 1].base + (out[i - 1].size - 1);
            if (prev_last >= out[i].base ||
                (prev_last + 1 == out[i].base && out[i - 1].type == out[i].type &&
                 out[i - 1].source == out[i].source)) {
                __builtin_trap();
            }
        }
        usable |= out[i].type == BI_MEM_USABLE;
    }
    if (!usable) {
        __builtin_trap();
    }
    /* 128 ranges make fewer than 256 pieces, far below BI_MEM_MAX: the same map must not fit
     * in one slot fewer than it needs. */
    static struct bi_mem_range fewer[BI_MEM_MAX];
    size_t fewer_count;
    if (memmap_normalise(in, n, fewer, count - 1, &fewer_count) != KEEL_E_MEM_TOO_MANY) {
        __builtin_trap();
    }
    return 0;
}

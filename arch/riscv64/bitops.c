/* SPDX-License-Identifier: MIT */
/* The compiler's bit-count helpers: gcc calls them for __builtin_clzll/ctzll without Zbb. */
#include <stdint.h>

/*
 * Keel links no libgcc. The base RV64 ISA has no count-leading/trailing-zeros
 * instruction (Zbb adds them, and not every hart has Zbb), so gcc turns the builtins
 * into calls to these. Both are undefined for 0, as the builtins are; a binary search
 * of six steps.
 */
int __clzdi2(uint64_t x);
int __ctzdi2(uint64_t x);

int __clzdi2(uint64_t x)
{
    int n = 0;

    for (int shift = 32; shift > 0; shift >>= 1) {
        if ((x >> (64 - shift)) == 0) {
            n += shift;
            x <<= shift;
        }
    }
    return n;
}

int __ctzdi2(uint64_t x)
{
    int n = 0;

    for (int shift = 32; shift > 0; shift >>= 1) {
        if ((x & ((UINT64_C(1) << shift) - 1)) == 0) {
            n += shift;
            x >>= shift;
        }
    }
    return n;
}

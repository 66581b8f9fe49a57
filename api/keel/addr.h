/* SPDX-License-Identifier: MIT */
/* Physical and virtual addresses as distinct types, so that they cannot be mixed silently. */
#ifndef KEEL_ADDR_H
#define KEEL_ADDR_H

#include <stdint.h>

typedef struct {
    uint64_t pa;
} paddr_t;

typedef struct {
    uint64_t va;
} vaddr_t;

/* Written without compound literals, so that the header is C++ as well as C. */
static inline paddr_t pa_init(uint64_t pa)
{
    paddr_t a;

    a.pa = pa;
    return a;
}

static inline vaddr_t va_init(uint64_t va)
{
    vaddr_t a;

    a.va = va;
    return a;
}

static inline paddr_t pa_add(paddr_t a, uint64_t n)
{
    return pa_init(a.pa + n);
}

static inline vaddr_t va_add(vaddr_t a, uint64_t n)
{
    return va_init(a.va + n);
}

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12u

#endif

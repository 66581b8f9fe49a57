/* SPDX-License-Identifier: MIT */
/* Fake physical memory: a frame pool for the page-table tests, sparse RAM for the sequence's. */
#include "fake_phys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <keel/errors.h>

#if defined(__SANITIZE_ADDRESS__)
#define FAKE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAKE_ASAN 1
#endif
#endif

#ifdef FAKE_ASAN
#include <sanitizer/asan_interface.h>
#define FAKE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define FAKE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define FAKE_POISON(p, n) ((void)(p), (void)(n))
#define FAKE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static void fake_die(const char *what, uint64_t pa)
{
    fprintf(stderr, "fake_phys: %s (pa 0x%llx)\n", what, (unsigned long long)pa);
    abort();
}

static uint64_t fake_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void fake_phys_init(struct fake_phys *fp, uint64_t base, size_t frame_count, uint64_t seed)
{
    memset(fp, 0, sizeof(*fp));
    fp->base = base;
    fp->frame_count = frame_count;
    fp->mem = aligned_alloc(PAGE_SIZE, frame_count * PAGE_SIZE);
    fp->in_use = calloc(frame_count, 1);
    fp->free_stack = calloc(frame_count, sizeof(size_t));
    if (fp->mem == NULL || fp->in_use == NULL || fp->free_stack == NULL) {
        fake_die("out of host memory", 0);
    }
    for (size_t i = 0; i < frame_count; i++) {
        fp->free_stack[i] = i;
    }
    for (size_t i = frame_count; i > 1; i--) {
        size_t j = (size_t)(fake_next(&seed) % i);
        size_t t = fp->free_stack[i - 1];
        fp->free_stack[i - 1] = fp->free_stack[j];
        fp->free_stack[j] = t;
    }
    fp->free_top = frame_count;
    fp->fail_countdown = -1;
    FAKE_POISON(fp->mem, frame_count * PAGE_SIZE);
}

void fake_phys_fini(struct fake_phys *fp)
{
    FAKE_UNPOISON(fp->mem, fp->frame_count * PAGE_SIZE);
    free(fp->mem);
    free(fp->in_use);
    free(fp->free_stack);
}

static size_t fake_frame(struct fake_phys *fp, paddr_t pa)
{
    if (pa.pa < fp->base || (pa.pa - fp->base) % PAGE_SIZE != 0 ||
        (pa.pa - fp->base) / PAGE_SIZE >= fp->frame_count) {
        fake_die("not a frame of the fake memory", pa.pa);
    }
    return (size_t)((pa.pa - fp->base) / PAGE_SIZE);
}

static int fake_alloc(void *ctx, paddr_t *out)
{
    struct fake_phys *fp = ctx;

    if (fp->fail_countdown == 0) {
        fp->fail_countdown = -1;
        fp->failures++;
        return KEEL_E_NO_MEMORY;
    }
    if (fp->fail_countdown > 0) {
        fp->fail_countdown--;
    }
    if (fp->free_top == 0) {
        return KEEL_E_NO_MEMORY;
    }
    size_t f = fp->free_stack[--fp->free_top];
    uint8_t *p = fp->mem + f * PAGE_SIZE;
    FAKE_UNPOISON(p, PAGE_SIZE);
    memset(p, 0xa5, PAGE_SIZE);
    fp->in_use[f] = 1;
    fp->allocated++;
    *out = pa_init(fp->base + (uint64_t)f * PAGE_SIZE);
    return 0;
}

static void fake_free(void *ctx, paddr_t pa)
{
    struct fake_phys *fp = ctx;
    size_t f = fake_frame(fp, pa);

    if (!fp->in_use[f]) {
        fake_die("double free", pa.pa);
    }
    uint8_t *p = fp->mem + f * PAGE_SIZE;
    memset(p, 0x5a, PAGE_SIZE);
    FAKE_POISON(p, PAGE_SIZE);
    fp->in_use[f] = 0;
    fp->allocated--;
    fp->free_stack[fp->free_top++] = f;
}

static void *fake_p2v(void *ctx, paddr_t pa)
{
    struct fake_phys *fp = ctx;
    size_t f = fake_frame(fp, pa);

    if (!fp->in_use[f]) {
        fake_die("access to a free frame", pa.pa);
    }
    return fp->mem + f * PAGE_SIZE;
}

static void fake_invalidate(void *ctx, vaddr_t va, uint64_t size)
{
    struct fake_phys *fp = ctx;

    if (size == 0 || size % PAGE_SIZE != 0 || va.va % PAGE_SIZE != 0) {
        fake_die("bad invalidation range", va.va);
    }
    fp->invalidations++;
}

struct pt_ops fake_phys_ops(struct fake_phys *fp, bool huge_1g, bool live)
{
    return (struct pt_ops){
        .alloc_frame = fake_alloc,
        .free_frame = fake_free,
        .phys_to_virt = fake_p2v,
        .tlb_invalidate = live ? fake_invalidate : NULL,
        .ctx = fp,
        .huge_1g = huge_1g,
        .va_bits = PT_VA_BITS_MAX,
    };
}

void fake_ram_init(struct fake_ram *fr, uint64_t base, uint64_t size)
{
    void *mem =
        mmap(NULL, (size_t)size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (mem == MAP_FAILED) {
        fake_die("cannot reserve the RAM span", size);
    }
    *fr = (struct fake_ram){.mem = mem, .base = base, .size = size};
}

void fake_ram_add(struct fake_ram *fr, uint64_t base, uint64_t size)
{
    uint8_t *p = fake_ram_ptr(fr, base, size);

    if (p == NULL || (base - fr->base) % PAGE_SIZE != 0 || size % PAGE_SIZE != 0 ||
        mprotect(p, (size_t)size, PROT_READ | PROT_WRITE) != 0) {
        fake_die("RAM range outside the span or not whole pages", base);
    }
}

void fake_ram_fini(struct fake_ram *fr)
{
    munmap(fr->mem, (size_t)fr->size);
    fr->mem = NULL;
}

void *fake_ram_ptr(const struct fake_ram *fr, uint64_t pa, uint64_t len)
{
    if (pa < fr->base || pa - fr->base > fr->size || len > fr->size - (pa - fr->base)) {
        return NULL;
    }
    return fr->mem + (pa - fr->base);
}

/* SPDX-License-Identifier: MIT */
/* Tiny assertion and file helpers shared by the host tests. */
#ifndef KEEL_TEST_UTIL_H
#define KEEL_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/errors.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        test_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_ERR(got, want)                                                                       \
    do {                                                                                           \
        int got_ = (got);                                                                          \
        int want_ = (want);                                                                        \
        test_checks++;                                                                             \
        if (got_ != want_) {                                                                       \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: %s: got %d (%s), want %d (%s)\n", __FILE__, __LINE__, #got,    \
                    got_, keel_strerror(got_), want_, keel_strerror(want_));                       \
        }                                                                                          \
    } while (0)

/* Prints the summary line meson shows and returns the process status. */
static inline int test_finish(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, test_checks, test_failures);
    return test_failures == 0 ? 0 : 1;
}

/* Reads a whole file into malloc'd memory (8-byte aligned); exits on failure. */
static inline uint8_t *test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
        perror(path);
        exit(2);
    }
    fclose(f);
    *size = (size_t)len;
    return buf;
}

/* A loader's blob at its physical address, for a shim_env's phys_ptr (ctx: the blob). */
struct test_blob {
    const uint8_t *data;
    size_t len;
    uint64_t pa;
};

static inline const void *test_blob_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct test_blob *b = ctx;

    if (pa < b->pa || pa - b->pa > b->len || len > b->len - (pa - b->pa)) {
        return NULL;
    }
    return b->data + (pa - b->pa);
}

/* The RAM size a QEMU DTB's file name states ("virt-128M-...", "virt-3G-..."), or 0. */
static inline uint64_t test_qemu_dtb_ram(const char *path)
{
    const char *p = strstr(path, "virt-");
    char *unit;
    unsigned long long n = p != NULL ? strtoull(p + strlen("virt-"), &unit, 10) : 0;

    if (n == 0) {
        return 0;
    }
    return *unit == 'G' ? (uint64_t)n << 30 : *unit == 'M' ? (uint64_t)n << 20 : 0;
}

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static inline uint64_t test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545f4914f6cdd1d);
}

#endif

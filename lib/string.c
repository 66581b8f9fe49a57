/* SPDX-License-Identifier: MIT */
/* Freestanding string functions for the kernel; the compiler may also emit calls to them. */
#include <stdint.h>
#include <string.h>

/*
 * Word-at-a-time where the alignment allows, since these run over boot structures of
 * hundreds of KiB (the boot_info alone is over 350 KiB) and, under an emulator, every
 * store is an instruction of its own. The word type may alias anything; the copies load
 * through it only when source and destination share their alignment, so no access is
 * ever unaligned (device-memory copies and strict-alignment CPUs stay safe).
 */
typedef uint64_t __attribute__((may_alias)) word_t;

#define WORD_SIZE sizeof(word_t)
#define WORD_MASK (WORD_SIZE - 1)

/*
 * Front to back, words where source and destination share their alignment. Safe for
 * memmove when dst is below src: no store reaches a word before it has been loaded
 * (there is no restrict here, so the compiler keeps the order as written).
 */
static void copy_up(unsigned char *d, const unsigned char *s, size_t n)
{
    if ((((uintptr_t)d ^ (uintptr_t)s) & WORD_MASK) == 0) {
        for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--) {
            *d++ = *s++;
        }
        word_t *dw = (word_t *)(void *)d;
        const word_t *sw = (const word_t *)(const void *)s;
        for (; n >= 4 * WORD_SIZE; n -= 4 * WORD_SIZE, dw += 4, sw += 4) {
            dw[0] = sw[0];
            dw[1] = sw[1];
            dw[2] = sw[2];
            dw[3] = sw[3];
        }
        for (; n >= WORD_SIZE; n -= WORD_SIZE) {
            *dw++ = *sw++;
        }
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--) {
        *d++ = *s++;
    }
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_up(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0) {
        return dst;
    }
    if ((uintptr_t)d < (uintptr_t)s) {
        copy_up(d, s, n);
        return dst;
    }
    /* Back to front: dst is above src. */
    d += n;
    s += n;
    if ((((uintptr_t)d ^ (uintptr_t)s) & WORD_MASK) == 0) {
        for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--) {
            *--d = *--s;
        }
        word_t *dw = (word_t *)(void *)d;
        const word_t *sw = (const word_t *)(const void *)s;
        for (; n >= WORD_SIZE; n -= WORD_SIZE) {
            *--dw = *--sw;
        }
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
    while (n--) {
        *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;
    word_t w = b * (UINT64_MAX / 0xff); /* the byte in every lane */

    for (; n > 0 && ((uintptr_t)d & WORD_MASK) != 0; n--) {
        *d++ = b;
    }
    word_t *dw = (word_t *)(void *)d;
    for (; n >= 4 * WORD_SIZE; n -= 4 * WORD_SIZE, dw += 4) {
        dw[0] = w;
        dw[1] = w;
        dw[2] = w;
        dw[3] = w;
    }
    for (; n >= WORD_SIZE; n -= WORD_SIZE) {
        *dw++ = w;
    }
    d = (unsigned char *)dw;
    while (n--) {
        *d++ = b;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;

    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i];
        unsigned char y = (unsigned char)b[i];

        if (x != y) {
            return x < y ? -1 : 1;
        }
        if (x == '\0') {
            return 0;
        }
    }
    return 0;
}

int strcmp(const char *a, const char *b)
{
    return strncmp(a, b, SIZE_MAX);
}

char *strstr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);

    for (; *haystack != '\0'; haystack++) {
        if (strncmp(haystack, needle, n) == 0) {
            return (char *)haystack;
        }
    }
    return n == 0 ? (char *)haystack : NULL;
}

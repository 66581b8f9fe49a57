/* SPDX-License-Identifier: MIT */
/* The kernel's own string functions (lib/string.c), built natively under new names. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test_util.h"

/* The kernel's functions under names of their own, beside the host libc's. */
#define memcpy keel_memcpy
#define memmove keel_memmove
#define memset keel_memset
#define memcmp keel_memcmp
#define strlen keel_strlen
#define strnlen keel_strnlen
#define strcmp keel_strcmp
#define strncmp keel_strncmp
#define strstr keel_strstr
#include "../../lib/string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strstr

#define BUF 192u
#define MAX_LEN 100u
#define MAX_OFF 16u

static unsigned char got[BUF], want[BUF];

static void pattern(unsigned char *b, unsigned seed)
{
    for (unsigned i = 0; i < BUF; i++) {
        b[i] = (unsigned char)(i * 7u + seed * 13u + 1u);
    }
}

/* Every length up to MAX_LEN at every pair of alignments: the word loops' edges. */
static void test_copies(void)
{
    static unsigned char src[BUF];

    pattern(src, 3);
    for (unsigned len = 0; len <= MAX_LEN; len++) {
        for (unsigned doff = 0; doff < MAX_OFF; doff++) {
            for (unsigned soff = 0; soff < MAX_OFF; soff++) {
                pattern(got, 1);
                pattern(want, 1);
                CHECK(keel_memcpy(got + doff, src + soff, len) == got + doff);
                for (unsigned i = 0; i < len; i++) {
                    want[doff + i] = src[soff + i];
                }
                CHECK(memcmp(got, want, BUF) == 0);
            }
        }
    }
}

/* memmove over one buffer, both directions and every overlap. */
static void test_moves(void)
{
    static unsigned char ref[BUF];

    for (unsigned len = 0; len <= MAX_LEN; len++) {
        for (unsigned doff = 0; doff < MAX_OFF + 20; doff++) {
            for (unsigned soff = 0; soff < MAX_OFF + 20; soff++) {
                pattern(got, 2);
                pattern(ref, 2);
                CHECK(keel_memmove(got + doff, got + soff, len) == got + doff);
                memcpy(want, ref, BUF);
                for (unsigned i = 0; i < len; i++) {
                    want[doff + i] = ref[soff + i];
                }
                CHECK(memcmp(got, want, BUF) == 0);
            }
        }
    }
}

static void test_fills(void)
{
    static const int values[] = {0, 0xa5, 0x1ff, -1};

    for (unsigned v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
        for (unsigned len = 0; len <= MAX_LEN; len++) {
            for (unsigned off = 0; off < MAX_OFF; off++) {
                pattern(got, 4);
                pattern(want, 4);
                CHECK(keel_memset(got + off, values[v], len) == got + off);
                for (unsigned i = 0; i < len; i++) {
                    want[off + i] = (unsigned char)values[v];
                }
                CHECK(memcmp(got, want, BUF) == 0);
            }
        }
    }
}

static void test_strings(void)
{
    unsigned char a[4] = {1, 2, 3, 0x80}, b[4] = {1, 2, 3, 0x7f};

    CHECK(keel_memcmp(a, b, 3) == 0);
    CHECK(keel_memcmp(a, b, 4) > 0);
    CHECK(keel_memcmp(b, a, 4) < 0);
    CHECK(keel_strlen("") == 0 && keel_strlen("keel") == 4);
    CHECK(keel_strnlen("keel", 2) == 2 && keel_strnlen("keel", 9) == 4);
    CHECK(keel_strcmp("abc", "abc") == 0 && keel_strcmp("abc", "abd") < 0);
    CHECK(keel_strcmp("ab", "abc") < 0 && keel_strcmp("\x80", "a") > 0);
    CHECK(keel_strncmp("abcx", "abcy", 3) == 0 && keel_strncmp("abcx", "abcy", 4) < 0);
    const char *h = "linux,dummy-virt";
    CHECK(keel_strstr(h, "dummy") == h + 6);
    CHECK(keel_strstr(h, "") == h);
    CHECK(keel_strstr(h, "virt,") == NULL);
}

int main(void)
{
    test_copies();
    test_moves();
    test_fills();
    test_strings();
    return test_finish("string");
}

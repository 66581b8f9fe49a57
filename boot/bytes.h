/* SPDX-License-Identifier: MIT */
/* Bounded byte-level reads shared by the boot parsers: unaligned loads and strings. */
#ifndef KEEL_BOOT_BYTES_H
#define KEEL_BOOT_BYTES_H

#include <stdint.h>

/*
 * Loader data is read byte by byte: nothing guarantees its alignment, and the same
 * code has to be correct on both arches and under UBSan on the host.
 */
static inline uint16_t load_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)load_le32(p) | ((uint64_t)load_le32(p + 4) << 32);
}

static inline uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline uint64_t load_be64(const uint8_t *p)
{
    return ((uint64_t)load_be32(p) << 32) | (uint64_t)load_be32(p + 4);
}

/* True when [off, off + len) lies inside [0, size), without overflow. */
static inline int range_inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Length of the NUL-terminated string at p, or -1 when no NUL lies in [p, p + max). */
static inline int64_t bounded_strlen(const uint8_t *p, uint32_t max)
{
    uint32_t i = 0;

    /*
     * Eight bytes per step while eight remain, with one test for "some byte is zero"
     * (each byte minus one borrows into its top bit only from zero): the DTB walks skip
     * every node name this way, and under an emulator each loop branch costs as much as
     * the loads. load_le64 reads bytes, so nothing about alignment changes.
     */
    for (; max - i >= 8; i += 8) {
        uint64_t w = load_le64(p + i);
        if (((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080)) != 0) {
            break;
        }
    }
    for (; i < max; i++) {
        if (p[i] == '\0') {
            return i;
        }
    }
    return -1;
}

#endif

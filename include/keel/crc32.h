/* SPDX-License-Identifier: MIT */
/* IEEE 802.3 CRC-32 (the zlib and cksum -o3 polynomial, reflected). */
#ifndef KEEL_CRC32_H
#define KEEL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0. */
uint32_t crc32_ieee(uint32_t crc, const void *buf, size_t len);

#endif

/* SPDX-License-Identifier: MIT */
/* Device register accesses: one volatile load or store of the register's own width. */
#ifndef KEEL_MMIO_H
#define KEEL_MMIO_H

#include <stdint.h>

/*
 * Device memory takes only naturally aligned accesses of the width the device decodes;
 * the volatile access keeps the compiler from merging, splitting or dropping them.
 */
static inline uint8_t mmio_read8(const volatile uint8_t *p)
{
    return *p;
}

static inline uint16_t mmio_read16(const volatile uint8_t *p)
{
    return *(const volatile uint16_t *)(const volatile void *)p;
}

static inline uint32_t mmio_read32(const volatile uint8_t *p)
{
    return *(const volatile uint32_t *)(const volatile void *)p;
}

static inline void mmio_write8(volatile uint8_t *p, uint8_t v)
{
    *p = v;
}

static inline void mmio_write16(volatile uint8_t *p, uint16_t v)
{
    *(volatile uint16_t *)(volatile void *)p = v;
}

static inline void mmio_write32(volatile uint8_t *p, uint32_t v)
{
    *(volatile uint32_t *)(volatile void *)p = v;
}

#endif

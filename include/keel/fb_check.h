/* SPDX-License-Identifier: MIT */
/* Validation of a loader's framebuffer record before anything maps or draws on it. */
#ifndef KEEL_FB_CHECK_H
#define KEEL_FB_CHECK_H

#include <stdint.h>

#include <keel/boot_info.h>

/* Framebuffers must end at or below this address (48-bit physical addresses). */
#define FB_PHYS_LIMIT (UINT64_C(1) << 48)

/*
 * The format alone: KEEL_E_FB_SIZE for a zero width or height; KEEL_E_FB_FORMAT unless
 * bpp is 24 or 32 and the red, green and blue fields are each 1..16 bits, inside bpp
 * and disjoint; KEEL_E_FB_OVERFLOW when pitch < width * bytes per pixel or when
 * pitch * height (or base plus it) does not fit in 64 bits. KEEL_OK otherwise.
 */
int fb_format_check(const struct bi_framebuffer *fb);

/*
 * fb_format_check, then where the framebuffer lies in bi's memory map. Accepted when
 * [base, base + pitch * height) is covered, without gaps, by ranges of type framebuffer
 * or reserved, or overlaps no range at all (an MMIO hole), and ends at or below
 * FB_PHYS_LIMIT. KEEL_E_FB_PLACEMENT when it overlaps any other range type (usable
 * RAM, kernel, module, boot_info, ACPI, bad), the kernel, info, DTB, initrd or a
 * module named in bi, straddles a hole and a range, starts at 0 or ends above the
 * limit. Run it on the loader's map before the shim adds its own framebuffer range:
 * that range wins over usable RAM in the normaliser and would hide an overlap.
 */
int fb_check(const struct boot_info *bi, const struct bi_framebuffer *fb);

#endif

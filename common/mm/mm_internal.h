/* SPDX-License-Identifier: MIT */
/* What the files of the memory sequence (common/mm) share, and nothing else. */
#ifndef KEEL_MM_INTERNAL_H
#define KEEL_MM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <keel/mm.h>

/* Step 4: walks the new table; KEEL_OK or a KEEL_E_MM_AUDIT_* code. */
int mm_audit(const struct mm_state *mm, const struct kernel_memory *km);

/* Does any byte of [va, va + size) lie in a stack's guard page? */
bool mm_range_has_guard(const struct mm_state *mm, uint64_t va, uint64_t size);

#endif

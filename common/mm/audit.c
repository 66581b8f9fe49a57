/* SPDX-License-Identifier: MIT */
/* Step 4 of the memory sequence: the new table is checked by walking it, before it goes live. */
#include <keel/errors.h>
#include <keel/layout.h>
#include <keel/mm.h>

#include "mm_internal.h"

struct audit {
    const struct mm_state *mm;
    const struct kernel_memory *km;
    int err;
};

/* Lower-half addresses are identity mappings; upper-half ones are the kernel's. */
static uint64_t lower_half_end(const struct mm_state *mm)
{
    return UINT64_C(1) << (mm->layout.va_bits - 1);
}

static bool listed_identity(const struct kernel_memory *km, const struct pt_mapping *m)
{
    for (size_t i = 0; i < km->identity_count; i++) {
        const struct mm_region *r = &km->identity[i];
        if (m->va.va >= r->va.va && m->size <= r->size &&
            m->va.va - r->va.va <= r->size - m->size &&
            m->pa.pa == r->pa.pa + (m->va.va - r->va.va)) {
            return true;
        }
    }
    return false;
}

static int audit_leaf(void *arg, const struct pt_mapping *m)
{
    struct audit *a = arg;

    if ((m->flags & PT_WRITE) && (m->flags & PT_EXEC)) {
        a->err = KEEL_E_MM_AUDIT_WX;
    } else if (m->va.va < lower_half_end(a->mm) && !listed_identity(a->km, m)) {
        a->err = KEEL_E_MM_AUDIT_IDENTITY;
    } else if (mm_range_has_guard(a->mm, m->va.va, m->size)) {
        a->err = KEEL_E_MM_AUDIT_GUARD;
    }
    /* A non-zero return stops the walk at the first offence. */
    return a->err;
}

int mm_audit(const struct mm_state *mm, const struct kernel_memory *km)
{
    struct audit a = {.mm = mm, .km = km, .err = KEEL_OK};
    int err = pt_walk(&mm->as->pt, audit_leaf, &a);

    return a.err != KEEL_OK ? a.err : err;
}

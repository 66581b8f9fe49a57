/* SPDX-License-Identifier: MIT */
/* The boot report's "mm" member: accounting, and rights read back from the live table. */
#include <keel/layout.h>
#include <keel/mm.h>

#include "mm_internal.h"

/* "rwx" letters of a leaf's rights; "---" when unmapped, "mixed" when pages differ. */
static const char *rights_of(const struct mm_state *mm, const struct mm_region *r, char buf[4])
{
    struct pt_mapping m;
    pt_flags_t first = 0;

    for (uint64_t off = 0; off < r->size; off += PAGE_SIZE) {
        pt_flags_t f = arch_query_mapping(&mm->as->pt, va_add(r->va, off), &m) ? m.flags : 0;
        if (off == 0) {
            first = f;
        } else if ((f & PT_RIGHTS_MASK) != (first & PT_RIGHTS_MASK)) {
            return "mixed";
        }
    }
    buf[0] = (first & PT_READ) ? 'r' : '-';
    buf[1] = (first & PT_WRITE) ? 'w' : '-';
    buf[2] = (first & PT_EXEC) ? 'x' : '-';
    buf[3] = '\0';
    return buf;
}

static void section_json(const struct sink *s, const struct mm_state *mm, const struct mm_region *r,
                         bool first)
{
    char rights[4];

    sink_printf(s,
                "%s{\"name\": \"%s\", \"vbase\": \"0x%llx\", \"pbase\": \"0x%llx\", "
                "\"size\": \"0x%llx\", \"rights\": \"%s\"}",
                first ? "" : ", ", r->name, (unsigned long long)r->va.va,
                (unsigned long long)r->pa.pa, (unsigned long long)r->size,
                rights_of(mm, r, rights));
}

/* Which leaf sizes the direct map uses: bit 0 for 4 KiB, 1 for 2 MiB, 2 for 1 GiB. */
struct direct_sizes {
    const struct layout *layout;
    unsigned sizes;
};

static int note_direct_leaf(void *arg, const struct pt_mapping *m)
{
    struct direct_sizes *d = arg;

    if (m->va.va >= d->layout->direct_map_base &&
        m->va.va - d->layout->direct_map_base < d->layout->direct_map_size) {
        d->sizes |= m->size >= (UINT64_C(1) << 30) ? 4u : m->size >= (UINT64_C(1) << 21) ? 2u : 1u;
    }
    return 0;
}

void mm_report_json_in(const struct sink *s, const struct mm_state *mm,
                       const struct kernel_memory *km)
{
    const struct frame_alloc *fa = &mm->frames;
    struct direct_sizes direct = {.layout = &mm->layout, .sizes = 0};
    struct mm_region stack = {.name = "boot_stack",
                              .va = km->boot_stack.bottom,
                              .pa = pa_init(0),
                              .size = km->boot_stack.top.va - km->boot_stack.bottom.va};
    struct pt_mapping m;

    if (arch_query_mapping(&mm->as->pt, stack.va, &m)) {
        stack.pa = m.pa;
    }
    sink_printf(s, "\"mm\": {\"frames_total\": %llu, \"frames_free\": %llu, \"frames_by_owner\": {",
                (unsigned long long)fa->frames_total, (unsigned long long)fa->frames_free);
    for (uint32_t o = 1; o < FRAME_OWNER_COUNT; o++) {
        sink_printf(s, "%s\"%s\": %llu", o == 1 ? "" : ", ", frame_owner_name(o),
                    (unsigned long long)fa->frames_by_owner[o]);
    }
    pt_walk(&mm->as->pt, note_direct_leaf, &direct);
    sink_printf(
        s,
        "}, \"va_bits\": %u, \"page_table_pages\": %zu, \"heap_base\": \"0x%llx\", \"heap_size\": "
        "\"0x%llx\", \"direct_map\": {\"base\": \"0x%llx\", \"page_sizes\": [",
        mm->layout.va_bits, mm->as->pt.table_pages, (unsigned long long)mm->layout.heap_vbase,
        (unsigned long long)mm->heap_mapped, (unsigned long long)mm->layout.direct_map_base);
    const char *names[] = {"4K", "2M", "1G"};
    bool first = true;
    for (unsigned i = 0; i < 3; i++) {
        if (direct.sizes & (1u << i)) {
            sink_printf(s, "%s\"%s\"", first ? "" : ", ", names[i]);
            first = false;
        }
    }
    sink_printf(s, "]}, \"sections\": [");
    section_json(s, mm, &km->text, true);
    section_json(s, mm, &km->rodata, false);
    section_json(s, mm, &km->data, false);
    section_json(s, mm, &stack, false);
    sink_printf(s,
                "], \"identity_mappings\": %zu, \"identity_dropped\": %zu, "
                "\"identity_tables_freed\": %zu, \"stacks\": %llu, \"allocations\": %llu}",
                km->identity_count, mm->dropped_count, mm->dropped_tables,
                (unsigned long long)mm->stack_count, (unsigned long long)mm->allocations);
}

/* SPDX-License-Identifier: MIT */
/* The memory sequence: one C file, run unchanged on every arch, in the order of docs/memory.md. */
#include <string.h>

#include <keel/alloc_fail.h>
#include <keel/arch.h>
#include <keel/assert.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/image.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/report.h>
#include <keel/timeline.h>

#include "mm_internal.h"

#ifndef KEEL_HEAP_INITIAL_SIZE
#define KEEL_HEAP_INITIAL_SIZE (1u << 20)
#endif
#define HEAP_GROW_MIN (256u << 10)
#define CPU0_STACK_PAGES 4u

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* ---- Page-table frames come from the frame allocator ---- */

static int pt_alloc_frame(void *ctx, paddr_t *out)
{
    struct mm_state *mm = ctx;

    return frame_alloc_one(&mm->frames, FRAME_OWNER_PAGE_TABLES, out);
}

static void pt_free_frame(void *ctx, paddr_t pa)
{
    struct mm_state *mm = ctx;
    /* The builder only frees frames it allocated: a failure here is a broken invariant. */
    int err = frame_free(&mm->frames, pa, 1, FRAME_OWNER_PAGE_TABLES);
    if (err != KEEL_OK) {
        panic("page-table frame 0x%llx: %s", (unsigned long long)pa.pa, keel_strerror(err));
    }
}

static void *pt_phys_to_virt(void *ctx, paddr_t pa)
{
    return (void *)mm_phys_ptr_in(ctx, pa.pa, PAGE_SIZE);
}

static void pt_tlb_invalidate(void *ctx, vaddr_t va, uint64_t size)
{
    (void)ctx;
    arch_tlb_invalidate(va.va, size);
}

bool mm_type_is_ram(uint32_t type)
{
    return type == BI_MEM_USABLE || type == BI_MEM_BOOTLOADER_RECLAIMABLE ||
           type == BI_MEM_BOOT_INFO || type == BI_MEM_MODULE || type == BI_MEM_KERNEL ||
           type == BI_MEM_ACPI_RECLAIMABLE || type == BI_MEM_EFI_RUNTIME;
}

/*
 * What the direct map holds: RAM, and the RAM a DTB's /memreserve/ keeps from the
 * kernel's allocations but not from its reach (the Devicetree spec puts the spin
 * tables there, whose cpu-release-addr the secondary-CPU stage writes). A /memreserve/
 * range counts only where it touches RAM of the map: one that lies alone, away from
 * RAM, may be anything, device registers included, and is never mapped as memory.
 */
static bool in_direct_map(const struct bi_mem_range *mem, uint32_t count, uint32_t i)
{
    const struct bi_mem_range *r = &mem[i];

    if (mm_type_is_ram(r->type)) {
        return true;
    }
    if (r->type != BI_MEM_RESERVED || r->source != BI_SRC_FDT_MEMRESERVE) {
        return false;
    }
    return (i > 0 && mm_type_is_ram(mem[i - 1].type) &&
            mem[i - 1].base + mem[i - 1].size == r->base) ||
           (i + 1 < count && mm_type_is_ram(mem[i + 1].type) &&
            r->base + r->size == mem[i + 1].base);
}

const void *mm_phys_ptr_in(const struct mm_state *mm, uint64_t pa, uint64_t len)
{
    if (!mm->live) {
        return arch_early_phys_ptr(pa, len);
    }
    /* Anything outside the direct map would fault, so it is refused. */
    for (uint32_t i = 0; i < mm->bi->mem_count; i++) {
        const struct bi_mem_range *r = &mm->bi->mem[i];
        if (in_direct_map(mm->bi->mem, mm->bi->mem_count, i) && pa >= r->base && len <= r->size &&
            pa - r->base <= r->size - len) {
            return mm->env.live_ptr(mm->env.ctx, mm->layout.direct_map_base + pa, len);
        }
    }
    return NULL;
}

/* How a mapping is kept: removable, pinned for good, or until the drop after the CPUs are up. */
enum keep {
    KEEP_NONE,
    KEEP_PINNED,
    KEEP_UNTIL_SMP,
};

/* Maps and records one region; the pinned ones are what running code depends on. */
static int map_region(struct mm_state *mm, struct mm_region *r, const char *name, uint64_t va,
                      uint64_t pa, uint64_t size, pt_flags_t flags, enum keep keep)
{
    struct address_space *as = mm->as;

    *r = (struct mm_region){
        .name = name, .va = va_init(va), .pa = pa_init(pa), .size = size, .flags = flags};
    int err = arch_map_section(&as->pt, r->va, r->pa, size, flags);
    if (err == KEEL_OK && keep == KEEP_PINNED) {
        ASSERT(as->pinned_count < MM_PINNED_MAX);
        as->pinned[as->pinned_count++] = *r;
    } else if (err == KEEL_OK && keep == KEEP_UNTIL_SMP) {
        ASSERT(as->drop_count < MM_IDENTITY_MAX);
        as->drop[as->drop_count++] = *r;
    }
    return err;
}

/* A pinned part [start, end) of the image, at its physical place. */
static int map_image(struct mm_state *mm, struct mm_region *r, const char *name, uint64_t start,
                     uint64_t end, pt_flags_t flags)
{
    return map_region(mm, r, name, start, image_pa(&mm->env.image, start), end - start, flags,
                      KEEP_PINNED);
}

/*
 * Before the switch, page-table frames are written through the boot 1:1 window, so only
 * frames it reaches are handed out. Its shape is the arch's and the board's: x86_64's
 * fixed [4 KiB, 4 GiB), aarch64's what the board layer mapped from the DTB, which need
 * not hold the lowest RAM nor all of it (a range it could not map).
 */
static bool early_window(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    return arch_early_phys_ptr(pa, len) != NULL;
}

/* ---- The steps ---- */

/* 1. Physical frames from the normalised map; page 0 and non-RAM are never handed out. */
static int step_frames(struct mm_state *mm, const struct boot_info *bi)
{
    int err =
        frame_alloc_init(&mm->frames, bi->mem, bi->mem_count, mm->boot_extents, MM_BOOT_EXTENTS);

    if (err == KEEL_OK) {
        frame_alloc_set_fail(&mm->frames, &mm->fail);
        frame_alloc_set_window(&mm->frames, early_window, NULL);
    }
    return err;
}

/* 2. A new, empty root. */
static int step_create(struct mm_state *mm)
{
    struct pt_ops ops = {
        .alloc_frame = pt_alloc_frame,
        .free_frame = pt_free_frame,
        .phys_to_virt = pt_phys_to_virt,
        .tlb_invalidate = NULL, /* not live yet */
        .ctx = mm,
        .huge_1g = arch_has_1g_pages(),
        .va_bits = mm->layout.va_bits,
    };
    return arch_create_page_table(&mm->as->pt, &ops);
}

/* 3a. Each kernel section with its own rights; the boot stack without its guard page. */
static int map_kernel(struct mm_state *mm, struct kernel_memory *km)
{
    const struct keel_image *img = &mm->env.image;
    uint64_t guard = img->boot_stack_guard;
    uint64_t bss_end = align_up(img->bss.end, PAGE_SIZE);
    struct mm_region bss;
    int err;

    err = map_image(mm, &km->text, "text", img->text.start, img->text.end, PT_READ | PT_EXEC);
    if (err == KEEL_OK) {
        err = map_image(mm, &km->rodata, "rodata", img->rodata.start, img->rodata.end, PT_READ);
    }
    if (err == KEEL_OK) {
        err = map_image(mm, &km->data, "data", img->data.start, img->data.end, PT_READ | PT_WRITE);
    }
    /* .bss holds the boot stack; the guard page below the stack stays unmapped. */
    if (err == KEEL_OK && guard > img->bss.start) {
        err = map_image(mm, &bss, "bss", img->bss.start, guard, PT_READ | PT_WRITE);
    }
    if (err == KEEL_OK) {
        err = map_image(mm, &bss, "bss", guard + PAGE_SIZE, bss_end, PT_READ | PT_WRITE);
    }
    km->boot_stack = (struct stack){.guard = va_init(guard),
                                    .bottom = va_init(img->boot_stack_bottom),
                                    .top = va_init(img->boot_stack_top)};
    mm->boot_guard = guard;
    return err;
}

/* 3b. The loader's structure (multiboot2 info or DTB), read-only, until step 10. */
static int map_boot_info(struct mm_state *mm, const struct boot_info *bi)
{
    uint64_t base = bi->info_base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t size = align_up(bi->info_base + bi->info_size, PAGE_SIZE) - base;
    struct mm_region r;

    mm->boot_info_size = size;
    return size == 0 ? KEEL_OK
                     : map_region(mm, &r, "boot_info", mm->layout.boot_info_vbase, base, size,
                                  PT_READ, KEEP_NONE);
}

/* 3c'. The framebuffer the console draws on, write-combining. */
static int map_framebuffer(struct mm_state *mm, const struct boot_info *bi)
{
    const struct bi_framebuffer *fb = &bi->framebuffer;
    struct mm_region r;

    if (!console_fb_attached()) {
        return KEEL_OK;
    }
    uint64_t base = fb->base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t size = align_up(fb->base + (uint64_t)fb->pitch * fb->height, PAGE_SIZE) - base;
    mm->fb_map.vbase = mm->layout.framebuffer_vbase + (fb->base - base);
    mm->fb_map.memory_type = "write-combining";
    return map_region(mm, &r, "framebuffer", mm->layout.framebuffer_vbase, base, size,
                      PT_READ | PT_WRITE | PT_MEM_WC, KEEP_PINNED);
}

const struct fb_mapping *mm_fb_mapping_in(const struct mm_state *mm)
{
    return mm->live && mm->fb_map.vbase != 0 ? &mm->fb_map : NULL;
}

/* 3c. The console's registers, as device memory (none for a port-I/O UART). */
static int map_console(struct mm_state *mm)
{
    uint64_t pa = console_uart_mmio_base();
    struct mm_region r;

    if (pa == 0) {
        mm->console_va = 0;
        return KEEL_OK;
    }
    mm->console_va = mm->layout.mmio_vbase + (pa & (PAGE_SIZE - 1));
    return map_region(mm, &r, "console", mm->layout.mmio_vbase, pa & ~(uint64_t)(PAGE_SIZE - 1),
                      PAGE_SIZE, PT_READ | PT_WRITE | PT_MEM_DEVICE, KEEP_PINNED);
}

/*
 * 3d. All RAM (and /memreserve/'s, in_direct_map) at the direct map's base + pa. Touching
 * ranges are mapped as one run so that the builder can use the largest pages the run's
 * alignment allows.
 */
static int map_direct(struct mm_state *mm, const struct boot_info *bi)
{
    struct mm_region r;
    int err = KEEL_OK;

    for (uint32_t i = 0; i < bi->mem_count && err == KEEL_OK; i++) {
        if (!in_direct_map(bi->mem, bi->mem_count, i)) {
            continue;
        }
        uint64_t base = bi->mem[i].base;
        uint64_t end = base + bi->mem[i].size;
        while (i + 1 < bi->mem_count && in_direct_map(bi->mem, bi->mem_count, i + 1) &&
               bi->mem[i + 1].base == end) {
            i++;
            end += bi->mem[i].size;
        }
        if (end > mm->layout.direct_map_size) {
            return KEEL_E_MM_LAYOUT;
        }
        err = map_region(mm, &r, "direct", mm->layout.direct_map_base + base, base, end - base,
                         PT_READ | PT_WRITE, KEEP_NONE);
    }
    return err;
}

int mm_identity_map_in(struct mm_state *mm, struct kernel_memory *km, const char *name, uint64_t pa,
                       uint64_t size, pt_flags_t flags)
{
    if (km->identity_count >= MM_IDENTITY_MAX || mm->as->drop_count >= MM_IDENTITY_MAX) {
        return KEEL_E_MM_IDENTITY_FULL;
    }
    if ((flags & PT_WRITE) && (flags & PT_EXEC)) {
        return KEEL_E_MM_AUDIT_WX;
    }
    int err = map_region(mm, &km->identity[km->identity_count], name, pa, pa, size, flags,
                         KEEP_UNTIL_SMP);
    km->identity_count += err == KEEL_OK;
    return err;
}

/* 3e. The 1:1 mappings that secondary CPUs need to turn their MMU on: the kernel's text. */
static int map_identity(struct mm_state *mm, struct kernel_memory *km)
{
    const struct keel_image *img = &mm->env.image;
    uint64_t pa = image_pa(img, img->text.start);

    return mm_identity_map_in(mm, km, "identity", pa, img->text.end - img->text.start,
                              PT_READ | PT_EXEC);
}

/*
 * keel.fault=audit-wx|audit-guard|audit-identity adds one bad mapping before the
 * audit, to show that the audit refuses the table (tests/qemu); audit-drop one that
 * the first audit accepts and the audit after the drop refuses.
 */
static int inject_audit_fault(struct mm_state *mm, const struct boot_info *bi,
                              struct kernel_memory *km)
{
    char kind[24];
    struct mm_region r;
    uint64_t guard_pa = image_pa(&mm->env.image, mm->boot_guard);
    uint64_t info_pa = bi->info_base & ~(uint64_t)(PAGE_SIZE - 1);

    if (!cmdline_value(bi->cmdline, "keel.fault", kind, sizeof(kind))) {
        return KEEL_OK;
    }
    if (strcmp(kind, "audit-wx") == 0) {
        return map_region(mm, &r, "bad", mm->layout.mmio_vbase + (UINT64_C(1) << 30), guard_pa,
                          PAGE_SIZE, PT_READ | PT_WRITE | PT_EXEC, KEEP_NONE);
    }
    if (strcmp(kind, "audit-guard") == 0) {
        return map_region(mm, &r, "bad", mm->boot_guard, guard_pa, PAGE_SIZE, PT_READ | PT_WRITE,
                          KEEP_NONE);
    }
    if (strcmp(kind, "audit-identity") == 0) {
        return map_region(mm, &r, "bad", info_pa, info_pa, PAGE_SIZE, PT_READ, KEEP_NONE);
    }
    if (strcmp(kind, "audit-drop") == 0 && km->identity_count < MM_IDENTITY_MAX) {
        /* Listed for the audit, but pinned instead of on the drop list: the drop leaves it. */
        uint64_t pa = image_pa(&mm->env.image, mm->env.image.rodata.start);
        return map_region(mm, &km->identity[km->identity_count++], "bad", pa, pa, PAGE_SIZE,
                          PT_READ, KEEP_PINNED);
    }
    return KEEL_OK;
}

static int step_map(struct mm_state *mm, const struct boot_info *bi, struct kernel_memory *km)
{
    int err = map_kernel(mm, km);

    if (err == KEEL_OK) {
        err = map_boot_info(mm, bi);
    }
    if (err == KEEL_OK) {
        err = map_console(mm);
    }
    if (err == KEEL_OK) {
        err = map_framebuffer(mm, bi);
    }
    if (err == KEEL_OK) {
        err = map_direct(mm, bi);
    }
    if (err == KEEL_OK) {
        err = map_identity(mm, km);
    }
    if (err == KEEL_OK) {
        err = inject_audit_fault(mm, bi, km);
    }
    return err;
}

/*
 * 5 and 6. The table goes live and, before anything prints, the consoles follow it
 * (env.switch_table); from here on memory is reached through the new table only.
 */
static void step_switch(struct mm_state *mm)
{
    mm->env.switch_table(mm->env.ctx, &mm->as->pt, mm->console_va, mm->fb_map.vbase);
    mm->live = true;
    mm->as->pt.ops.tlb_invalidate = pt_tlb_invalidate;
    frame_alloc_set_window(&mm->frames, NULL, NULL);
}

/* Maps `bytes` more RAM at the heap's end; the heap's grow callback. */
static int heap_grow(void *ctx, size_t bytes, void **new_region)
{
    struct mm_state *mm = ctx;
    uint64_t pages = align_up(bytes, PAGE_SIZE) / PAGE_SIZE;
    uint64_t va = mm->layout.heap_vbase + mm->heap_mapped;
    paddr_t pa;

    if (pages * PAGE_SIZE > mm->layout.heap_max_size - mm->heap_mapped) {
        return KEEL_E_NO_MEMORY;
    }
    int err = frame_alloc_run(&mm->frames, pages, 1, FRAME_OWNER_HEAP, &pa);
    if (err != KEEL_OK) {
        return err;
    }
    err = arch_map_section(&mm->as->pt, va_init(va), pa, pages * PAGE_SIZE, PT_READ | PT_WRITE);
    if (err != KEEL_OK) {
        frame_free(&mm->frames, pa, pages, FRAME_OWNER_HEAP);
        return err;
    }
    void *region = mm->env.live_ptr(mm->env.ctx, va, pages * PAGE_SIZE);
    /* The pages were just mapped, so a live table reaches them: anything else is a bug. */
    ASSERT(region != NULL);
    mm->heap_mapped += pages * PAGE_SIZE;
    *new_region = region;
    return KEEL_OK;
}

/* 7. The heap at its fixed base, KEEL_HEAP_INITIAL_SIZE to start with (meson option). */
static int step_heap(struct mm_state *mm)
{
    void *region;
    int err = heap_grow(mm, KEEL_HEAP_INITIAL_SIZE, &region);

    if (err == KEEL_OK) {
        err = heap_init(&mm->heap, region, KEEL_HEAP_INITIAL_SIZE);
    }
    if (err == KEEL_OK) {
        heap_set_fail(&mm->heap, &mm->fail);
        heap_set_grow(&mm->heap, heap_grow, mm, HEAP_GROW_MIN);
    }
    return err;
}

/* The frame allocator asks for more extent storage; from step 8 on it lives on the heap. */
static int frames_grow(void *ctx, struct frame_alloc *fa, size_t min_cap)
{
    struct mm_state *mm = ctx;
    struct frame_extent *old = fa->extents == mm->boot_extents ? NULL : fa->extents;
    struct frame_extent *storage = kmalloc_in(mm, min_cap * sizeof(*storage));

    if (storage == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    int err = frame_alloc_move_storage(fa, storage, min_cap);
    if (err != KEEL_OK) {
        kfree_in(mm, storage);
        return err;
    }
    kfree_in(mm, old);
    return KEEL_OK;
}

/* 8. Bookkeeping onto the heap; the stack allocator; the address-space object. */
static int step_post_heap(struct mm_state *mm, struct kernel_memory *km)
{
    int err = frames_grow(mm, &mm->frames, 2 * mm->frames.extent_cap);
    if (err != KEEL_OK) {
        return err;
    }
    frame_alloc_set_grow(&mm->frames, frames_grow, mm);

    err = mm_stack_alloc_in(mm, CPU0_STACK_PAGES, &km->cpu0_stack);
    if (err != KEEL_OK) {
        return err;
    }
    km->as = kmalloc_in(mm, sizeof(*km->as));
    if (km->as == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    /* From here on the heap's copy is the one address space; the boot one is retired. */
    *km->as = *mm->as;
    mm->as = km->as;
    return KEEL_OK;
}

/* 9. The module records, copied out: modules can overlap the boot info reclaimed next. */
static int step_modules(struct mm_state *mm, const struct boot_info *bi, struct kernel_memory *km)
{
    km->modules.count = bi->module_count;
    km->modules.items = NULL;
    if (bi->module_count == 0) {
        return KEEL_OK;
    }
    km->modules.items = kmalloc_in(mm, bi->module_count * sizeof(struct bi_module));
    if (km->modules.items == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    memcpy(km->modules.items, bi->modules, bi->module_count * sizeof(struct bi_module));
    return KEEL_OK;
}

/*
 * 10. The boot info's pages: unmapped, then their frames freed, and with them the
 * loader's own memory (bootloader-reclaimable: GRUB's heap, the buffers Keel's EFI entry
 * allocated), which nothing reads once the module records are copied out. The normaliser
 * typed a page that the boot info shares with a module as "module", so such a page is
 * kept.
 */
static int step_reclaim(struct mm_state *mm, const struct boot_info *bi)
{
    int err = KEEL_OK;

    if (mm->boot_info_size != 0) {
        err = mm_unmap(mm->as, va_init(mm->layout.boot_info_vbase), mm->boot_info_size);
    }
    mm->boot_info_reclaimed = true;
    for (uint32_t i = 0; i < bi->mem_count && err == KEEL_OK; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        if (r->type == BI_MEM_BOOT_INFO || r->type == BI_MEM_BOOTLOADER_RECLAIMABLE) {
            err = frame_free(&mm->frames, pa_init(r->base), r->size / PAGE_SIZE,
                             FRAME_OWNER_BOOT_INFO);
        }
    }
    return err;
}

static bool overlaps(const struct mm_region *list, size_t n, vaddr_t va, uint64_t size)
{
    for (size_t i = 0; i < n; i++) {
        if (va.va < list[i].va.va + list[i].size && list[i].va.va < va.va + size) {
            return true;
        }
    }
    return false;
}

int mm_unmap(struct address_space *as, vaddr_t va, uint64_t size)
{
    if (overlaps(as->pinned, as->pinned_count, va, size) ||
        overlaps(as->drop, as->drop_count, va, size)) {
        return KEEL_E_MM_PINNED;
    }
    return arch_unmap_section(&as->pt, va, size);
}

int mm_drop_identity_in(struct mm_state *mm, struct kernel_memory *km)
{
    struct address_space *as = mm->as;
    size_t tables = as->pt.table_pages;

    /* Each entry is whole leaves of its own mapping: the unmap splits none, so allocates nothing.
     */
    while (as->drop_count > 0) {
        const struct mm_region *r = &as->drop[as->drop_count - 1];
        int err = arch_unmap_section(&as->pt, r->va, r->size);
        if (err != KEEL_OK) {
            return err;
        }
        mm->dropped[mm->dropped_count++] = *r;
        as->drop_count--;
    }
    km->identity_count = 0;
    mm->dropped_tables = tables - as->pt.table_pages;
    int err = mm_audit(mm, km);
    return err != KEEL_OK ? err : frame_alloc_check(&mm->frames);
}

bool mm_is_dropped_identity_in(const struct mm_state *mm, uint64_t va)
{
    return overlaps(mm->dropped, mm->dropped_count, va_init(va), 1);
}

/* keel.fail_alloc=N: the N-th frame or heap allocation of the sequence fails. */
static void arm_fail_injection(struct mm_state *mm, const struct boot_info *bi)
{
    char value[24];
    uint64_t n = 0;

    if (cmdline_value(bi->cmdline, "keel.fail_alloc", value, sizeof(value))) {
        for (const char *p = value; *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (uint64_t)(*p - '0');
        }
    }
    alloc_fail_arm(&mm->fail, n);
}

/* A NULL from the heap reads as "out of memory"; say so when it was keel.fail_alloc. */
static int injected_or(const struct mm_state *mm, int err)
{
    return err == KEEL_E_NO_MEMORY && mm->fail.failed != 0 ? KEEL_E_ALLOC_INJECTED : err;
}

int mm_init(struct mm_state *mm, const struct mm_env *env, const struct boot_info *bi,
            struct kernel_memory *km, const char **phase)
{
    int err;

    memset(km, 0, sizeof(*km));
    memset(mm, 0, sizeof(*mm));
    mm->env = *env;
    mm->layout = layout_for(arch_va_bits());
    mm->bi = bi;
    mm->as = &mm->boot_as;
    arm_fail_injection(mm, bi);
#define STEP(name, call)                                                                           \
    do {                                                                                           \
        *phase = (name);                                                                           \
        err = (call);                                                                              \
        if (err != KEEL_OK) {                                                                      \
            return injected_or(mm, err);                                                           \
        }                                                                                          \
        timeline_mark(name);                                                                       \
    } while (0)

    STEP("mm.frames", step_frames(mm, bi));
    STEP("mm.create", step_create(mm));
    STEP("mm.map", step_map(mm, bi, km));
    STEP("mm.audit", mm_audit(mm, km));
    *phase = "mm.switch";
    step_switch(mm);
    timeline_mark("mm.switch");
    STEP("mm.heap", step_heap(mm));
    STEP("mm.post_heap", step_post_heap(mm, km));
    STEP("mm.modules", step_modules(mm, bi, km));
    STEP("mm.reclaim", step_reclaim(mm, bi));
    STEP("mm.check", frame_alloc_check(&mm->frames));
#undef STEP
    mm->allocations = mm->fail.count;
    return KEEL_OK;
}

void *kmalloc_in(struct mm_state *mm, size_t size)
{
    return heap_alloc(&mm->heap, size);
}

void kfree_in(struct mm_state *mm, void *ptr)
{
    int err = heap_free(&mm->heap, ptr);

    if (err != KEEL_OK) {
        panic("kfree(%p): %s", ptr, keel_strerror(err));
    }
}

bool mm_is_reclaimed_boot_info_in(const struct mm_state *mm, uint64_t va)
{
    return mm->boot_info_reclaimed && va >= mm->layout.boot_info_vbase &&
           va - mm->layout.boot_info_vbase < mm->boot_info_size;
}

/* SPDX-License-Identifier: MIT */
/* The memory sequence: one C file, run unchanged on every arch, in the order of docs/memory.md. */
#include <string.h>

#include <keel/alloc_fail.h>
#include <keel/arch.h>
#include <keel/assert.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/init.h>
#include <keel/layout.h>
#include <keel/mm.h>
#include <keel/report.h>

#include "mm_internal.h"

/* Linker-script symbols (both arches use the same names). */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __boot_stack_guard[], __boot_stack_bottom[], __boot_stack_top[];

#ifndef KEEL_HEAP_INITIAL_SIZE
#define KEEL_HEAP_INITIAL_SIZE (1u << 20)
#endif
#define HEAP_GROW_MIN (256u << 10)
/* Before the switch, page-table frames must be reachable through the entry code's 1:1
 * window; every arch's window covers at least the first 4 GiB of physical memory. */
#define EARLY_FRAME_LIMIT (UINT64_C(1) << 32)
#define BOOT_EXTENTS 256u
#define CPU0_STACK_PAGES 4u

struct mm_state mm;

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* ---- Page-table frames come from the frame allocator ---- */

static int pt_alloc_frame(void *ctx, paddr_t *out)
{
    (void)ctx;
    return frame_alloc_one(&mm.frames, FRAME_OWNER_PAGE_TABLES, out);
}

static void pt_free_frame(void *ctx, paddr_t pa)
{
    (void)ctx;
    /* The builder only frees frames it allocated: a failure here is a broken invariant. */
    int err = frame_free(&mm.frames, pa, 1, FRAME_OWNER_PAGE_TABLES);
    if (err != KEEL_OK) {
        panic("page-table frame 0x%llx: %s", (unsigned long long)pa.pa, keel_strerror(err));
    }
}

static void *pt_phys_to_virt(void *ctx, paddr_t pa)
{
    (void)ctx;
    return (void *)mm_phys_ptr(pa.pa, PAGE_SIZE);
}

static void pt_tlb_invalidate(void *ctx, vaddr_t va, uint64_t size)
{
    (void)ctx;
    arch_tlb_invalidate(va.va, size);
}

static bool is_ram(uint32_t type)
{
    return type == BI_MEM_USABLE || type == BI_MEM_BOOTLOADER_RECLAIMABLE ||
           type == BI_MEM_BOOT_INFO || type == BI_MEM_MODULE || type == BI_MEM_KERNEL ||
           type == BI_MEM_ACPI_RECLAIMABLE;
}

const void *mm_phys_ptr(uint64_t pa, uint64_t len)
{
    if (!mm.live) {
        return arch_early_phys_ptr(pa, len);
    }
    /* The direct map holds RAM only: anything else would fault, so it is refused. */
    for (uint32_t i = 0; i < mm.bi->mem_count; i++) {
        const struct bi_mem_range *r = &mm.bi->mem[i];
        if (is_ram(r->type) && pa >= r->base && len <= r->size && pa - r->base <= r->size - len) {
            return (const void *)(uintptr_t)(DIRECT_MAP_BASE + pa);
        }
    }
    return NULL;
}

/* Maps and records one region; the pinned ones are what running code depends on. */
static int map_region(struct mm_region *r, const char *name, uint64_t va, uint64_t pa,
                      uint64_t size, pt_flags_t flags, bool pinned)
{
    *r = (struct mm_region){
        .name = name, .va = va_init(va), .pa = pa_init(pa), .size = size, .flags = flags};
    int err = arch_map_section(&mm.as->pt, r->va, r->pa, size, flags);
    if (err == KEEL_OK && pinned) {
        ASSERT(mm.as->pinned_count < MM_PINNED_MAX);
        mm.as->pinned[mm.as->pinned_count++] = *r;
    }
    return err;
}

/* ---- The steps ---- */

/* 1. Physical frames from the normalised map; page 0 and non-RAM are never handed out. */
static int step_frames(const struct boot_info *bi)
{
    static struct frame_extent boot_extents[BOOT_EXTENTS];
    int err = frame_alloc_init(&mm.frames, bi->mem, bi->mem_count, boot_extents, BOOT_EXTENTS);

    mm.boot_extents = boot_extents;
    if (err == KEEL_OK) {
        frame_alloc_set_fail(&mm.frames, &mm.fail);
        frame_alloc_set_limit(&mm.frames, pa_init(EARLY_FRAME_LIMIT));
    }
    return err;
}

/* 2. A new, empty root. */
static int step_create(void)
{
    struct pt_ops ops = {
        .alloc_frame = pt_alloc_frame,
        .free_frame = pt_free_frame,
        .phys_to_virt = pt_phys_to_virt,
        .tlb_invalidate = NULL, /* not live yet */
        .ctx = NULL,
        .huge_1g = arch_has_1g_pages(),
    };
    return arch_create_page_table(&mm.as->pt, &ops);
}

/* 3a. Each kernel section with its own rights; the boot stack without its guard page. */
static int map_kernel(struct kernel_memory *km)
{
    uint64_t text = (uint64_t)(uintptr_t)__text_start;
    uint64_t rodata = (uint64_t)(uintptr_t)__rodata_start;
    uint64_t data = (uint64_t)(uintptr_t)__data_start;
    uint64_t guard = (uint64_t)(uintptr_t)__boot_stack_guard;
    uint64_t bss_end = align_up((uint64_t)(uintptr_t)__bss_end, PAGE_SIZE);
    uint64_t bss_start = (uint64_t)(uintptr_t)__bss_start;
    struct mm_region bss;
    int err;

    err = map_region(&km->text, "text", text, kernel_pa(__text_start),
                     (uint64_t)(__text_end - __text_start), PT_READ | PT_EXEC, true);
    if (err == KEEL_OK) {
        err = map_region(&km->rodata, "rodata", rodata, kernel_pa(__rodata_start),
                         (uint64_t)(__rodata_end - __rodata_start), PT_READ, true);
    }
    if (err == KEEL_OK) {
        err = map_region(&km->data, "data", data, kernel_pa(__data_start),
                         (uint64_t)(__data_end - __data_start), PT_READ | PT_WRITE, true);
    }
    /* .bss holds the boot stack; the guard page below the stack stays unmapped. */
    if (err == KEEL_OK && guard > bss_start) {
        err = map_region(&bss, "bss", bss_start, kernel_pa(__bss_start), guard - bss_start,
                         PT_READ | PT_WRITE, true);
    }
    if (err == KEEL_OK) {
        err = map_region(&bss, "bss", guard + PAGE_SIZE, kernel_pa(__boot_stack_guard) + PAGE_SIZE,
                         bss_end - guard - PAGE_SIZE, PT_READ | PT_WRITE, true);
    }
    km->boot_stack = (struct stack){.guard = va_init(guard),
                                    .bottom = va_init((uint64_t)(uintptr_t)__boot_stack_bottom),
                                    .top = va_init((uint64_t)(uintptr_t)__boot_stack_top)};
    mm.boot_guard = guard;
    return err;
}

/* 3b. The loader's structure (multiboot2 info or DTB), read-only, until step 10. */
static int map_boot_info(const struct boot_info *bi)
{
    uint64_t base = bi->info_base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t size = align_up(bi->info_base + bi->info_size, PAGE_SIZE) - base;
    struct mm_region r;

    mm.boot_info_size = size;
    return size == 0 ? KEEL_OK
                     : map_region(&r, "boot_info", BOOT_INFO_VBASE, base, size, PT_READ, false);
}

/* 3c'. The framebuffer the console draws on, write-combining. */
static int map_framebuffer(const struct boot_info *bi)
{
    const struct bi_framebuffer *fb = &bi->framebuffer;
    struct mm_region r;

    if (!console_fb_attached()) {
        return KEEL_OK;
    }
    uint64_t base = fb->base & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t size = align_up(fb->base + (uint64_t)fb->pitch * fb->height, PAGE_SIZE) - base;
    mm.fb_map.vbase = FRAMEBUFFER_VBASE + (fb->base - base);
    mm.fb_map.memory_type = "write-combining";
    return map_region(&r, "framebuffer", FRAMEBUFFER_VBASE, base, size,
                      PT_READ | PT_WRITE | PT_MEM_WC, true);
}

const struct fb_mapping *mm_fb_mapping(void)
{
    return mm.live && mm.fb_map.vbase != 0 ? &mm.fb_map : NULL;
}

/* 3c. The console's registers, as device memory (none for a port-I/O UART). */
static int map_console(void)
{
    uint64_t pa = console_uart_mmio_base();
    struct mm_region r;

    if (pa == 0) {
        mm.console_va = 0;
        return KEEL_OK;
    }
    mm.console_va = MMIO_VBASE + (pa & (PAGE_SIZE - 1));
    return map_region(&r, "console", MMIO_VBASE, pa & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE,
                      PT_READ | PT_WRITE | PT_MEM_DEVICE, true);
}

/*
 * 3d. All RAM at DIRECT_MAP_BASE + pa. Touching RAM ranges are mapped as one run so
 * that the builder can use the largest pages the run's alignment allows.
 */
static int map_direct(const struct boot_info *bi)
{
    struct mm_region r;
    int err = KEEL_OK;

    for (uint32_t i = 0; i < bi->mem_count && err == KEEL_OK; i++) {
        if (!is_ram(bi->mem[i].type)) {
            continue;
        }
        uint64_t base = bi->mem[i].base;
        uint64_t end = base + bi->mem[i].size;
        while (i + 1 < bi->mem_count && is_ram(bi->mem[i + 1].type) && bi->mem[i + 1].base == end) {
            i++;
            end += bi->mem[i].size;
        }
        if (end > DIRECT_MAP_SIZE) {
            return KEEL_E_MM_LAYOUT;
        }
        err = map_region(&r, "direct", DIRECT_MAP_BASE + base, base, end - base, PT_READ | PT_WRITE,
                         false);
    }
    return err;
}

/* 3e. The 1:1 mappings that secondary CPUs need to turn their MMU on: the kernel's text. */
static int map_identity(struct kernel_memory *km)
{
    uint64_t pa = kernel_pa(__text_start);

    km->identity_count = 1;
    return map_region(&km->identity[0], "identity", pa, pa, (uint64_t)(__text_end - __text_start),
                      PT_READ | PT_EXEC, true);
}

/*
 * keel.fault=audit-wx|audit-guard|audit-identity adds one bad mapping before the
 * audit, to show that the audit refuses the table (tests/qemu).
 */
static int inject_audit_fault(const struct boot_info *bi)
{
    char kind[24];
    struct mm_region r;
    uint64_t guard_pa = kernel_pa(__boot_stack_guard);
    uint64_t info_pa = bi->info_base & ~(uint64_t)(PAGE_SIZE - 1);

    if (!cmdline_value(bi->cmdline, "keel.fault", kind, sizeof(kind))) {
        return KEEL_OK;
    }
    if (strcmp(kind, "audit-wx") == 0) {
        return map_region(&r, "bad", MMIO_VBASE + (UINT64_C(1) << 30), guard_pa, PAGE_SIZE,
                          PT_READ | PT_WRITE | PT_EXEC, false);
    }
    if (strcmp(kind, "audit-guard") == 0) {
        return map_region(&r, "bad", mm.boot_guard, guard_pa, PAGE_SIZE, PT_READ | PT_WRITE, false);
    }
    if (strcmp(kind, "audit-identity") == 0) {
        return map_region(&r, "bad", info_pa, info_pa, PAGE_SIZE, PT_READ, false);
    }
    return KEEL_OK;
}

static int step_map(const struct boot_info *bi, struct kernel_memory *km)
{
    int err = map_kernel(km);

    if (err == KEEL_OK) {
        err = map_boot_info(bi);
    }
    if (err == KEEL_OK) {
        err = map_console();
    }
    if (err == KEEL_OK) {
        err = map_framebuffer(bi);
    }
    if (err == KEEL_OK) {
        err = map_direct(bi);
    }
    if (err == KEEL_OK) {
        err = map_identity(km);
    }
    if (err == KEEL_OK) {
        err = inject_audit_fault(bi);
    }
    return err;
}

/* 5 and 6. Make the table live; then, before anything prints, the console follows it. */
static void step_switch(void)
{
    console_fb_pause();
    arch_tlb_switch(&mm.as->pt);
    mm.live = true;
    mm.as->pt.ops.tlb_invalidate = pt_tlb_invalidate;
    arch_fb_reinit(mm.console_va);
    console_fb_resume((void *)(uintptr_t)mm.fb_map.vbase);
    frame_alloc_set_limit(&mm.frames, pa_init(UINT64_MAX));
}

/* Maps `bytes` more RAM at the heap's end; the heap's grow callback. */
static int heap_grow(void *ctx, size_t bytes, void **new_region)
{
    uint64_t pages = align_up(bytes, PAGE_SIZE) / PAGE_SIZE;
    uint64_t va = HEAP_VBASE + mm.heap_mapped;
    paddr_t pa;
    (void)ctx;

    if (pages * PAGE_SIZE > HEAP_MAX_SIZE - mm.heap_mapped) {
        return KEEL_E_NO_MEMORY;
    }
    int err = frame_alloc_run(&mm.frames, pages, 1, FRAME_OWNER_HEAP, &pa);
    if (err != KEEL_OK) {
        return err;
    }
    err = arch_map_section(&mm.as->pt, va_init(va), pa, pages * PAGE_SIZE, PT_READ | PT_WRITE);
    if (err != KEEL_OK) {
        frame_free(&mm.frames, pa, pages, FRAME_OWNER_HEAP);
        return err;
    }
    mm.heap_mapped += pages * PAGE_SIZE;
    *new_region = (void *)(uintptr_t)va;
    return KEEL_OK;
}

/* 7. The heap at its fixed base, KEEL_HEAP_INITIAL_SIZE to start with (meson option). */
static int step_heap(void)
{
    void *region;
    int err = heap_grow(NULL, KEEL_HEAP_INITIAL_SIZE, &region);

    if (err == KEEL_OK) {
        err = heap_init(&mm.heap, region, KEEL_HEAP_INITIAL_SIZE);
    }
    if (err == KEEL_OK) {
        heap_set_fail(&mm.heap, &mm.fail);
        heap_set_grow(&mm.heap, heap_grow, NULL, HEAP_GROW_MIN);
    }
    return err;
}

/* The frame allocator asks for more extent storage; from step 8 on it lives on the heap. */
static int frames_grow(void *ctx, struct frame_alloc *fa, size_t min_cap)
{
    struct frame_extent *old = fa->extents == mm.boot_extents ? NULL : fa->extents;
    struct frame_extent *storage = kmalloc(min_cap * sizeof(*storage));
    (void)ctx;

    if (storage == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    int err = frame_alloc_move_storage(fa, storage, min_cap);
    if (err != KEEL_OK) {
        kfree(storage);
        return err;
    }
    kfree(old);
    return KEEL_OK;
}

/* 8. Bookkeeping onto the heap; the stack allocator; the address-space object. */
static int step_post_heap(struct kernel_memory *km)
{
    int err = frames_grow(NULL, &mm.frames, 2 * mm.frames.extent_cap);
    if (err != KEEL_OK) {
        return err;
    }
    frame_alloc_set_grow(&mm.frames, frames_grow, NULL);

    err = mm_stack_alloc(CPU0_STACK_PAGES, &km->cpu0_stack);
    if (err != KEEL_OK) {
        return err;
    }
    km->as = kmalloc(sizeof(*km->as));
    if (km->as == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    /* From here on the heap's copy is the one address space; the boot one is retired. */
    *km->as = *mm.as;
    mm.as = km->as;
    return KEEL_OK;
}

/* 9. The module records, copied out: modules can overlap the boot info reclaimed next. */
static int step_modules(const struct boot_info *bi, struct kernel_memory *km)
{
    km->modules.count = bi->module_count;
    km->modules.items = NULL;
    if (bi->module_count == 0) {
        return KEEL_OK;
    }
    km->modules.items = kmalloc(bi->module_count * sizeof(struct bi_module));
    if (km->modules.items == NULL) {
        return KEEL_E_NO_MEMORY;
    }
    memcpy(km->modules.items, bi->modules, bi->module_count * sizeof(struct bi_module));
    return KEEL_OK;
}

/*
 * 10. The boot info's pages: unmapped, then their frames freed. The normaliser typed a
 * page that the boot info shares with a module as "module", so such a page is kept.
 */
static int step_reclaim(const struct boot_info *bi)
{
    int err = KEEL_OK;

    if (mm.boot_info_size != 0) {
        err = mm_unmap(mm.as, va_init(BOOT_INFO_VBASE), mm.boot_info_size);
    }
    mm.boot_info_reclaimed = true;
    for (uint32_t i = 0; i < bi->mem_count && err == KEEL_OK; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        if (r->type == BI_MEM_BOOT_INFO) {
            err = frame_free(&mm.frames, pa_init(r->base), r->size / PAGE_SIZE,
                             FRAME_OWNER_BOOT_INFO);
        }
    }
    return err;
}

int mm_unmap(struct address_space *as, vaddr_t va, uint64_t size)
{
    for (size_t i = 0; i < as->pinned_count; i++) {
        const struct mm_region *p = &as->pinned[i];
        if (va.va < p->va.va + p->size && p->va.va < va.va + size) {
            return KEEL_E_MM_PINNED;
        }
    }
    return arch_unmap_section(&as->pt, va, size);
}

/* keel.fail_alloc=N: the N-th frame or heap allocation of the sequence fails. */
static void arm_fail_injection(const struct boot_info *bi)
{
    char value[24];
    uint64_t n = 0;

    if (cmdline_value(bi->cmdline, "keel.fail_alloc", value, sizeof(value))) {
        for (const char *p = value; *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (uint64_t)(*p - '0');
        }
    }
    alloc_fail_arm(&mm.fail, n);
}

/* A NULL from the heap reads as "out of memory"; say so when it was keel.fail_alloc. */
static int injected_or(int err)
{
    return err == KEEL_E_NO_MEMORY && mm.fail.failed != 0 ? KEEL_E_ALLOC_INJECTED : err;
}

int mm_init(const struct boot_info *bi, struct kernel_memory *km, const char **phase)
{
    int err;

    memset(km, 0, sizeof(*km));
    mm.bi = bi;
    mm.as = &mm.boot_as;
    arm_fail_injection(bi);
#define STEP(name, call)                                                                           \
    do {                                                                                           \
        *phase = (name);                                                                           \
        err = (call);                                                                              \
        if (err != KEEL_OK) {                                                                      \
            return injected_or(err);                                                               \
        }                                                                                          \
        timeline_mark(name);                                                                       \
    } while (0)

    STEP("mm.frames", step_frames(bi));
    STEP("mm.create", step_create());
    STEP("mm.map", step_map(bi, km));
    STEP("mm.audit", mm_audit(mm.as, km));
    *phase = "mm.switch";
    step_switch();
    timeline_mark("mm.switch");
    STEP("mm.heap", step_heap());
    STEP("mm.post_heap", step_post_heap(km));
    STEP("mm.modules", step_modules(bi, km));
    STEP("mm.reclaim", step_reclaim(bi));
    STEP("mm.check", frame_alloc_check(&mm.frames));
#undef STEP
    mm.allocations = mm.fail.count;
    return KEEL_OK;
}

void *kmalloc(size_t size)
{
    return heap_alloc(&mm.heap, size);
}

void kfree(void *ptr)
{
    int err = heap_free(&mm.heap, ptr);

    if (err != KEEL_OK) {
        panic("kfree(%p): %s", ptr, keel_strerror(err));
    }
}

bool mm_is_reclaimed_boot_info(uint64_t va)
{
    return mm.boot_info_reclaimed && va >= BOOT_INFO_VBASE &&
           va - BOOT_INFO_VBASE < mm.boot_info_size;
}

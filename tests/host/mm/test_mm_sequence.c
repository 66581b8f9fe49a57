/* SPDX-License-Identifier: MIT */
/* The whole memory sequence on real loaders' boot_info, with each allocation failed in turn. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/init.h>
#include <keel/layout.h>
#include <keel/memmap.h>
#include <keel/mm.h>
#include <keel/ramfb.h>
#include <keel/shim.h>

#include "fake_phys.h"
#include "test_util.h"

/*
 * The machine under test is the fake arch (tests/host/pt/fake_arch): its page-table
 * entries are encoded unlike either real arch's. Physical memory is a sparse host
 * mapping with RAM at its real addresses; the switch and the pointers to live kernel
 * addresses come from the environment below, which translates through the table the
 * sequence built, the way the CPU would.
 */

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
/* Before the switch, frames must lie in the boot 1:1 window every arch gives. */
#define EARLY_WINDOW_END (UINT64_C(4) << 30)
#define STEP_MAX 16
/* Where the first of two shim runs puts a DTB: anywhere will do to learn the RAM. */
#define DTB_PROBE_PA UINT64_C(0x48000000)

/*
 * The images of the gcc builds (nm keel-example.elf) as offsets from KERNEL_VBASE, and
 * where each door puts them: GRUB at 2 MiB, QEMU's -kernel at RAM + 2 MiB.
 */
struct image_layout {
    uint64_t phys; /* the physical base; the rest are offsets from KERNEL_VBASE */
    uint64_t text, rodata, data, bss, guard, bss_end, end;
};
static const struct image_layout x86_64_layout = {0x200000, 0x1000,  0xe000,  0x12000,
                                                  0x13000,  0x1c000, 0x39000, 0x39000};
static const struct image_layout aarch64_layout = {0x40200000, 0x0,     0xe000,  0x12000,
                                                   0x13000,    0x13000, 0x2b100, 0x31000};

/* Where each GRUB fixture's information structure was (tests/host/fixtures/README.md). */
static const struct {
    const char *file;
    uint64_t pa;
} grub_fixtures[] = {
    {"mb2-grub-512m.bin", 0x13b170},
    {"mb2-grub-4g.bin", 0x13b170},
    {"mb2-grub-fb-512m.bin", 0x163170},
    {"mb2-grub-efi-512m.bin", 0x8a000},
};

/* The steps in the order mm_init runs them; a failure names one of them. */
static const char *const steps[] = {"mm.frames",  "mm.create", "mm.map",       "mm.audit",
                                    "mm.switch",  "mm.heap",   "mm.post_heap", "mm.modules",
                                    "mm.reclaim", "mm.check"};
#define STEP_COUNT (sizeof(steps) / sizeof(steps[0]))
#define SWITCH_STEP 4

/* One machine: a boot_info from a real loader's data, and what the fake hooks answer. */
struct machine {
    const char *name;
    struct boot_info bi; /* as the shim (and ramfb) left it */
    struct boot_info run_bi;
    struct keel_image image;
    bool huge_1g;
    unsigned va_bits; /* 48, or 39: the same sequence on a three-level table */
    uint64_t console_mmio;
    struct fake_ram ram;
    struct mm_state mm;
    struct kernel_memory km;
    uint64_t early_lo; /* the boot 1:1 window starts here (0: at 0) */
    bool switched;     /* the fake switch ran: the boot 1:1 window is gone */
    bool walking;      /* the fake MMU is walking the table */
    size_t invalidations;
    const char *marks[STEP_MAX];
    size_t mark_count;
};

/* The fake arch hooks and the environment reach the machine of the current run. */
static struct machine *cur;

static noreturn void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "test_mm_sequence: %s: ", cur != NULL ? cur->name : "-");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static bool is_ram(uint32_t type)
{
    return type == BI_MEM_USABLE || type == BI_MEM_BOOTLOADER_RECLAIMABLE ||
           type == BI_MEM_BOOT_INFO || type == BI_MEM_MODULE || type == BI_MEM_KERNEL ||
           type == BI_MEM_ACPI_RECLAIMABLE || type == BI_MEM_EFI_RUNTIME;
}

static bool ram_covers(const struct boot_info *bi, uint64_t pa, uint64_t size)
{
    for (uint32_t i = 0; i < bi->mem_count && size != 0; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        if (is_ram(r->type) && pa >= r->base && pa - r->base < r->size) {
            uint64_t n = r->size - (pa - r->base) < size ? r->size - (pa - r->base) : size;
            pa += n;
            size -= n;
        }
    }
    return size == 0;
}

/* ---- The arch hooks, the console and the failure path, as the sequence calls them ---- */

const void *arch_early_phys_ptr(uint64_t pa, uint64_t len)
{
    if (cur->switched || pa < cur->early_lo || pa >= EARLY_WINDOW_END ||
        len > EARLY_WINDOW_END - pa) {
        return NULL;
    }
    return fake_ram_ptr(&cur->ram, pa, len);
}

bool arch_has_1g_pages(void)
{
    return cur->huge_1g;
}

unsigned arch_va_bits(void)
{
    return cur->va_bits;
}

uint64_t console_uart_mmio_base(void)
{
    return cur->console_mmio;
}

void arch_tlb_invalidate(uint64_t va, uint64_t size)
{
    if (!cur->switched || size == 0 || va % PAGE_SIZE != 0) {
        die("TLB invalidation of 0x%llx+0x%llx on a table that is not live", (unsigned long long)va,
            (unsigned long long)size);
    }
    cur->invalidations++;
}

bool console_fb_attached(void)
{
    return cur->bi.framebuffer.source != BI_FB_NONE;
}

void timeline_mark(const char *stage)
{
    if (cur->mark_count < STEP_MAX) {
        cur->marks[cur->mark_count++] = stage;
    }
}

noreturn void panic(const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    die("panic: %s", msg);
}

/* ---- The environment: the switch, and the CPU's view of live kernel addresses ---- */

static void expect_mapped(const struct page_table *pt, uint64_t va, uint64_t pa, pt_flags_t flags,
                          const char *what)
{
    struct pt_mapping m;

    if (!pt_query(pt, va_init(va), &m) || m.pa.pa + (va - m.va.va) != pa || m.flags != flags) {
        die("the table to switch to does not map the %s at 0x%llx", what, (unsigned long long)va);
    }
}

/* What a CPU needs in the new table to keep running through the switch. */
static void fake_switch(void *ctx, const struct page_table *pt, uint64_t console_va, uint64_t fb_va)
{
    struct machine *m = ctx;
    const struct keel_image *img = &m->image;
    uint64_t text_pa = image_pa(img, img->text.start);
    uint64_t sp = img->boot_stack_top - 16;

    if (m->switched) {
        die("a second switch");
    }
    expect_mapped(pt, img->text.start, text_pa, PT_READ | PT_EXEC, "text");
    expect_mapped(pt, text_pa, text_pa, PT_READ | PT_EXEC, "identity alias of the text");
    expect_mapped(pt, sp, image_pa(img, sp), PT_READ | PT_WRITE, "boot stack");
    if (console_va != 0) {
        expect_mapped(pt, console_va, m->console_mmio, PT_READ | PT_WRITE | PT_MEM_DEVICE,
                      "console");
    }
    if (fb_va != 0) {
        expect_mapped(pt, fb_va, m->bi.framebuffer.base, PT_READ | PT_WRITE | PT_MEM_WC,
                      "framebuffer");
    }
    m->switched = true;
}

/*
 * The CPU's view once the table is live: [va, va + len) translated through it, page by
 * page, to physically contiguous RAM. The table's own frames are read through the
 * direct map while a translation walks, as a hardware walker reads physical memory.
 */
static void *fake_live_ptr(void *ctx, uint64_t va, uint64_t len)
{
    struct machine *m = ctx;
    struct pt_mapping leaf;
    uint64_t pa = 0;

    if (!m->switched) {
        die("a live pointer before the switch");
    }
    if (m->walking) {
        uint64_t direct = m->mm.layout.direct_map_base;
        return va >= direct ? fake_ram_ptr(&m->ram, va - direct, len) : NULL;
    }
    m->walking = true;
    for (uint64_t off = 0; off < len;) {
        if (!pt_query(&m->mm.as->pt, va_init(va + off), &leaf) ||
            (leaf.flags & (PT_WRITE | PT_MEM_MASK)) != PT_WRITE) {
            die("0x%llx is not mapped as writable RAM", (unsigned long long)(va + off));
        }
        uint64_t here = leaf.pa.pa + (va + off - leaf.va.va);
        if (off == 0) {
            pa = here;
        } else if (here != pa + off) {
            die("0x%llx+0x%llx is not physically contiguous", (unsigned long long)va,
                (unsigned long long)len);
        }
        off = leaf.va.va + leaf.size - va;
    }
    m->walking = false;
    void *p = fake_ram_ptr(&m->ram, pa, len);
    if (p == NULL || !ram_covers(&m->bi, pa, len)) {
        die("0x%llx maps 0x%llx, which is not RAM", (unsigned long long)va, (unsigned long long)pa);
    }
    return p;
}

/* ---- Machines from the fixtures ---- */

static void set_image(struct machine *m, const struct image_layout *l)
{
    uint64_t v = KERNEL_VBASE;

    m->image = (struct keel_image){
        .phys_base = l->phys,
        .virt = {v, v + l->end},
        .text = {v + l->text, v + l->rodata},
        .rodata = {v + l->rodata, v + l->data},
        .data = {v + l->data, v + l->bss},
        .bss = {v + l->bss, v + l->bss_end},
        .boot_stack_guard = v + l->guard,
        .boot_stack_bottom = v + l->guard + PAGE_SIZE,
        .boot_stack_top = v + l->guard + PAGE_SIZE + BOOT_STACK_SIZE,
    };
}

static int run_shim(struct machine *m, const struct test_blob *b, bool fdt)
{
    struct shim_env env = {
        .kernel_base = m->image.phys_base,
        .kernel_size = m->image.virt.end - m->image.virt.start,
        .entry_state = fdt ? 1 : BI_X86_PROTECTED32,
        .phys_ptr = test_blob_ptr,
        .ctx = (void *)b,
    };
    if (fdt) {
        return shim_fdt(b->data, b->pa, b->len, "qemu", &env, &m->bi);
    }
    return shim_multiboot2(MB2_BOOTLOADER_MAGIC, b->data, b->pa, b->len, &env, &m->bi);
}

/* What ramfb_setup() leaves in bi on QEMU with -device ramfb, as `keel run` starts it. */
static void add_ramfb(struct boot_info *bi)
{
    uint64_t pa;

    CHECK_ERR(bi_reserve_framebuffer(bi, RAMFB_WIDTH * 4 * RAMFB_HEIGHT, 2 * MIB, &pa), KEEL_OK);
    bi->framebuffer = (struct bi_framebuffer){.base = pa,
                                              .width = RAMFB_WIDTH,
                                              .height = RAMFB_HEIGHT,
                                              .pitch = RAMFB_WIDTH * 4,
                                              .bpp = 32,
                                              .red_pos = 16,
                                              .red_size = 8,
                                              .green_pos = 8,
                                              .green_size = 8,
                                              .blue_size = 8,
                                              .source = BI_FB_RAMFB};
}

/* RAM as the boot_info says, the loader's blob at its address in it. */
static void make_ram(struct machine *m, const struct test_blob *b)
{
    uint64_t lo = UINT64_MAX;
    uint64_t hi = 0;

    for (uint32_t i = 0; i < m->bi.mem_count; i++) {
        const struct bi_mem_range *r = &m->bi.mem[i];
        if (is_ram(r->type)) {
            lo = r->base < lo ? r->base : lo;
            hi = r->base + r->size > hi ? r->base + r->size : hi;
        }
    }
    fake_ram_init(&m->ram, lo, hi - lo);
    for (uint32_t i = 0; i < m->bi.mem_count; i++) {
        if (is_ram(m->bi.mem[i].type)) {
            fake_ram_add(&m->ram, m->bi.mem[i].base, m->bi.mem[i].size);
        }
    }
    memcpy(fake_ram_ptr(&m->ram, b->pa, b->len), b->data, b->len);
}

static struct machine *grub_machine(const char *path)
{
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    struct machine *m = calloc(1, sizeof(*m));
    size_t size;
    uint8_t *raw = test_read_file(path, &size);
    uint64_t *aligned = calloc(1, size + 8); /* the shim wants the blob 8-byte aligned */

    memcpy(aligned, raw, size);
    free(raw);
    struct test_blob b = {(const uint8_t *)aligned, size, 0};
    for (size_t i = 0; i < sizeof(grub_fixtures) / sizeof(grub_fixtures[0]); i++) {
        if (strcmp(base, grub_fixtures[i].file) == 0) {
            b.pa = grub_fixtures[i].pa;
        }
    }
    if (b.pa == 0) {
        die("%s: no recorded address for this fixture", path);
    }
    cur = m;
    m->name = base;
    set_image(m, &x86_64_layout);
    /* QEMU's qemu64 CPU, which the x86_64-grub target runs, has no 1 GiB pages. */
    m->huge_1g = false;
    m->va_bits = PT_VA_BITS_MAX;
    CHECK_ERR(run_shim(m, &b, false), KEEL_OK);
    make_ram(m, &b);
    free(aligned);
    return m;
}

/*
 * QEMU's -kernel boot puts the DTB at RAM + min(RAM / 2, 128 MiB), 2 MiB-aligned, and
 * the Image at RAM + 2 MiB. A first shim run finds the RAM, the second is the real one.
 */
static struct machine *dtb_machine(const char *path, unsigned va_bits)
{
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    struct machine *m = calloc(1, sizeof(*m));
    size_t size;
    uint8_t *data = test_read_file(path, &size);
    struct test_blob b = {data, size, DTB_PROBE_PA};
    uint64_t lo = UINT64_MAX;
    uint64_t hi = 0;

    cur = m;
    m->name = base;
    set_image(m, &aarch64_layout);
    m->huge_1g = true;
    m->va_bits = va_bits;
    CHECK_ERR(run_shim(m, &b, true), KEEL_OK);
    for (uint32_t i = 0; i < m->bi.mem_count; i++) {
        const struct bi_mem_range *r = &m->bi.mem[i];
        if (r->type == BI_MEM_USABLE || r->type == BI_MEM_KERNEL) {
            lo = r->base < lo ? r->base : lo;
            hi = r->base + r->size > hi ? r->base + r->size : hi;
        }
    }
    b.pa = align_up(lo + ((hi - lo) / 2 < 128 * MIB ? (hi - lo) / 2 : 128 * MIB), 2 * MIB);
    CHECK_ERR(run_shim(m, &b, true), KEEL_OK);
    CHECK(m->bi.console.kind == BI_CONSOLE_PL011 && m->bi.fw_cfg_base != 0);
    m->console_mmio = m->bi.console.base;
    add_ramfb(&m->bi);
    make_ram(m, &b);
    free(data);
    return m;
}

/* ---- Runs and their checks ---- */

/* One run of mm_init; `fail_at` 0 runs it whole, N makes its N-th allocation fail. */
static int run(struct machine *m, uint64_t fail_at, const char **phase)
{
    struct mm_env env = {
        .image = m->image, .switch_table = fake_switch, .live_ptr = fake_live_ptr, .ctx = m};
    size_t n;

    m->run_bi = m->bi;
    n = strlen(m->run_bi.cmdline);
    if (fail_at != 0) {
        /* The kernel's own command-line option arms the counter, as in a real boot. */
        snprintf(m->run_bi.cmdline + n, sizeof(m->run_bi.cmdline) - n, "%skeel.fail_alloc=%llu",
                 n != 0 ? " " : "", (unsigned long long)fail_at);
    }
    m->switched = false;
    m->walking = false;
    m->invalidations = 0;
    m->mark_count = 0;
    cur = m;
    *phase = NULL;
    return mm_init(&m->mm, &env, &m->run_bi, &m->km, phase);
}

/* The frames a run used get garbage, so that no run leans on what an earlier one left. */
static void scribble(struct machine *m)
{
    static struct frame_extent copy[4 * MM_BOOT_EXTENTS];
    const struct frame_alloc *fa = &m->mm.frames;
    size_t count = fa->extent_count;

    if (count > sizeof(copy) / sizeof(copy[0])) {
        die("%zu extents", count);
    }
    memcpy(copy, fa->extents, count * sizeof(copy[0])); /* they may live on the heap */
    for (size_t i = 0; i < count; i++) {
        uint32_t o = copy[i].owner;
        if (o == FRAME_OWNER_PAGE_TABLES || o == FRAME_OWNER_HEAP || o == FRAME_OWNER_STACKS) {
            memset(fake_ram_ptr(&m->ram, copy[i].pfn * PAGE_SIZE, copy[i].count * PAGE_SIZE), 0xa5,
                   copy[i].count * PAGE_SIZE);
        }
    }
}

/*
 * Frames of RAM the allocator must manage: what the map types usable, kernel, module,
 * boot info and bootloader-reclaimable.
 */
static uint64_t expected_total(const struct boot_info *bi)
{
    uint64_t frames = 0;

    for (uint32_t i = 0; i < bi->mem_count; i++) {
        uint32_t t = bi->mem[i].type;
        if (t == BI_MEM_USABLE || t == BI_MEM_KERNEL || t == BI_MEM_MODULE ||
            t == BI_MEM_BOOT_INFO || t == BI_MEM_BOOTLOADER_RECLAIMABLE) {
            frames += bi->mem[i].size / PAGE_SIZE;
        }
    }
    return frames;
}

/* The books add up, and each owner holds exactly what the sequence's own counts say. */
static void check_books(const struct machine *m, uint64_t total)
{
    const struct mm_state *mm = &m->mm;
    const struct frame_alloc *fa = &mm->frames;
    uint64_t owned = 0;

    CHECK_ERR(frame_alloc_check(fa), KEEL_OK);
    for (uint32_t o = FRAME_OWNER_FREE + 1; o < FRAME_OWNER_COUNT; o++) {
        owned += fa->frames_by_owner[o];
    }
    CHECK(fa->frames_free + owned == fa->frames_total);
    CHECK(fa->frames_total == total);
    CHECK(fa->frames_by_owner[FRAME_OWNER_PAGE_TABLES] == mm->as->pt.table_pages);
    if (mm->as->pt.table_pages != 0) {
        CHECK(pt_count_tables(&mm->as->pt) == mm->as->pt.table_pages);
    }
    CHECK(fa->frames_by_owner[FRAME_OWNER_HEAP] * PAGE_SIZE == mm->heap_mapped);
    CHECK(fa->frames_by_owner[FRAME_OWNER_STACKS] ==
          (m->km.cpu0_stack.top.va - m->km.cpu0_stack.bottom.va) / PAGE_SIZE);
}

/* Every page of the region is mapped to its own frame with its own flags. */
static bool region_mapped(const struct page_table *pt, const struct mm_region *r)
{
    struct pt_mapping leaf;

    for (uint64_t off = 0; off < r->size;) {
        if (!pt_query(pt, va_add(r->va, off), &leaf) || leaf.flags != r->flags ||
            leaf.pa.pa + (r->va.va + off - leaf.va.va) != r->pa.pa + off) {
            return false;
        }
        off = leaf.va.va + leaf.size - r->va.va;
    }
    return true;
}

/* A list of kept regions is a prefix of the whole run's, and all of it is mapped. */
static void check_kept(const struct page_table *pt, const struct mm_region *got, size_t n,
                       const struct mm_region *whole, size_t whole_n)
{
    CHECK(n <= whole_n);
    for (size_t i = 0; i < n && i < whole_n; i++) {
        const struct mm_region *r = &got[i];
        const struct mm_region *w = &whole[i];
        CHECK(r->va.va == w->va.va && r->pa.pa == w->pa.pa && r->size == w->size &&
              r->flags == w->flags);
        CHECK(region_mapped(pt, r));
    }
}

/* After a failure: the pinned list and the drop list, each a prefix of the whole run's. */
static void check_pinned(const struct machine *m, const struct address_space *whole)
{
    const struct address_space *as = m->mm.as;

    check_kept(&as->pt, as->pinned, as->pinned_count, whole->pinned, whole->pinned_count);
    check_kept(&as->pt, as->drop, as->drop_count, whole->drop, whole->drop_count);
}

static size_t step_index(const char *phase)
{
    for (size_t i = 0; phase != NULL && i < STEP_COUNT; i++) {
        if (strcmp(phase, steps[i]) == 0) {
            return i;
        }
    }
    return STEP_COUNT;
}

static void check_marks(const struct machine *m, size_t count)
{
    CHECK(m->mark_count == count);
    for (size_t i = 0; i < m->mark_count && i < count; i++) {
        CHECK(strcmp(m->marks[i], steps[i]) == 0);
    }
}

static void check_failure(const struct machine *m, int err, const char *phase,
                          const struct address_space *whole, uint64_t total)
{
    size_t step = step_index(phase);

    CHECK_ERR(err, KEEL_E_ALLOC_INJECTED);
    CHECK(step < STEP_COUNT && m->mm.fail.failed == 1);
    /* Before the switch the boot tables stay live; the half-built table is abandoned. */
    CHECK(m->switched == (step > SWITCH_STEP));
    check_marks(m, step);
    check_pinned(m, whole);
    check_books(m, total);
}

/* ---- The whole run's result ---- */

struct leaf_census {
    const struct machine *m;
    uint64_t direct_bytes;
    unsigned direct_sizes; /* bit 0: 4 KiB leaves, 1: 2 MiB, 2: 1 GiB */
    size_t stray;
};

static bool within(uint64_t va, uint64_t size, uint64_t base, uint64_t len)
{
    return va >= base && va - base < len && size <= len - (va - base);
}

/* The rights of the image's section that holds [va, va + size), or 0 when none does. */
static pt_flags_t image_rights(const struct keel_image *img, uint64_t va, uint64_t size)
{
    uint64_t guard = img->boot_stack_guard;

    if (within(va, size, img->text.start, img->text.end - img->text.start)) {
        return PT_READ | PT_EXEC;
    }
    if (within(va, size, img->rodata.start, img->rodata.end - img->rodata.start)) {
        return PT_READ;
    }
    if (within(va, size, img->data.start, img->data.end - img->data.start) ||
        within(va, size, img->bss.start, guard - img->bss.start) ||
        within(va, size, guard + PAGE_SIZE,
               align_up(img->bss.end, PAGE_SIZE) - guard - PAGE_SIZE)) {
        return PT_READ | PT_WRITE;
    }
    return 0;
}

/* Sorts every leaf of the final table into what it must be, and counts what it cannot be. */
static int census_leaf(void *arg, const struct pt_mapping *l)
{
    struct leaf_census *c = arg;
    const struct machine *m = c->m;
    const struct mm_state *mm = &m->mm;
    const struct kernel_memory *km = &m->km;
    const struct bi_framebuffer *fb = &m->bi.framebuffer;
    uint64_t va = l->va.va;
    uint64_t pa = l->pa.pa;
    pt_flags_t rw = PT_READ | PT_WRITE;
    bool ok;

    const struct layout *lo = &mm->layout;

    if (within(va, l->size, lo->direct_map_base, lo->direct_map_size)) {
        ok = pa == va - lo->direct_map_base && l->flags == rw && ram_covers(&m->bi, pa, l->size);
        c->direct_bytes += l->size;
        c->direct_sizes |= l->size >= GIB ? 4u : l->size >= 2 * MIB ? 2u : 1u;
    } else if (within(va, l->size, lo->heap_vbase, mm->heap_mapped)) {
        ok = l->flags == rw && frame_alloc_owner_of(&mm->frames, l->pa) == FRAME_OWNER_HEAP;
    } else if (va >= lo->stacks_vbase && va < lo->boot_info_vbase) {
        ok = l->flags == rw && !mm_is_guard_page_in(mm, va) &&
             within(va, l->size, km->cpu0_stack.bottom.va,
                    km->cpu0_stack.top.va - km->cpu0_stack.bottom.va) &&
             frame_alloc_owner_of(&mm->frames, l->pa) == FRAME_OWNER_STACKS;
    } else if (va >= lo->mmio_vbase && va < lo->framebuffer_vbase) {
        ok = m->console_mmio != 0 && va == lo->mmio_vbase && l->size == PAGE_SIZE &&
             l->flags == (rw | PT_MEM_DEVICE) &&
             pa == (m->console_mmio & ~(uint64_t)(PAGE_SIZE - 1));
    } else if (va >= lo->framebuffer_vbase && va < m->image.virt.start) {
        uint64_t fb_page = fb->base & ~(uint64_t)(PAGE_SIZE - 1);
        ok = fb->source != BI_FB_NONE && l->flags == (rw | PT_MEM_WC) &&
             pa == fb_page + (va - lo->framebuffer_vbase) &&
             pa + l->size <= align_up(fb->base + (uint64_t)fb->pitch * fb->height, PAGE_SIZE);
    } else if (va >= m->image.virt.start) {
        pt_flags_t want = image_rights(&m->image, va, l->size);
        ok = want != 0 && l->flags == want && pa == image_pa(&m->image, va);
    } else if (va < UINT64_C(1) << (lo->va_bits - 1)) {
        const struct mm_region *id = &km->identity[0];
        ok = km->identity_count == 1 && pa == va && l->flags == (PT_READ | PT_EXEC) &&
             within(va, l->size, id->va.va, id->size);
    } else {
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "%s: unexpected leaf 0x%llx -> 0x%llx size 0x%llx flags 0x%x\n", m->name,
                (unsigned long long)va, (unsigned long long)pa, (unsigned long long)l->size,
                l->flags);
        c->stray++;
    }
    return 0;
}

/* Every page of [start, end) mapped with `flags` at its image address; false otherwise. */
static bool image_mapped(const struct machine *m, uint64_t start, uint64_t end, pt_flags_t flags)
{
    struct mm_region r = {.va = va_init(start),
                          .pa = pa_init(image_pa(&m->image, start)),
                          .size = end - start,
                          .flags = flags};
    return region_mapped(&m->mm.as->pt, &r);
}

struct text_buf {
    char text[8192];
    size_t len;
};

static void text_write(void *ctx, const char *s, size_t n)
{
    struct text_buf *b = ctx;

    if (n < sizeof(b->text) - b->len) {
        memcpy(b->text + b->len, s, n);
        b->len += n;
        b->text[b->len] = '\0';
    }
}

/* The boot report's "mm" member says `rights` for the section `name`. */
static bool report_rights(const char *json, const char *name, const char *rights)
{
    char key[64];

    snprintf(key, sizeof(key), "{\"name\": \"%s\"", name);
    const char *at = strstr(json, key);
    const char *r = at != NULL ? strstr(at, "\"rights\": \"") : NULL;
    return r != NULL && strncmp(r + strlen("\"rights\": \""), rights, 3) == 0;
}

/* Is there a whole, aligned GiB of RAM for a 1 GiB leaf of the direct map? */
static bool has_ram_gib(const struct boot_info *bi)
{
    for (uint64_t gib = GIB; gib < (UINT64_C(64) << 30); gib += GIB) {
        if (ram_covers(bi, gib, GIB)) {
            return true;
        }
    }
    return false;
}

static void check_result(const struct machine *m, uint64_t total)
{
    const struct mm_state *mm = &m->mm;
    const struct kernel_memory *km = &m->km;
    const struct keel_image *img = &m->image;
    const struct boot_info *bi = &m->bi;
    const struct page_table *pt = &mm->as->pt;
    struct leaf_census census = {.m = m};
    struct pt_mapping leaf;
    uint64_t ram = 0;

    check_marks(m, STEP_COUNT);
    CHECK(m->switched && mm->live && km->as == mm->as && km->as != &mm->boot_as);
    check_books(m, total);
    CHECK(mm->frames.frames_by_owner[FRAME_OWNER_BOOT_INFO] == 0);

    /* Each section with its rights, the boot stack without its guard page. */
    CHECK(image_mapped(m, img->text.start, img->text.end, PT_READ | PT_EXEC));
    CHECK(image_mapped(m, img->rodata.start, img->rodata.end, PT_READ));
    CHECK(image_mapped(m, img->data.start, img->data.end, PT_READ | PT_WRITE));
    CHECK(image_mapped(m, img->bss.start, img->boot_stack_guard, PT_READ | PT_WRITE));
    CHECK(image_mapped(m, img->boot_stack_guard + PAGE_SIZE, align_up(img->bss.end, PAGE_SIZE),
                       PT_READ | PT_WRITE));
    CHECK(!pt_query(pt, va_init(img->boot_stack_guard), &leaf));
    CHECK(mm_is_guard_page_in(mm, img->boot_stack_guard) &&
          !mm_is_guard_page_in(mm, img->boot_stack_bottom));
    CHECK(!pt_query(pt, km->cpu0_stack.guard, &leaf) &&
          mm_is_guard_page_in(mm, km->cpu0_stack.guard.va));
    CHECK(region_mapped(pt, &km->identity[0]));

    /* The table is as deep as the width asks, and its layout is that width's. */
    CHECK(mm->layout.va_bits == m->va_bits && pt->root_level == (int)(48 - m->va_bits) / 9);
    CHECK(m->va_bits == 48 ? mm->layout.direct_map_base == DIRECT_MAP_BASE
                           : mm->layout.direct_map_base == UINT64_C(0xffffffc000000000) &&
                                 mm->layout.heap_vbase == UINT64_C(0xffffffe000000000));

    /* Every leaf is one the layout allows, and the direct map holds all RAM, once. */
    CHECK(pt_walk(pt, census_leaf, &census) == 0 && census.stray == 0);
    for (uint32_t i = 0; i < bi->mem_count; i++) {
        ram += is_ram(bi->mem[i].type) ? bi->mem[i].size : 0;
    }
    CHECK(census.direct_bytes == ram);
    CHECK((census.direct_sizes & 6u) != 0);
    CHECK(((census.direct_sizes & 4u) != 0) == (m->huge_1g && has_ram_gib(bi)));

    /* The boot info reclaimed: its alias gone (on a live table), its frames free. */
    CHECK(!pt_query(pt, va_init(mm->layout.boot_info_vbase), &leaf) && m->invalidations > 0);
    CHECK(mm_is_reclaimed_boot_info_in(mm, mm->layout.boot_info_vbase));
    for (uint32_t i = 0; i < bi->mem_count; i++) {
        if (bi->mem[i].type == BI_MEM_BOOT_INFO) {
            CHECK(frame_alloc_owner_of(&mm->frames, pa_init(bi->mem[i].base)) == FRAME_OWNER_FREE);
        }
    }

    /* The modules copied, RAM through the direct map, the framebuffer's mapping. */
    CHECK(km->modules.count == bi->module_count);
    CHECK(bi->module_count == 0 ||
          memcmp(km->modules.items, bi->modules, bi->module_count * sizeof(bi->modules[0])) == 0);
    CHECK(mm_phys_ptr_in(mm, img->phys_base, PAGE_SIZE) ==
          fake_ram_ptr(&m->ram, img->phys_base, PAGE_SIZE));
    CHECK((mm_fb_mapping_in(mm) != NULL) == (bi->framebuffer.source != BI_FB_NONE));
    if (bi->framebuffer.source != BI_FB_NONE) {
        CHECK(mm_phys_ptr_in(mm, bi->framebuffer.base, PAGE_SIZE) == NULL);
    }

    /* What the boot report reads back from the table. */
    struct text_buf json = {.len = 0};
    struct sink s = {.write = text_write, .ctx = &json};
    mm_report_json_in(&s, mm, km);
    CHECK(report_rights(json.text, "text", "r-x") && report_rights(json.text, "rodata", "r--") &&
          report_rights(json.text, "data", "rw-") && report_rights(json.text, "boot_stack", "rw-"));
}

/*
 * The drop after the CPUs are up: the identity mapping is refused to mm_unmap until
 * then, so are pages that mm_identity_map_in adds (up to the list's room, never W+X),
 * and mm_drop_identity_in removes them all (and the lower half's tables with them),
 * empties the lists, passes the audit again and keeps the books, allocating nothing.
 */
static void check_drop(struct machine *m, uint64_t total)
{
    struct mm_state *mm = &m->mm;
    struct kernel_memory *km = &m->km;
    struct mm_region id = km->identity[0];
    struct pt_mapping leaf;

    CHECK(km->identity_count == 1 && mm->as->drop_count == 1);
    CHECK_ERR(mm_unmap(mm->as, id.va, PAGE_SIZE), KEEL_E_MM_PINNED);
    CHECK(region_mapped(&mm->as->pt, &id) && !mm_is_dropped_identity_in(mm, id.va.va));
    /* A page of its own for a start path (a trampoline): on the lists, refused W+X. */
    uint64_t page = align_up(id.pa.pa + id.size, PAGE_SIZE) + 16 * MIB;
    CHECK_ERR(mm_identity_map_in(mm, km, "rwx", page, PAGE_SIZE, PT_READ | PT_WRITE | PT_EXEC),
              KEEL_E_MM_AUDIT_WX);
    CHECK_ERR(mm_identity_map_in(mm, km, "page", page, PAGE_SIZE, PT_READ), KEEL_OK);
    CHECK(km->identity_count == 2 && mm->as->drop_count == 2);
    CHECK_ERR(mm_unmap(mm->as, va_init(page), PAGE_SIZE), KEEL_E_MM_PINNED);
    CHECK_ERR(mm_identity_map_in(mm, km, "more", page + PAGE_SIZE, PAGE_SIZE, PT_READ), KEEL_OK);
    CHECK_ERR(mm_identity_map_in(mm, km, "more", page + 2 * PAGE_SIZE, PAGE_SIZE, PT_READ),
              KEEL_OK);
    CHECK_ERR(mm_identity_map_in(mm, km, "full", page + 3 * PAGE_SIZE, PAGE_SIZE, PT_READ),
              KEEL_E_MM_IDENTITY_FULL);
    size_t tables = mm->as->pt.table_pages;
    uint64_t allocations = mm->fail.count;
    CHECK_ERR(mm_drop_identity_in(mm, km), KEEL_OK);
    CHECK(km->identity_count == 0 && mm->as->drop_count == 0 && mm->dropped_count == 4);
    CHECK(!pt_query(&mm->as->pt, va_init(page), &leaf) && mm_is_dropped_identity_in(mm, page));
    CHECK(!pt_query(&mm->as->pt, id.va, &leaf) &&
          !pt_query(&mm->as->pt, va_add(id.va, id.size - PAGE_SIZE), &leaf));
    CHECK(mm->dropped_tables >= 1 && mm->as->pt.table_pages == tables - mm->dropped_tables);
    CHECK(mm_is_dropped_identity_in(mm, id.va.va) &&
          mm_is_dropped_identity_in(mm, id.va.va + id.size - 1) &&
          !mm_is_dropped_identity_in(mm, id.va.va + id.size));
    CHECK(mm->fail.count == allocations);
    check_books(m, total);
    /* A second drop has nothing left to unmap. */
    CHECK_ERR(mm_drop_identity_in(mm, km), KEEL_OK);
    CHECK(mm->dropped_count == 4 && mm->dropped_tables == 0);
}

/* After a whole run: a pinned range is refused, and the heap grows through the table. */
static void check_afterwards(struct machine *m, uint64_t total)
{
    struct mm_state *mm = &m->mm;
    uint64_t mapped = mm->heap_mapped;

    CHECK_ERR(mm_unmap(mm->as, m->km.text.va, PAGE_SIZE), KEEL_E_MM_PINNED);
    CHECK(region_mapped(&mm->as->pt, &m->km.text));
    uint8_t *p = kmalloc_in(mm, 3 * MIB);
    CHECK(p != NULL && mm->heap_mapped > mapped);
    if (p != NULL) {
        memset(p, 0x5a, 3 * MIB);
        kfree_in(mm, p);
    }
    CHECK_ERR(heap_check(&mm->heap), KEEL_OK);
    check_books(m, total);
    check_drop(m, total);
}

/* ---- The sweep ---- */

static void sweep(struct machine *m)
{
    static const char *phase_of[1024];
    uint64_t total = expected_total(&m->bi);
    struct address_space whole;
    const char *phase;
    int before = test_failures;

    int err = run(m, 0, &phase);
    if (err != KEEL_OK) {
        CHECK_ERR(err, KEEL_OK);
        fprintf(stderr, "%s: the whole sequence failed in %s\n", m->name, phase);
        return;
    }
    check_result(m, total);
    uint64_t count = m->mm.allocations;
    whole = *m->mm.as;
    check_afterwards(m, total);
    scribble(m);
    CHECK(count >= 5 && count < sizeof(phase_of) / sizeof(phase_of[0]));

    for (uint64_t n = 1; n <= count && n < sizeof(phase_of) / sizeof(phase_of[0]); n++) {
        int was = test_failures;
        err = run(m, n, &phase);
        check_failure(m, err, phase, &whole, total);
        phase_of[n] = phase;
        if (test_failures != was) {
            fprintf(stderr, "%s: keel.fail_alloc=%llu failed in %s\n", m->name,
                    (unsigned long long)n, phase != NULL ? phase : "(none)");
        }
        scribble(m);
    }
    /* One past the last allocation there is nothing to fail: the count is exact. */
    CHECK_ERR(run(m, count + 1, &phase), KEEL_OK);
    check_result(m, total);
    CHECK(m->mm.allocations == count && m->mm.fail.failed == 0);
    scribble(m);

    printf("%s: %llu allocations swept (", m->name, (unsigned long long)count);
    for (uint64_t n = 1; n <= count;) {
        uint64_t k = n;
        while (k + 1 <= count && phase_of[k + 1] == phase_of[n]) {
            k++;
        }
        printf("%s%s %llu", n == 1 ? "" : ", ", phase_of[n], (unsigned long long)(k - n + 1));
        n = k + 1;
    }
    printf("); %zu page-table pages, %u memory ranges, %u modules%s%s\n", whole.pt.table_pages,
           m->bi.mem_count, m->bi.module_count,
           m->bi.framebuffer.source != BI_FB_NONE ? ", a framebuffer" : "",
           test_failures != before ? ": FAILED" : "");
}

/*
 * A boot 1:1 window that leaves out the lowest RAM (issue 8: RAM from 0 under a window
 * that started at 1 GiB; today a range the board layer could not map): the sequence
 * must take its early frames from what the window reaches, and run whole, as it does
 * with each allocation failed in turn.
 */
static void early_window_gap(const char *path)
{
    struct machine *m = dtb_machine(path, PT_VA_BITS_MAX);

    m->early_lo = m->image.phys_base;
    CHECK(m->bi.mem_count > 0 && m->bi.mem[0].type == BI_MEM_USABLE &&
          m->bi.mem[0].base < m->early_lo);
    m->name = "early window from the image up";
    sweep(m);
    fake_ram_fini(&m->ram);
    free(m);
    cur = NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_mm_sequence FIXTURE.bin|QEMU.dtb...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        bool dtb = n > 4 && strcmp(argv[i] + n - 4, ".dtb") == 0;
        /* A DTB machine runs twice: on a four-level table and on a three-level one. */
        for (unsigned va_bits = PT_VA_BITS_MAX; va_bits >= (dtb ? 39u : PT_VA_BITS_MAX);
             va_bits -= 9) {
            struct machine *m = dtb ? dtb_machine(argv[i], va_bits) : grub_machine(argv[i]);
            sweep(m);
            fake_ram_fini(&m->ram);
            free(m);
            cur = NULL;
        }
        if (dtb && i == argc - 1) {
            early_window_gap(argv[i]);
        }
    }
    return test_finish("test_mm_sequence");
}

/* SPDX-License-Identifier: MIT */
/* The memory sequence: its state and services (its result, struct kernel_memory, is keel/memory.h).
 */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/boot_info.h>
#include <keel/fmt.h>
#include <keel/frame_alloc.h>
#include <keel/heap.h>
#include <keel/image.h>
#include <keel/layout.h>
#include <keel/memory.h>
#include <keel/page_table.h>
#include <keel/report.h>
#include <keel/spinlock.h>

/*
 * The kernel half at the width of the live table (arch_va_bits). At LAYOUT_VA_BITS it is
 * the constants above. At fewer bits each region keeps its order and its share of the
 * upper half: its distance from the top of the address space and its size shrink by
 * 2^(LAYOUT_VA_BITS - va_bits). At 39 bits: the direct map is 128 GiB at
 * 0xffffffc000000000, the heap 2 GiB at 0xffffffe000000000, the framebuffer's region
 * starts at 0xfffffff500000000. The image stays at KERNEL_VBASE, inside the top 2 GiB
 * at either width.
 */
struct layout {
    unsigned va_bits;
    uint64_t direct_map_base;
    uint64_t direct_map_size;
    uint64_t heap_vbase;
    uint64_t heap_max_size;
    uint64_t stacks_vbase;
    uint64_t boot_info_vbase;
    uint64_t mmio_vbase;
    uint64_t framebuffer_vbase;
};

static inline struct layout layout_for(unsigned va_bits)
{
    unsigned shift = LAYOUT_VA_BITS - va_bits;

    return (struct layout){
        .va_bits = va_bits,
        .direct_map_base = ~(~(uint64_t)DIRECT_MAP_BASE >> shift),
        .direct_map_size = (uint64_t)DIRECT_MAP_SIZE >> shift,
        .heap_vbase = ~(~(uint64_t)HEAP_VBASE >> shift),
        .heap_max_size = (uint64_t)HEAP_MAX_SIZE >> shift,
        .stacks_vbase = ~(~(uint64_t)STACKS_VBASE >> shift),
        .boot_info_vbase = ~(~(uint64_t)BOOT_INFO_VBASE >> shift),
        .mmio_vbase = ~(~(uint64_t)MMIO_VBASE >> shift),
        .framebuffer_vbase = ~(~(uint64_t)FRAMEBUFFER_VBASE >> shift),
    };
}

#define MM_PINNED_MAX 12u

/*
 * The kernel's address space. `pinned` lists the mappings of code and stacks that may
 * be running: mm_unmap() refuses to touch them, on every path, error paths included.
 * This is how C gets what a Rust NoDrop type gives: nothing but mm_unmap() removes
 * kernel mappings, and it checks this list first. `drop` lists the identity mappings
 * that secondary CPUs need to turn their MMU on: mm_unmap() refuses them as well, and
 * only mm_drop_identity_in(), once the CPUs are up, unmaps them (Theseus's
 * DropAfterInit), all of them at once.
 */
struct address_space {
    struct page_table pt;
    struct mm_region pinned[MM_PINNED_MAX];
    size_t pinned_count;
    struct mm_region drop[MM_IDENTITY_MAX];
    size_t drop_count;
};

#define MM_BOOT_EXTENTS BI_MEM_MAX

/*
 * What the memory sequence needs besides the arch hooks: the image it maps, and the two
 * points at which a running kernel and a host test cannot be the same machine. The
 * kernel's environment (common/mm/kernel.c) switches the CPU; the host test of the
 * whole sequence (tests/host/mm) fakes both.
 */
struct mm_env {
    struct keel_image image;
    /*
     * Steps 5 and 6: makes `pt` live, then moves the consoles onto their mappings in it:
     * the console's registers at `console_va` (0: none) and the framebuffer's first
     * pixel at `fb_va` (0: none). Nothing may print from its start to its end. The
     * kernel's calls arch_tlb_switch() and arch_fb_reinit(). Never fails.
     */
    void (*switch_table)(void *ctx, const struct page_table *pt, uint64_t console_va,
                         uint64_t fb_va);
    /*
     * Once the table is live: a pointer through which [va, va + len) of the kernel's
     * address space (the direct map, the heap) is reached, or NULL. The kernel's is `va`
     * itself.
     */
    void *(*live_ptr)(void *ctx, uint64_t va, uint64_t len);
    void *ctx;
};

/*
 * The memory sequence's state: everything mm_init() builds and the services after it
 * use. The caller owns it (the kernel keeps one, in common/mm/kernel.c) and passes it;
 * it is read-only for everyone but common/mm.
 */
struct mm_state {
    struct mm_env env;
    struct layout layout;       /* the kernel half at the table's width (arch_va_bits) */
    const struct boot_info *bi; /* the normalised map the direct map was built from */
    struct frame_alloc frames;
    struct frame_extent boot_extents[MM_BOOT_EXTENTS]; /* the extents until the heap is up */
    struct alloc_fail fail;                            /* keel.fail_alloc: frames and heap */
    struct heap heap;
    struct address_space boot_as; /* the address space until the heap is up */
    struct address_space *as;     /* &boot_as, then its copy on the heap (km->as) */
    bool live;                    /* the kernel's table is the one the CPU uses */
    uint64_t heap_mapped;
    uint64_t boot_guard;     /* virtual address of the boot stack's guard page */
    uint64_t boot_info_size; /* bytes mapped at BOOT_INFO_VBASE */
    bool boot_info_reclaimed;
    uint64_t console_va;
    struct fb_mapping fb_map;                  /* vbase 0: no framebuffer mapped */
    uint64_t stack_count;                      /* slots handed out by mm_stack_alloc_in */
    uint64_t allocations;                      /* frame and heap allocations the sequence made */
    struct mm_region dropped[MM_IDENTITY_MAX]; /* the identity mappings once dropped */
    size_t dropped_count;
    size_t dropped_tables; /* page-table frames the drop freed */
    /*
     * The kernel's lock over the frame allocator, the heap and the table they map into
     * (docs/memory.md, "Locks"): taken by the kernel's entry points in common/mm/kernel.c,
     * never inside the sequence, whose steps run on the boot CPU alone.
     */
    struct spinlock lock;
};

/*
 * Runs the memory sequence of docs/memory.md on `bi` into `mm`, which it resets first
 * and which must stay in place (and `bi` readable) for as long as the kernel runs. On
 * failure returns a keel_err and points *phase at the step's name; nothing running is
 * unmapped on that path.
 */
int mm_init(struct mm_state *mm, const struct mm_env *env, const struct boot_info *bi,
            struct kernel_memory *km, const char **phase);

/*
 * The services of one state. Each function below without the _in suffix is the same
 * on the kernel's one state, for the rest of the kernel.
 */
const void *mm_phys_ptr_in(const struct mm_state *mm, uint64_t pa, uint64_t len);
void *kmalloc_in(struct mm_state *mm, size_t size);
void kfree_in(struct mm_state *mm, void *ptr);
int mm_stack_alloc_in(struct mm_state *mm, size_t pages, struct stack *out);
bool mm_is_guard_page_in(const struct mm_state *mm, uint64_t va);
bool mm_is_reclaimed_boot_info_in(const struct mm_state *mm, uint64_t va);
const struct fb_mapping *mm_fb_mapping_in(const struct mm_state *mm);
void mm_report_json_in(const struct sink *s, const struct mm_state *mm,
                       const struct kernel_memory *km);

/* RAM in the map's sense: the types the direct map covers (usable, reclaimable, kernel...). */
bool mm_type_is_ram(uint32_t type);

/* Removes a mapping from the kernel's table; KEEL_E_MM_PINNED for a pinned range. */
int mm_unmap(struct address_space *as, vaddr_t va, uint64_t size);

/*
 * Maps [pa, pa + size) 1:1 for secondary CPUs: onto the address space's drop list and
 * into km->identity, so the audit accepts it and the drop stage unmaps it. The only
 * way to add an identity mapping (step 3e uses it for the text; a start path that
 * needs a page of its own 1:1 before the drop, such as a real-mode trampoline, calls
 * mm_kernel_identity_map). KEEL_E_MM_IDENTITY_FULL past MM_IDENTITY_MAX,
 * KEEL_E_MM_AUDIT_WX for writable and executable rights, or the builder's error.
 */
int mm_identity_map_in(struct mm_state *mm, struct kernel_memory *km, const char *name, uint64_t pa,
                       uint64_t size, pt_flags_t flags);

/*
 * The drop after the CPUs are up: unmaps exactly the address space's `drop` list (the
 * identity mappings; the builder frees the page-table frames that become empty and
 * invalidates through the live table's TLB hook), empties it and km->identity, then
 * audits the table again (no lower-half leaf may be left) and checks the frame books.
 * Allocates nothing. Every other CPU must still be told to forget the translations
 * (smp_tlb_sync, keel/smp.h). KEEL_OK, or the audit's or the builder's error.
 */
int mm_drop_identity_in(struct mm_state *mm, struct kernel_memory *km);

/* Was `va` inside an identity mapping that the drop unmapped? (fault naming) */
bool mm_is_dropped_identity_in(const struct mm_state *mm, uint64_t va);

/* ---- The kernel's one state (common/mm/kernel.c) ---- */

/* mm_init() on the kernel's state, with its image and the real switch. */
int mm_kernel_init(const struct boot_info *bi, struct kernel_memory *km, const char **phase);

/* mm_phys_ptr, mm_free_bytes, kmalloc and kfree are public: keel/memory.h. */

/*
 * After a later stage's allocations (the CPU start): counts them into the report's
 * `allocations`, so that the keel.fail_alloc sweep reaches them, and returns `err`,
 * with a NULL that keel.fail_alloc made named KEEL_E_ALLOC_INJECTED.
 */
int mm_kernel_stage_done(int err);

/* mm_identity_map_in() and mm_drop_identity_in() on the kernel's state, under its lock. */
int mm_kernel_identity_map(struct kernel_memory *km, const char *name, uint64_t pa, uint64_t size,
                           pt_flags_t flags);
int mm_kernel_drop_identity(struct kernel_memory *km);

/* The kernel half of the live table (the fault test's reclaimed boot info, say). */
const struct layout *mm_layout(void);

/* The physical address behind a kernel pointer (heap, image, stack), through the live table. */
bool mm_virt_to_phys(const void *p, uint64_t *pa);

/*
 * A frame below `limit` (FRAME_OWNER_CPU_START), mapped 1:1 read-only and executable in
 * the kernel's table: code a CPU runs before its MMU is on, and right after (x86's
 * real-mode trampoline). The caller fills it through the direct map. Released (unmapped,
 * then freed) by mm_low_page_release. Counted by keel.fail_alloc.
 */
int mm_low_page_map(uint64_t limit, uint64_t *pa);
int mm_low_page_release(uint64_t pa);

/*
 * Maps the device registers [pa, pa + size) uncached (PT_MEM_DEVICE) in the MMIO window,
 * after the console's page, and points *out at pa's byte. The mapping stays.
 */
int mm_map_device(uint64_t pa, uint64_t size, volatile void **out);

/* Allocates a stack of `pages` pages above an unmapped guard page. */
int mm_stack_alloc(size_t pages, struct stack *out);

/* Fault naming: is `va` in a stack's guard page, the reclaimed boot info, a dropped identity
 * mapping? */
bool mm_is_guard_page(uint64_t va);
bool mm_is_reclaimed_boot_info(uint64_t va);
bool mm_is_dropped_identity(uint64_t va);

/* The framebuffer's mapping in the kernel's table, or NULL when there is none. */
const struct fb_mapping *mm_fb_mapping(void);

/* Writes the boot report's "mm" member (without a leading comma). */
void mm_report_json(const struct sink *s, const struct kernel_memory *km);

#endif

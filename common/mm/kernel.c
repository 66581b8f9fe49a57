/* SPDX-License-Identifier: MIT */
/* The kernel's one memory state and its switch, and the memory API the rest of the kernel calls. */
#include <stdint.h>

#include <keel/arch.h>
#include <keel/console.h>
#include <keel/image.h>
#include <keel/layout.h>
#include <keel/mm.h>

/* The memory sequence's state for the running kernel; mm_kernel_init() passes it on. */
static struct mm_state kernel_mm;

/*
 * Steps 5 and 6 on the CPU: the table goes live, then the serial console and the
 * framebuffer console move to their new addresses, with the framebuffer console
 * paused while its old mapping may be gone.
 */
static void kernel_switch(void *ctx, const struct page_table *pt, uint64_t console_va,
                          uint64_t fb_va)
{
    (void)ctx;
    console_fb_pause();
    arch_tlb_switch(pt);
    arch_fb_reinit(console_va);
    console_fb_resume((void *)(uintptr_t)fb_va);
}

/* The kernel runs on the table it built, so a virtual address is its own pointer. */
static void *kernel_live_ptr(void *ctx, uint64_t va, uint64_t len)
{
    (void)ctx;
    (void)len;
    return (void *)(uintptr_t)va;
}

int mm_kernel_init(const struct boot_info *bi, struct kernel_memory *km, const char **phase)
{
    struct mm_env env = {.switch_table = kernel_switch, .live_ptr = kernel_live_ptr};

    image_describe(&env.image);
    return mm_init(&kernel_mm, &env, bi, km, phase);
}

int mm_kernel_identity_map(struct kernel_memory *km, const char *name, uint64_t pa, uint64_t size,
                           pt_flags_t flags)
{
    spin_lock(&kernel_mm.lock);
    int err = mm_identity_map_in(&kernel_mm, km, name, pa, size, flags);
    spin_unlock(&kernel_mm.lock);
    return err;
}

int mm_kernel_drop_identity(struct kernel_memory *km)
{
    spin_lock(&kernel_mm.lock);
    int err = mm_drop_identity_in(&kernel_mm, km);
    spin_unlock(&kernel_mm.lock);
    return err;
}

int mm_kernel_stage_done(int err)
{
    kernel_mm.allocations = kernel_mm.fail.count;
    return err == KEEL_E_NO_MEMORY && kernel_mm.fail.failed != 0 ? KEEL_E_ALLOC_INJECTED : err;
}

bool mm_virt_to_phys(const void *p, uint64_t *pa)
{
    struct pt_mapping m;
    uint64_t va = (uint64_t)(uintptr_t)p;

    spin_lock(&kernel_mm.lock);
    bool mapped = arch_query_mapping(&kernel_mm.as->pt, va_init(va), &m);
    spin_unlock(&kernel_mm.lock);
    if (!mapped) {
        return false;
    }
    *pa = m.pa.pa + (va - m.va.va);
    return true;
}

int mm_low_page_map(uint64_t limit, uint64_t *pa)
{
    paddr_t frame;
    int err = frame_alloc_below(&kernel_mm.frames, pa_init(limit), FRAME_OWNER_CPU_START, &frame);

    if (err != KEEL_OK) {
        return err;
    }
    err =
        arch_map_section(&kernel_mm.as->pt, va_init(frame.pa), frame, PAGE_SIZE, PT_READ | PT_EXEC);
    if (err != KEEL_OK) {
        frame_free(&kernel_mm.frames, frame, 1, FRAME_OWNER_CPU_START);
        return err;
    }
    *pa = frame.pa;
    return KEEL_OK;
}

int mm_low_page_release(uint64_t pa)
{
    int err = mm_unmap(kernel_mm.as, va_init(pa), PAGE_SIZE);

    return err != KEEL_OK ? err
                          : frame_free(&kernel_mm.frames, pa_init(pa), 1, FRAME_OWNER_CPU_START);
}

/* Device mappings after the console's page, each in pages of its own. */
static uint64_t device_mapped = PAGE_SIZE;

int mm_map_device(uint64_t pa, uint64_t size, volatile void **out)
{
    uint64_t base = pa & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t bytes = (pa - base + size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    uint64_t va = kernel_mm.layout.mmio_vbase + device_mapped;
    int err = arch_map_section(&kernel_mm.as->pt, va_init(va), pa_init(base), bytes,
                               PT_READ | PT_WRITE | PT_MEM_DEVICE);

    if (err != KEEL_OK) {
        return err;
    }
    device_mapped += bytes;
    *out = (volatile void *)(uintptr_t)(va + (pa - base));
    return KEEL_OK;
}

const void *mm_phys_ptr(uint64_t pa, uint64_t len)
{
    return mm_phys_ptr_in(&kernel_mm, pa, len);
}

int mm_stack_alloc(size_t pages, struct stack *out)
{
    spin_lock(&kernel_mm.lock);
    int err = mm_stack_alloc_in(&kernel_mm, pages, out);
    spin_unlock(&kernel_mm.lock);
    return err;
}

bool mm_is_guard_page(uint64_t va)
{
    return mm_is_guard_page_in(&kernel_mm, va);
}

const struct layout *mm_layout(void)
{
    return &kernel_mm.layout;
}

bool mm_is_reclaimed_boot_info(uint64_t va)
{
    return mm_is_reclaimed_boot_info_in(&kernel_mm, va);
}

bool mm_is_dropped_identity(uint64_t va)
{
    return mm_is_dropped_identity_in(&kernel_mm, va);
}

void *kmalloc(size_t size)
{
    spin_lock(&kernel_mm.lock);
    void *p = kmalloc_in(&kernel_mm, size);
    spin_unlock(&kernel_mm.lock);
    return p;
}

void kfree(void *ptr)
{
    spin_lock(&kernel_mm.lock);
    kfree_in(&kernel_mm, ptr);
    spin_unlock(&kernel_mm.lock);
}

uint64_t mm_free_bytes(void)
{
    return __atomic_load_n(&kernel_mm.frames.frames_free, __ATOMIC_RELAXED) * PAGE_SIZE;
}

const struct fb_mapping *mm_fb_mapping(void)
{
    return mm_fb_mapping_in(&kernel_mm);
}

void mm_report_json(const struct sink *s, const struct kernel_memory *km)
{
    spin_lock(&kernel_mm.lock);
    mm_report_json_in(s, &kernel_mm, km);
    spin_unlock(&kernel_mm.lock);
}

/* SPDX-License-Identifier: MIT */
/* What the memory sequence hands the kernel: its mappings, stacks and modules, and the heap. */
#ifndef KEEL_MEMORY_H
#define KEEL_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include <keel/addr.h>
#include <keel/boot_info.h>
#include <keel/cdefs.h>

/* Rights. PT_READ is required: neither arch can map a page that is not readable. */
#define PT_READ 0x1u
#define PT_WRITE 0x2u
#define PT_EXEC 0x4u
#define PT_RIGHTS_MASK 0x7u

/*
 * Memory type. NORMAL is write-back cacheable RAM; DEVICE is uncached, unbuffered MMIO
 * (x86 UC, arm64 Device-nGnRnE); WC is write-combining for framebuffers (x86 WC through
 * a PAT entry, arm64 Normal non-cacheable). Device memory is never executable.
 */
#define PT_MEM_NORMAL 0x00u
#define PT_MEM_DEVICE 0x10u
#define PT_MEM_WC 0x20u
#define PT_MEM_MASK 0x30u

typedef uint32_t pt_flags_t;

/* A virtual range and what backs it. */
struct mm_region {
    const char *name;
    vaddr_t va;
    paddr_t pa;
    uint64_t size;
    pt_flags_t flags; /* PT_READ | PT_WRITE | PT_EXEC, and a PT_MEM_ type */
};

/* A stack from the stack allocator: [bottom, top) mapped, the page below bottom not. */
struct stack {
    vaddr_t guard;
    vaddr_t bottom;
    vaddr_t top;
};

#define MM_IDENTITY_MAX 4u

/* The module list, copied out of the boot info onto the heap. */
struct module_list {
    struct bi_module *items;
    size_t count;
};

/*
 * What the memory sequence hands the kernel (docs/memory.md, step 11). The mappings of
 * text, rodata, data, the boot stack (the stack kernel_main runs on) and cpu0_stack are
 * pinned: Keel never unmaps them, and a kernel must not either. The address space is
 * Keel's own object; a kernel keeps the pointer and does not look inside.
 */
struct address_space;
struct kernel_memory {
    struct address_space *as; /* on the heap */
    struct mm_region text, rodata, data;
    struct stack boot_stack;
    struct stack cpu0_stack; /* the first stack of the stack allocator */
    struct module_list modules;
    /*
     * The 1:1 mappings secondary CPUs need to turn their MMU on: Keel's drop stage
     * unmaps them once the CPUs are up, before kernel_main, so the count is 0 there.
     */
    struct mm_region identity[MM_IDENTITY_MAX];
    size_t identity_count;
};

KEEL_BEGIN_DECLS

/*
 * The kernel heap, mapped before kernel_main runs. kmalloc: at least 16-byte aligned,
 * NULL when out of memory (the heap grows by mapping frames as it needs them). kfree:
 * NULL is fine; a pointer the heap did not hand out is reported and left alone. Safe
 * to call from several CPUs at once: one spinlock covers the heap and the frame
 * allocator it grows from (docs/memory.md, "Locks").
 */
void *kmalloc(size_t size);
void kfree(void *ptr);

/*
 * A pointer to physical [pa, pa + len) through the direct map of RAM (a module's bytes,
 * say), or NULL when some byte of it is not RAM.
 */
const void *mm_phys_ptr(uint64_t pa, uint64_t len);

/* Bytes of RAM the frame allocator has free right now (the heap grows out of them). */
uint64_t mm_free_bytes(void);

KEEL_END_DECLS

#endif

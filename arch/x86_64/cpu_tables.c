/* SPDX-License-Identifier: MIT */
/* Each CPU's GDT and TSS with its IST stacks, and the one IDT with the 32 exception vectors. */
#include <stdint.h>
#include <string.h>

#include <x86/cpu.h>

struct x86_idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

_Static_assert(sizeof(struct x86_idt_gate) == 16, "64-bit IDT gate layout");

struct x86_table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define GDT_CODE64 UINT64_C(0x00209a0000000000) /* present, DPL 0, code, L=1 */
#define GDT_DATA UINT64_C(0x0000920000000000)   /* present, DPL 0, data, writable */
#define GATE_INTERRUPT 0x8e                     /* present, DPL 0, 64-bit interrupt gate */
#define TSS_TYPE_AVAILABLE UINT64_C(0x89)       /* present, 64-bit TSS, available */

/* The boot CPU's tables; a secondary CPU's live in its per-CPU area (smp.c). */
static struct x86_cpu_tables boot_tables;

/* Written once by the boot CPU before any other CPU runs, then only read: every CPU loads it. */
static struct x86_idt_gate idt[X86_EXCEPTION_COUNT];

/*
 * NMI, #DF and #PF run on their own stacks so that a fault caused by the kernel
 * stack itself (an overflow into the guard page) is still reported.
 */
static uint8_t ist_stacks[X86_IST_COUNT][X86_IST_STACK_SIZE] __attribute__((aligned(16)));

_Static_assert(X86_SEL_CODE == 1 * 8 && X86_SEL_DATA == 2 * 8 && X86_SEL_TSS == 3 * 8,
               "selectors match the GDT slots");

static uint8_t vector_ist(unsigned vector)
{
    switch (vector) {
    case 2:
        return X86_IST_NMI;
    case 8:
        return X86_IST_DF;
    case 14:
        return X86_IST_PF;
    default:
        return 0;
    }
}

static void gdt_load(struct x86_cpu_tables *t)
{
    uint64_t base = (uint64_t)(uintptr_t)&t->tss;
    uint64_t limit = sizeof(t->tss) - 1;

    t->gdt[0] = 0;
    t->gdt[1] = GDT_CODE64;
    t->gdt[2] = GDT_DATA;
    t->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (TSS_TYPE_AVAILABLE << 40) |
                (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    t->gdt[4] = base >> 32;

    struct x86_table_ptr ptr = {.limit = sizeof(t->gdt) - 1, .base = (uint64_t)(uintptr_t)t->gdt};
    /* CS can only be reloaded by a far transfer: push the selector and return to 1:. */
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movl %2, %%eax\n\t"
                     "movl %%eax, %%ds\n\t"
                     "movl %%eax, %%es\n\t"
                     "movl %%eax, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(ptr), "i"(X86_SEL_CODE), "i"(X86_SEL_DATA), "r"(X86_SEL_TSS)
                     : "rax", "memory");
}

void x86_cpu_tables_load(struct x86_cpu_tables *t, const uint64_t ist_top[X86_IST_COUNT])
{
    memset(t, 0, sizeof(*t));
    for (unsigned i = 0; i < X86_IST_COUNT; i++) {
        t->tss.ist[i] = ist_top[i];
    }
    t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */
    gdt_load(t);

    struct x86_table_ptr ptr = {.limit = sizeof(idt) - 1, .base = (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

void x86_cpu_tables_init(void)
{
    uint64_t ist_top[X86_IST_COUNT];

    for (unsigned v = 0; v < X86_EXCEPTION_COUNT; v++) {
        uint64_t handler = x86_exception_stubs[v];
        idt[v] = (struct x86_idt_gate){
            .offset_low = handler & 0xffff,
            .selector = X86_SEL_CODE,
            .ist = vector_ist(v),
            .type_attr = GATE_INTERRUPT,
            .offset_mid = (handler >> 16) & 0xffff,
            .offset_high = handler >> 32,
        };
    }
    for (unsigned i = 0; i < X86_IST_COUNT; i++) {
        ist_top[i] = (uint64_t)(uintptr_t)&ist_stacks[i][X86_IST_STACK_SIZE];
    }
    x86_cpu_tables_load(&boot_tables, ist_top);
}

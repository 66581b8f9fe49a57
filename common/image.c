/* SPDX-License-Identifier: MIT */
/* The running kernel's image, described from its linker script's symbols. */
#include <stdint.h>

#include <keel/arch.h>
#include <keel/image.h>

/* Linker-script symbols (both arches' scripts use the same names). */
extern const char __kernel_start[], __kernel_end[];
extern const char __text_start[], __text_end[];
extern const char __rodata_start[], __rodata_end[];
extern const char __data_start[], __data_end[];
extern const char __bss_start[], __bss_end[];
extern const char __boot_stack_guard[], __boot_stack_bottom[], __boot_stack_top[];

static uint64_t va_of(const char *symbol)
{
    return (uint64_t)(uintptr_t)symbol;
}

static struct image_range range_of(const char *start, const char *end)
{
    return (struct image_range){.start = va_of(start), .end = va_of(end)};
}

void image_describe(struct keel_image *image)
{
    *image = (struct keel_image){
        .phys_base = arch_kernel_phys_base(),
        .virt = range_of(__kernel_start, __kernel_end),
        .text = range_of(__text_start, __text_end),
        .rodata = range_of(__rodata_start, __rodata_end),
        .data = range_of(__data_start, __data_end),
        .bss = range_of(__bss_start, __bss_end),
        .boot_stack_guard = va_of(__boot_stack_guard),
        .boot_stack_bottom = va_of(__boot_stack_bottom),
        .boot_stack_top = va_of(__boot_stack_top),
    };
}

uint64_t kernel_pa(const void *va)
{
    return arch_kernel_phys_base() + (uint64_t)((const char *)va - __kernel_start);
}

/* SPDX-License-Identifier: MIT */
/* hello: the smallest kernel on Keel; it says what it was given and exits 0. */
#include <stddef.h>
#include <stdint.h>

#include <keel/kernel.h>

/* Each secondary CPU Keel started comes here; hello has nothing for it, so it returns and is
 * parked. */
void kernel_ap_main(const struct cpu *cpu)
{
    (void)cpu;
}

int kernel_main(const struct boot_info *bi, const struct kernel_memory *km)
{
    /* Built with its Keel, so these agree; a kernel that reads a field checks anyway. */
    if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION ||
        bi->size != sizeof(*bi)) {
        kprintf("hello: a boot_info I was not built for (version %u)\n", bi->version);
        return KEEL_EXIT_BAD_INPUT;
    }
    kprintf("hello from an external kernel\n");
    kprintf("hello: command line '%s'\n", bi->cmdline);
    for (size_t i = 0; i < km->modules.count; i++) {
        const struct bi_module *m = &km->modules.items[i];
        kprintf("hello: module %s, %llu bytes\n", m->name, (unsigned long long)m->size);
    }
    kprintf("hello: %llu KiB of memory free\n", (unsigned long long)(mm_free_bytes() >> 10));
    return KEEL_EXIT_OK;
}

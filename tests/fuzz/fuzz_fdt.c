/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the FDT reader and every accessor, the FDT shim and the board's early plan. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/board.h>
#include <keel/boot_info.h>
#include <keel/shim.h>

#include "cpus.h"
#include "devicetree.h"

#define DTB_PA 0x40000000u

struct blob {
    const uint8_t *data;
    size_t len;
};

/* The input also serves as the initrd when the tree points inside itself. */
static const void *fuzz_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct blob *b = ctx;
    if (pa < DTB_PA || pa - DTB_PA > b->len || len > b->len - (pa - DTB_PA)) {
        return NULL;
    }
    return b->data + (pa - DTB_PA);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    struct fdt fdt;
    if (fdt_init(&fdt, data, size) == 0) {
        struct fdt_path path = {.depth = 0};
        while (fdt_walk_next(&fdt, &path)) {
            uint32_t node = path.node[path.depth - 1];
            struct fdt_prop prop;
            uint64_t base, sz;
            uint32_t count;
            for (bool ok = fdt_first_prop(&fdt, node, &prop); ok; ok = fdt_next_prop(&fdt, &prop)) {
                (void)fdt_prop_string(&prop);
                (void)fdt_prop_has_string(&prop, "arm,pl011");
                /* Property values double as paths and aliases to look up. */
                struct fdt_path found;
                (void)fdt_find_path(&fdt, (const char *)prop.value, prop.len, &found);
            }
            if (fdt_reg(&fdt, &path, 0, &base, &sz, &count) == 0) {
                (void)fdt_translate(&fdt, &path, &base);
            }
            (void)fdt_node_enabled(&fdt, node);
        }
        for (uint32_t i = 0; i < fdt.rsv_count; i++) {
            uint64_t base, sz;
            fdt_memreserve(&fdt, i, &base, &sz);
        }
        /* The /cpus and /psci reader on its own, whatever the rest of the tree is. */
        static struct boot_info cbi;
        memset(&cbi, 0, sizeof(cbi));
        (void)fdt_cpus_scan(&fdt, &cbi);
        cpus_finish(&cbi, 0);
        if (cbi.cpu_count == 0 || cbi.cpu_count > BI_CPU_MAX || cbi.boot_cpu >= cbi.cpu_count ||
            cbi.cpus[cbi.boot_cpu].id != 0 || cbi.cpu_total < cbi.cpu_count) {
            __builtin_trap();
        }
        for (uint32_t i = 0; i < cbi.cpu_count; i++) {
            const struct bi_cpu *c = &cbi.cpus[i];
            /* The boot CPU is running already: cpus_finish clears its reason. */
            if (!(c->flags & BI_CPU_BOOT) &&
                ((c->method == BI_CPU_METHOD_SPIN_TABLE && c->error == 0 && c->release_addr == 0) ||
                 (c->method == BI_CPU_METHOD_PSCI && c->error == 0 &&
                  cbi.psci_conduit == BI_PSCI_NONE))) {
                __builtin_trap(); /* a CPU without a way to start it always says why */
            }
        }
    }
    struct blob b = {data, size};
    struct shim_env env = {
        .kernel_base = 0x40200000,
        .kernel_size = 0x100000,
        .phys_ptr = fuzz_phys_ptr,
        .ctx = &b,
    };
    (void)shim_fdt(data, DTB_PA, size, "fuzz", &env, &bi);
    static struct board_early plan;
    board_early_plan(data, size, &plan);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* shim_fdt end to end: test DTS trees, QEMU's DTBs, an initrd, and trees libfdt damages. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/shim.h>

#include "test_util.h"

#define DTB_PA 0x40000000u
#define INITRD_PA 0x48000000u
#define INITRD_SIZE 0x2000u

struct host_mem {
    const uint8_t *dtb;
    size_t dtb_len;
    const uint8_t *initrd; /* NULL: unreachable */
    size_t initrd_len;
};

static const void *host_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct host_mem *m = ctx;
    if (pa >= DTB_PA && pa - DTB_PA <= m->dtb_len && len <= m->dtb_len - (pa - DTB_PA)) {
        return m->dtb + (pa - DTB_PA);
    }
    if (m->initrd != NULL && pa >= INITRD_PA && pa - INITRD_PA <= m->initrd_len &&
        len <= m->initrd_len - (pa - INITRD_PA)) {
        return m->initrd + (pa - INITRD_PA);
    }
    return NULL;
}

static struct boot_info bi;
/* The MPIDR the shim is told it runs on: 0x101 sits last in cells64's list; QEMU's CPU 0 is 0. */
static uint64_t boot_id = 0x101;
static uint8_t *initrd;
static size_t initrd_len;

static int run(const void *dtb, size_t len, bool with_initrd, uint64_t kernel_base)
{
    struct host_mem mem = {dtb, len, with_initrd ? initrd : NULL, initrd_len};
    struct shim_env env = {
        .kernel_base = kernel_base,
        .kernel_size = 0x100000,
        .entry_state = 1,
        .boot_cpu_id = boot_id,
        .phys_ptr = host_phys_ptr,
        .ctx = &mem,
    };
    return shim_fdt(dtb, DTB_PA, len, "qemu", &env, &bi);
}

static const struct bi_mem_range *range_at(uint64_t addr)
{
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        if (bi.mem[i].base <= addr && addr - bi.mem[i].base < bi.mem[i].size) {
            return &bi.mem[i];
        }
    }
    return NULL;
}

static bool range_is(uint64_t addr, uint32_t type, uint32_t source)
{
    const struct bi_mem_range *r = range_at(addr);
    return r != NULL && r->type == type && r->source == source;
}

static void check_modules(void)
{
    static const char *const names[] = {"dir/data.bin", "empty", "hello.txt", "zz-hardlink"};
    CHECK(bi.module_count == 4);
    for (uint32_t i = 0; i < bi.module_count && i < 4; i++) {
        CHECK(strcmp(bi.modules[i].name, names[i]) == 0);
        CHECK(bi.modules[i].cmdline[0] == '\0');
        CHECK(bi.modules[i].base >= INITRD_PA &&
              bi.modules[i].base + bi.modules[i].size <= INITRD_PA + INITRD_SIZE);
    }
    CHECK(bi.module_count >= 3 &&
          memcmp(initrd + (bi.modules[2].base - INITRD_PA), "hello from", 10) == 0);
}

static void cells32(const uint8_t *dtb, size_t len)
{
    CHECK_ERR(run(dtb, len, true, 0x40200000), KEEL_OK);
    CHECK(bi.protocol == BI_PROTO_FDT && bi.entry_state == 1);
    CHECK(strcmp(bi.loader, "qemu") == 0);
    CHECK(strcmp(bi.cmdline, "console=serial0 keel.test=cells32") == 0);
    CHECK(bi.dtb_base == DTB_PA && bi.dtb_size == len && bi.info_base == DTB_PA);
    CHECK(bi.initrd_base == INITRD_PA && bi.initrd_size == INITRD_SIZE);
    check_modules();
    /* serial0 is /soc/serial@7e201000, which the soc's ranges put at 0x3f201000. */
    CHECK(bi.console.kind == BI_CONSOLE_PL011 && bi.console.base == 0x3f201000);
    CHECK(bi.cpu_method == BI_CPU_METHOD_SPIN_TABLE);
    CHECK(bi.cpus[0].id == 0 && bi.cpus[1].id == 1);
    CHECK(bi.cpus[0].release_addr == 0xd8 && bi.cpus[1].release_addr == 0xe0);
    /* The boot CPU (0x101) is not among them: added, and said once. */
    CHECK(bi.cpu_count == 3 && bi.cpu_total == 3 && bi.boot_cpu == 2 && bi.cpus[2].id == 0x101);
    CHECK(bi.cpu_error == KEEL_E_CPU_BOOT_UNLISTED);
    /* Its simple-framebuffer lies in RAM that nothing reserves: refused, the RAM stays usable. */
    CHECK(bi.framebuffer.source == BI_FB_NONE && bi.framebuffer_error == KEEL_E_FB_PLACEMENT);
    CHECK(range_is(0x40000000, BI_MEM_RESERVED, BI_SRC_FDT_MEMRESERVE));
    CHECK(range_is(0x5ff00000, BI_MEM_RESERVED, BI_SRC_FDT_MEMRESERVE));
    CHECK(range_is(0x4ff00000, BI_MEM_RESERVED, BI_SRC_FDT_RESERVED));
    CHECK(range_is(0x40200000, BI_MEM_KERNEL, BI_SRC_KERNEL));
    CHECK(range_is(0x48000000, BI_MEM_MODULE, BI_SRC_INITRD));
    CHECK(range_is(0x5e000000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));
    CHECK(range_is(0x50000000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));
    CHECK(range_is(0x67ffffff, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));
    CHECK(range_at(0x68000000) == NULL);
    /* The size-only dynamic pool is the OS's to place: its alloc-ranges stay usable. */
    CHECK(range_is(0x41000000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));

    CHECK_ERR(run(dtb, len, false, 0x40200000), KEEL_E_INITRD_UNREACHABLE);
    CHECK_ERR(run(dtb, len, true, INITRD_PA + 0x1000), KEEL_E_MODULE_OVERLAPS_KERNEL);
}

static void cells64(const uint8_t *dtb, size_t len)
{
    CHECK_ERR(run(dtb, len, true, 0x40200000), KEEL_OK);
    CHECK(strcmp(bi.loader, "u-boot") == 0);
    CHECK(strcmp(bi.cmdline, "keel.test=cells64 quiet") == 0);
    check_modules();
    CHECK(bi.console.kind == BI_CONSOLE_PL011 && bi.console.base == 0x9000000);
    CHECK(bi.cpu_count == 4 && bi.cpu_method == BI_CPU_METHOD_PSCI);
    CHECK(bi.cpus[2].id == 0x100 && bi.cpus[3].id == 0x101);
    CHECK(bi.boot_cpu == 3 && (bi.cpus[3].flags & BI_CPU_BOOT) && bi.cpu_error == 0);
    CHECK(bi.psci_conduit == BI_PSCI_HVC);
    /* r5g6b5 is parsed, but the console draws 24 and 32 bpp only: refused. */
    CHECK(bi.framebuffer.source == BI_FB_NONE && bi.framebuffer_error == KEEL_E_FB_FORMAT);
    CHECK(range_is(0x100000000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));
    CHECK(range_is(0x1ffffffff, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));
    CHECK(range_is(0x7e000000, BI_MEM_RESERVED, BI_SRC_FDT_RESERVED));
    CHECK(range_is(0x50000000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY)); /* status "disabled" */
    CHECK(range_is(0x80000000, BI_MEM_RESERVED, BI_SRC_FDT_MEMRESERVE));
    CHECK(range_is(DTB_PA, BI_MEM_BOOT_INFO, BI_SRC_DTB));
}

static void minimal(const uint8_t *dtb, size_t len)
{
    CHECK_ERR(run(dtb, len, false, 0x80200000), KEEL_OK);
    CHECK(strcmp(bi.loader, "qemu") == 0 && bi.cmdline[0] == '\0');
    CHECK(bi.console.kind == BI_CONSOLE_PL011 && bi.console.base == 0x1c090000);
    /* minimal has no /cpus: the boot CPU is counted, with the id the shim was given. */
    CHECK(bi.cpu_count == 1 && bi.cpus[0].id == 0x101 && bi.boot_cpu == 0 && bi.cpu_error == 0);
    CHECK(bi.module_count == 0 && bi.initrd_base == 0);
    CHECK(range_is(0x80000000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));
    CHECK(range_is(0x80200000, BI_MEM_KERNEL, BI_SRC_KERNEL));
}

/* QEMU virt: the file name says the memory size and the CPU count. */
static void qemu_virt(const char *path, const uint8_t *dtb, size_t len)
{
    boot_id = 0;
    CHECK_ERR(run(dtb, len, false, 0x40200000), KEEL_OK);
    boot_id = 0x101;
    uint64_t mem = test_qemu_dtb_ram(path);
    uint32_t cpus = strstr(path, "-smp4-") ? 4 : 1;
    uint64_t total = 0;
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        total += bi.mem[i].size;
    }
    CHECK(total == mem);
    CHECK(bi.mem[0].base == DTB_PA && bi.mem[0].type == BI_MEM_BOOT_INFO);
    CHECK(bi.cpu_count == cpus && bi.boot_cpu == 0 && bi.cpu_error == 0);
    /* QEMU names an enable-method only from -smp 2 on; /psci is always there. */
    CHECK(bi.cpu_method == (cpus > 1 ? BI_CPU_METHOD_PSCI : BI_CPU_METHOD_NONE));
    CHECK(bi.psci_conduit != BI_PSCI_NONE);
    CHECK(bi.console.kind == BI_CONSOLE_PL011 && bi.console.base == 0x9000000);
    CHECK(strcmp(bi.loader, "qemu") == 0);
    printf("%s: %u ranges, %u cpus, console 0x%llx\n", path, bi.mem_count, bi.cpu_count,
           (unsigned long long)bi.console.base);
}

/* A writable copy with room to grow, for libfdt to damage. */
static uint8_t *edit_copy(const uint8_t *dtb)
{
    uint8_t *copy = malloc(65536);
    CHECK(fdt_open_into(dtb, copy, 65536) == 0);
    return copy;
}

static void expect_edit(uint8_t *copy, bool with_initrd, int want, const char *what)
{
    fdt_pack(copy);
    int err = run(copy, fdt_totalsize(copy), with_initrd, 0x40200000);
    if (err != want) {
        fprintf(stderr, "case '%s'\n", what);
    }
    CHECK_ERR(err, want);
    free(copy);
}

static void damaged(const uint8_t *dtb)
{
    uint8_t *c;
    int chosen, node;

    c = edit_copy(dtb);
    fdt_setprop_u32(c, 0, "#address-cells", 3);
    expect_edit(c, true, KEEL_E_FDT_CELLS, "#address-cells = <3>");
    c = edit_copy(dtb);
    fdt_setprop_u32(c, 0, "#size-cells", 3);
    expect_edit(c, true, KEEL_E_FDT_CELLS, "#size-cells = <3>");
    c = edit_copy(dtb);
    fdt_setprop_u32(c, fdt_path_offset(c, "/reserved-memory"), "#address-cells", 0);
    expect_edit(c, true, KEEL_E_FDT_CELLS, "reserved-memory #address-cells = <0>");
    c = edit_copy(dtb);
    fdt_setprop_u32(c, fdt_path_offset(c, "/cpus"), "#address-cells", 4);
    expect_edit(c, true, KEEL_E_FDT_CELLS, "cpus #address-cells = <4>");

    c = edit_copy(dtb);
    chosen = fdt_path_offset(c, "/chosen");
    fdt_setprop_u32(c, chosen, "linux,initrd-end", INITRD_PA - 1);
    expect_edit(c, true, KEEL_E_FDT_INITRD, "initrd end before start");
    c = edit_copy(dtb);
    fdt_delprop(c, fdt_path_offset(c, "/chosen"), "linux,initrd-end");
    expect_edit(c, true, KEEL_E_FDT_INITRD, "initrd start without end");
    c = edit_copy(dtb);
    fdt_setprop(c, fdt_path_offset(c, "/chosen"), "linux,initrd-start", "abc", 3);
    expect_edit(c, true, KEEL_E_FDT_PROP, "initrd start of 3 bytes");
    c = edit_copy(dtb);
    fdt_setprop_u32(c, fdt_path_offset(c, "/chosen"), "linux,initrd-end", INITRD_PA);
    expect_edit(c, false, KEEL_OK, "empty initrd");
    CHECK(bi.initrd_base == 0 && bi.initrd_size == 0 && bi.module_count == 0);

    c = edit_copy(dtb);
    fdt_setprop(c, fdt_path_offset(c, "/chosen"), "bootargs", "abc", 3);
    expect_edit(c, true, KEEL_E_FDT_PROP, "unterminated bootargs");
    static char long_args[BI_CMDLINE_MAX + 1];
    memset(long_args, 'x', BI_CMDLINE_MAX);
    c = edit_copy(dtb);
    fdt_setprop_string(c, fdt_path_offset(c, "/chosen"), "bootargs", long_args);
    expect_edit(c, true, KEEL_E_TOO_LONG_CMDLINE, "bootargs of BI_CMDLINE_MAX bytes");
    CHECK(strstr(keel_err_detail(), "' is 4096 bytes, the limit is 4095") != NULL);
    /* No /cpus, or an empty one: the boot CPU is still counted, with its own id. */
    c = edit_copy(dtb);
    fdt_del_node(c, fdt_path_offset(c, "/cpus"));
    expect_edit(c, true, KEEL_OK, "no /cpus");
    CHECK(bi.cpu_count == 1 && bi.cpus[0].id == 0x101);
    c = edit_copy(dtb);
    fdt_del_node(c, fdt_path_offset(c, "/cpus/cpu@0"));
    fdt_del_node(c, fdt_path_offset(c, "/cpus/cpu@1"));
    expect_edit(c, true, KEEL_OK, "an empty /cpus");
    CHECK(bi.cpu_count == 1 && bi.cpus[0].id == 0x101);

    /* The next shim starts with no detail. */
    c = edit_copy(dtb);
    expect_edit(c, true, KEEL_OK, "a fresh shim clears the last detail");
    CHECK(keel_err_detail()[0] == '\0');

    c = edit_copy(dtb);
    node = fdt_path_offset(c, "/memory@60000000");
    fdt_setprop(c, node, "reg", "\0\0\0\0\0\0", 6);
    expect_edit(c, true, KEEL_E_FDT_PROP, "memory reg of 6 bytes");
    c = edit_copy(dtb);
    node = fdt_path_offset(c, "/memory@60000000");
    fdt_setprop(c, node, "reg", "\x60\0\0\0\0\0\0\0", 8);
    expect_edit(c, true, KEEL_E_MEM_ZERO_SIZE, "memory of size 0");
    c = edit_copy(dtb);
    node = fdt_path_offset(c, "/memory@60000000");
    fdt_setprop(c, node, "reg", "\xff\xff\xf0\0\0\x10\0\0", 8);
    expect_edit(c, true, KEEL_OK, "memory that ends at 4 GiB with 32-bit cells");
    c = edit_copy(dtb);
    fdt_delprop(c, fdt_path_offset(c, "/cpus/cpu@1"), "reg");
    expect_edit(c, true, KEEL_E_FDT_PROP, "cpu without reg");

    /* The initrd is not a cpio archive, or names a file that does not fit a name. */
    uint8_t saved = initrd[0];
    initrd[0] = 'X';
    c = edit_copy(dtb);
    expect_edit(c, true, KEEL_E_CPIO_MAGIC, "initrd that is not cpio");
    initrd[0] = saved;

    /* No memory at all, and a stdout-path that resolves nowhere (console stays NONE). */
    c = edit_copy(dtb);
    fdt_del_node(c, fdt_path_offset(c, "/memory@40000000"));
    fdt_del_node(c, fdt_path_offset(c, "/memory@60000000"));
    expect_edit(c, false, KEEL_E_MODULE_NOT_IN_RAM, "initrd with no memory");
    c = edit_copy(dtb);
    fdt_delprop(c, fdt_path_offset(c, "/chosen"), "linux,initrd-start");
    fdt_delprop(c, fdt_path_offset(c, "/chosen"), "linux,initrd-end");
    fdt_del_node(c, fdt_path_offset(c, "/memory@40000000"));
    fdt_del_node(c, fdt_path_offset(c, "/memory@60000000"));
    expect_edit(c, false, KEEL_E_MEM_NO_USABLE, "no memory nodes");
    /* Real boards exceed small tables: 450 reserved-memory children, 900 merged ranges. */
    c = malloc(1 << 20);
    CHECK(fdt_open_into(dtb, c, 1 << 20) == 0);
    node = fdt_path_offset(c, "/reserved-memory");
    for (uint32_t i = 0; i < 450; i++) {
        char name[32];
        uint32_t reg[2] = {cpu_to_fdt32(0x50000000 + i * 0x2000), cpu_to_fdt32(0x1000)};
        snprintf(name, sizeof(name), "carveout@%x", 0x50000000 + i * 0x2000);
        CHECK(fdt_setprop(c, fdt_add_subnode(c, node, name), "reg", reg, sizeof(reg)) == 0);
    }
    expect_edit(c, true, KEEL_OK, "450 reserved-memory children");
    CHECK(bi.mem_count > 900 && range_is(0x50000000, BI_MEM_RESERVED, BI_SRC_FDT_RESERVED) &&
          range_is(0x50001000, BI_MEM_USABLE, BI_SRC_FDT_MEMORY));

    /* The overlap rule (keel/memmap.h) on real trees. Firmware memory over the kernel. */
    c = edit_copy(dtb);
    node = fdt_add_subnode(c, fdt_path_offset(c, "/reserved-memory"), "over-kernel@40210000");
    fdt_setprop(c, node, "reg", "\x40\x21\0\0\0\0\x10\0", 8);
    expect_edit(c, true, KEEL_E_OVERLAP_KERNEL_RESERVED, "reserved-memory child over the kernel");
    c = edit_copy(dtb);
    fdt_add_mem_rsv(c, 0x40210000, 0x1000);
    expect_edit(c, true, KEEL_E_OVERLAP_KERNEL_RESERVED, "/memreserve/ over the kernel");
    /* An initrd over the DTB's own bytes (the firmware's /memreserve/ there taken out). */
    c = edit_copy(dtb);
    fdt_del_mem_rsv(c, 0);
    chosen = fdt_path_offset(c, "/chosen");
    fdt_setprop_u32(c, chosen, "linux,initrd-start", DTB_PA + 0x100);
    fdt_setprop_u32(c, chosen, "linux,initrd-end", DTB_PA + 0x100 + INITRD_SIZE);
    expect_edit(c, false, KEEL_E_OVERLAP_MODULE_INFO, "initrd over the DTB");
    /* A /memreserve/ around the initrd is the firmware's, not the loader's mark on it. */
    c = edit_copy(dtb);
    fdt_add_mem_rsv(c, INITRD_PA - 0x1000, INITRD_SIZE + 0x2000);
    expect_edit(c, true, KEEL_E_OVERLAP_MODULE_RESERVED, "/memreserve/ around the initrd");
    c = edit_copy(dtb);
    fdt_add_mem_rsv(c, INITRD_PA, INITRD_SIZE);
    expect_edit(c, true, KEEL_OK, "the loader's /memreserve/ of the initrd itself");
    CHECK(range_is(INITRD_PA, BI_MEM_MODULE, BI_SRC_INITRD));

    c = edit_copy(dtb);
    fdt_setprop_string(c, fdt_path_offset(c, "/chosen"), "stdout-path", "/soc/serial@7e215040");
    expect_edit(c, true, KEEL_OK, "stdout-path to a non-PL011");
    CHECK(bi.console.kind == BI_CONSOLE_NONE);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: test_shim cells32.dtb cells64.dtb minimal.dtb initrd "
                        "[qemu.dtb...]\n");
        return 2;
    }
    initrd = test_read_file(argv[4], &initrd_len);
    CHECK(initrd_len == INITRD_SIZE);
    size_t len;
    uint8_t *dtb = test_read_file(argv[1], &len);
    cells32(dtb, len);
    damaged(dtb);
    free(dtb);
    dtb = test_read_file(argv[2], &len);
    cells64(dtb, len);
    free(dtb);
    dtb = test_read_file(argv[3], &len);
    minimal(dtb, len);
    free(dtb);
    for (int i = 5; i < argc; i++) {
        dtb = test_read_file(argv[i], &len);
        qemu_virt(argv[i], dtb, len);
        free(dtb);
    }
    free(initrd);
    return test_finish("test_shim");
}

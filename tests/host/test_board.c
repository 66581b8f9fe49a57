/* SPDX-License-Identifier: MIT */
/* The board layer and the UART drivers: board look-up, console choice, the early plan, driver ops.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <keel/board.h>
#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/uart.h>

#include "board_fdt.h"
#include "devicetree.h"
#include "test_util.h"

/* ---- The driver table and the drivers' ops, on a register file in memory ---- */

static const struct uart_driver *driver(uint32_t kind)
{
    const struct uart_driver *drv = uart_driver_by_kind(kind);
    CHECK(drv != NULL && drv->kind == kind);
    return drv;
}

static void table(void)
{
    static const char pl011[] = "arm,pl011\0arm,primecell";
    static const char dw[] = "snps,dw-apb-uart\0ns16550a";
    static const char unknown[] = "vendor,uart";

    CHECK(uart_driver_by_compatible(pl011, sizeof(pl011)) == driver(BI_CONSOLE_PL011));
    CHECK(uart_driver_by_compatible(dw, sizeof(dw)) == driver(BI_CONSOLE_NS16550_MMIO));
    CHECK(uart_driver_by_compatible(unknown, sizeof(unknown)) == NULL);
    /* A last string without its NUL is not a string. */
    CHECK(uart_driver_by_compatible("ns16550a", 8) == NULL);
    CHECK(uart_driver_by_compatible(dw, 0) == NULL);
    CHECK(uart_driver_by_kind(BI_CONSOLE_NONE) == NULL && uart_driver_by_kind(99) == NULL);
    CHECK(driver(BI_CONSOLE_NS16550_PIO)->compatible == NULL);
    for (size_t i = 0; i < uart_driver_count; i++) {
        const struct uart_driver *d = uart_drivers[i];
        CHECK(d->name != NULL && d->ops != NULL && d->ops->putc != NULL && d->ops->getc != NULL &&
              d->ops->probe != NULL);
        CHECK(uart_regs_extent(d, 0, d->default_io_width) == d->regs_size);
    }

    const struct uart_driver *pl = driver(BI_CONSOLE_PL011);
    const struct uart_driver *ns = driver(BI_CONSOLE_NS16550_MMIO);
    CHECK(uart_regs_extent(pl, 0, 1) == 0 && uart_regs_extent(pl, 2, 4) == 0);
    CHECK(uart_regs_extent(ns, 2, 4) == 32 && uart_regs_extent(ns, 1, 2) == 16);
    CHECK(uart_regs_extent(ns, 0, 4) == 0); /* wider than the registers' spacing */
    CHECK(uart_regs_extent(ns, 0, 3) == 0 && uart_regs_extent(ns, 9, 1) == 0);
}

static uint32_t regs[1024]; /* one 4 KiB register block, 32-bit aligned */

static void set32(uint32_t offset, uint32_t v)
{
    regs[offset / 4] = v;
}

static void pl011_ops(void)
{
    const struct uart_driver *drv = driver(BI_CONSOLE_PL011);
    struct uart u = {.regs = (volatile uint8_t *)regs, .io_width = 4, .window = 0x1000};
    static const uint8_t ids[8] = {0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

    memset(regs, 0, sizeof(regs));
    CHECK(drv->ops->probe(&u) == UART_PROBE_ABSENT); /* zeroes are no PrimeCell */
    for (uint32_t i = 0; i < 8; i++) {
        set32(0xfe0 + 4 * i, ids[i]);
    }
    CHECK(drv->ops->probe(&u) == UART_PROBE_FOUND);
    set32(0xfe0, 0x12); /* another PrimeCell part */
    CHECK(drv->ops->probe(&u) == UART_PROBE_ABSENT);
    u.window = 0x200; /* the ID registers lie outside what the tree vouches for */
    CHECK(drv->ops->probe(&u) == UART_PROBE_UNKNOWN);
    set32(0x18, UINT32_MAX); /* a bus with nothing behind it */
    CHECK(drv->ops->probe(&u) == UART_PROBE_ABSENT);

    set32(0x18, 0);
    CHECK(drv->ops->putc(&u, 'K') && regs[0] == 'K');
    set32(0x18, 1u << 5); /* TXFF: the FIFO stays full */
    CHECK(!drv->ops->putc(&u, 'L') && regs[0] == 'K');
    set32(0x18, 1u << 4); /* RXFE */
    CHECK(drv->ops->getc(&u) == -1);
    set32(0x18, 0);
    set32(0, 0x178);
    CHECK(drv->ops->getc(&u) == 0x78);
}

static void ns16550_ops(void)
{
    const struct uart_driver *drv = driver(BI_CONSOLE_NS16550_MMIO);
    struct uart u = {.regs = (volatile uint8_t *)regs, .reg_shift = 2, .io_width = 4, .window = 32};
    uint8_t *bytes = (uint8_t *)regs;

    /* reg-shift 2, reg-io-width 4: LSR is the word at 20. */
    memset(regs, 0, sizeof(regs));
    set32(20, 0x60);
    CHECK(drv->ops->probe(&u) == UART_PROBE_UNKNOWN);
    CHECK(drv->ops->putc(&u, 'A') && regs[0] == 'A');
    set32(20, 0x00);
    CHECK(!drv->ops->putc(&u, 'B') && regs[0] == 'A');
    CHECK(drv->ops->getc(&u) == -1);
    set32(20, 0x61);
    set32(0, 'z');
    CHECK(drv->ops->getc(&u) == 'z');
    set32(20, UINT32_MAX);
    CHECK(drv->ops->probe(&u) == UART_PROBE_ABSENT);

    /* reg-shift 0, byte access: LSR is byte 5, and nothing else is touched. */
    memset(regs, 0, sizeof(regs));
    u = (struct uart){.regs = (volatile uint8_t *)regs, .reg_shift = 0, .io_width = 1, .window = 8};
    bytes[5] = 0x20;
    CHECK(drv->ops->putc(&u, 'C') && bytes[0] == 'C' && bytes[1] == 0 && bytes[4] == 0);

    /* Without port I/O (the host), every port reads all ones: nothing is there. */
    const struct uart_driver *pio = driver(BI_CONSOLE_NS16550_PIO);
    u = (struct uart){.port = 0x3f8, .io_width = 1, .window = 8};
    CHECK(pio->ops->probe(&u) == UART_PROBE_ABSENT);
}

/* ---- Boards and consoles on device trees ---- */

static struct fdt fdt;

static void open_tree(const void *blob)
{
    CHECK_ERR(fdt_init(&fdt, blob, fdt_totalsize(blob)), KEEL_OK);
}

/* A writable copy with room to grow, for libfdt to edit. */
#define EDIT_ROOM 65536

static uint8_t *edit_copy(const uint8_t *dtb)
{
    int size = (int)fdt_totalsize(dtb) + EDIT_ROOM;
    uint8_t *copy = malloc((size_t)size);
    CHECK(fdt_open_into(dtb, copy, size) == 0);
    return copy;
}

/* Reads an edited tree through a packed copy, so that the edits can go on afterwards. */
static void reopen(const uint8_t *copy)
{
    static uint8_t *packed;

    free(packed);
    packed = malloc(fdt_totalsize(copy));
    CHECK(fdt_open_into(copy, packed, (int)fdt_totalsize(copy)) == 0 && fdt_pack(packed) == 0);
    open_tree(packed);
}

static int console_of(const uint8_t *copy, struct bi_console *c)
{
    reopen(copy);
    return board_find_console(&fdt, board_lookup(&fdt), c);
}

static bool is_console(const struct bi_console *c, uint32_t kind, uint64_t base)
{
    return c->kind == kind && c->base == base;
}

static void ram0_consoles(const uint8_t *dtb)
{
    struct bi_console c;
    uint8_t *t;
    int chosen, ns;

    open_tree(dtb);
    CHECK(board_lookup(&fdt) == &board_generic);
    CHECK_ERR(board_find_console(&fdt, &board_generic, &c), KEEL_OK);
    /* serial0 through the alias, translated by the soc's ranges. */
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x3f201000) && c.size == 0x200 && c.reg_io_width == 4 &&
          c.reg_shift == 0);

    /* The 16550 as stdout: reg-shift and reg-io-width come through. */
    t = edit_copy(dtb);
    ns = fdt_path_offset(t, "/soc/serial@7e300000");
    fdt_delprop(t, ns, "status");
    fdt_setprop_string(t, fdt_path_offset(t, "/chosen"), "stdout-path", "/soc/serial@7e300000");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_NS16550_MMIO, 0x3f300000) && c.reg_shift == 2 &&
          c.reg_io_width == 4 && c.size == 0x100);
    /* ... through linux,stdout-path, which counts when stdout-path is missing. */
    chosen = fdt_path_offset(t, "/chosen");
    fdt_setprop_string(t, chosen, "linux,stdout-path", "/soc/serial@7e300000");
    fdt_delprop(t, chosen, "stdout-path");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_NS16550_MMIO, 0x3f300000));
    /* ... and refused with a reg-io-width of 3, a reg-shift too large, or big-endian. */
    ns = fdt_path_offset(t, "/soc/serial@7e300000");
    fdt_setprop_u32(t, ns, "reg-io-width", 3);
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_REG);
    CHECK(c.kind == BI_CONSOLE_NONE); /* the generic board has no default */
    ns = fdt_path_offset(t, "/soc/serial@7e300000");
    fdt_setprop_u32(t, ns, "reg-io-width", 4);
    fdt_setprop_u32(t, ns, "reg-shift", 9);
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_REG);
    ns = fdt_path_offset(t, "/soc/serial@7e300000");
    fdt_setprop_u32(t, ns, "reg-shift", 2);
    fdt_setprop(t, ns, "big-endian", NULL, 0);
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_REG);
    ns = fdt_path_offset(t, "/soc/serial@7e300000");
    fdt_setprop(t, ns, "reg", "\x7e\x30\0\0\0\0\0\x10", 8); /* 16 bytes: less than 8 << 2 */
    fdt_delprop(t, ns, "big-endian");
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_REG);
    free(t);

    /* A stdout-path that resolves decides: the aux mini-UART, or a UART disabled. */
    t = edit_copy(dtb);
    fdt_setprop_string(t, fdt_path_offset(t, "/chosen"), "stdout-path", "serial1:115200");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_BCM2835_AUX, 0x3f215040) && c.reg_io_width == 4);
    fdt_setprop_string(t, fdt_path_offset(t, "/chosen"), "stdout-path", "/soc/serial@7e300000");
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_NO_DRIVER);
    /* One that resolves nowhere does not: the serial0 alias is next. */
    fdt_setprop_string(t, fdt_path_offset(t, "/chosen"), "stdout-path", "/nowhere");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x3f201000));
    free(t);

    /* Without stdout-path: the serial0 alias, then the first enabled UART a driver serves. */
    t = edit_copy(dtb);
    fdt_delprop(t, fdt_path_offset(t, "/chosen"), "stdout-path");
    ns = fdt_path_offset(t, "/soc/serial@7e300000");
    fdt_delprop(t, ns, "status");
    fdt_setprop_string(t, fdt_path_offset(t, "/aliases"), "serial0", "/soc/serial@7e300000");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_NS16550_MMIO, 0x3f300000));
    fdt_del_node(t, fdt_path_offset(t, "/aliases"));
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x3f201000));
    fdt_setprop_string(t, fdt_path_offset(t, "/soc/serial@7e201000"), "status", "disabled");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_BCM2835_AUX, 0x3f215040));
    fdt_setprop_string(t, fdt_path_offset(t, "/soc/serial@7e215040"), "status", "disabled");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_NS16550_MMIO, 0x3f300000));
    free(t);

    /* A UART whose registers lie in RAM is no UART. */
    t = edit_copy(dtb);
    int node = fdt_add_subnode(t, 0, "uart@1000000");
    fdt_setprop_string(t, node, "compatible", "arm,pl011");
    fdt_setprop(t, node, "reg", "\x01\0\0\0\0\0\x10\0", 8);
    fdt_setprop_string(t, fdt_path_offset(t, "/chosen"), "stdout-path", "/uart@1000000");
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_REG);
    free(t);

    /* One behind a bus's window is a device by the bus's word: memory over it is the
     * DTB's error, for the shim to name, and the console stays to say it. */
    t = edit_copy(dtb);
    fdt_setprop(t, fdt_path_offset(t, "/memory@0"), "reg", "\0\0\0\0\x40\0\0\0", 8);
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x3f201000));
    free(t);
}

static void virt_consoles(const uint8_t *dtb)
{
    struct bi_console c;
    uint8_t *t;

    open_tree(dtb);
    const struct board *b = board_lookup(&fdt);
    CHECK(b != &board_generic && strcmp(b->name, "qemu-virt") == 0);
    CHECK_ERR(board_find_console(&fdt, b, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x9000000) && c.size == 0x1000);

    /* The board's default, when the tree names no UART a driver can use. */
    t = edit_copy(dtb);
    fdt_delprop(t, fdt_path_offset(t, "/chosen"), "stdout-path");
    fdt_setprop_string(t, fdt_path_offset(t, "/pl011@9000000"), "status", "disabled");
    CHECK_ERR(console_of(t, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x9000000));
    fdt_setprop_string(t, fdt_path_offset(t, "/chosen"), "stdout-path", "/fw-cfg@9020000");
    CHECK_ERR(console_of(t, &c), KEEL_E_CONSOLE_NO_DRIVER);
    CHECK(is_console(&c, BI_CONSOLE_PL011, 0x9000000));
    /* The root's compatible list decides the board: any string in it, first match wins. */
    fdt_setprop(t, 0, "compatible", "vendor,board\0linux,dummy-virt", 30);
    reopen(t);
    CHECK(board_lookup(&fdt) == b);
    fdt_delprop(t, 0, "compatible");
    reopen(t);
    CHECK(board_lookup(&fdt) == &board_generic);
    free(t);
}

/* ---- The early plan ---- */

static bool has_range(const struct board_early *p, uint64_t base, uint64_t size, pt_flags_t mem)
{
    for (uint32_t i = 0; i < p->range_count; i++) {
        const struct board_range *r = &p->ranges[i];
        if (r->base == base && r->size == size && r->mem == mem) {
            return true;
        }
    }
    return false;
}

static struct board_early plan;

static void ram0_plan(const uint8_t *dtb)
{
    board_early_plan(dtb, fdt_totalsize(dtb), &plan);
    CHECK_ERR(plan.dtb_error, KEEL_OK);
    CHECK(plan.board == &board_generic && plan.fw_cfg_base == 0);
    CHECK_ERR(plan.console_error, KEEL_OK);
    CHECK(is_console(&plan.console, BI_CONSOLE_PL011, 0x3f201000));
    /* RAM from 0 less the no-map firmware region; the framebuffer above RAM, write-combining. */
    CHECK(plan.range_count == 3 && plan.ranges_dropped == 0);
    CHECK(has_range(&plan, 0, 0x3a000000, PT_MEM_NORMAL));
    CHECK(has_range(&plan, 0x3a400000, 0x1000000, PT_MEM_NORMAL));
    CHECK(has_range(&plan, 0x3c100000, 0x300000, PT_MEM_WC));

    /* More RAM pieces than the plan holds: the rest is counted, not lost silently. */
    uint8_t *t = edit_copy(dtb);
    uint32_t reg[2 * 40];
    for (uint32_t i = 0; i < 40; i++) {
        reg[2 * i] = cpu_to_fdt32(i * 0x1000000);
        reg[2 * i + 1] = cpu_to_fdt32(0x800000);
    }
    CHECK(fdt_setprop(t, fdt_path_offset(t, "/memory@0"), "reg", reg, sizeof(reg)) == 0);
    fdt_pack(t);
    board_early_plan(t, fdt_totalsize(t), &plan);
    CHECK(plan.range_count == BOARD_EARLY_MAX && plan.ranges_dropped == 40 + 1 - BOARD_EARLY_MAX);
    free(t);

    /* A tree that cannot be read: no board, and why. */
    board_early_plan(NULL, 0, &plan);
    CHECK(plan.board == NULL && plan.dtb_error != KEEL_OK && plan.range_count == 0);
    board_early_plan(dtb, 40, &plan);
    CHECK(plan.board == NULL && plan.dtb_error == KEEL_E_FDT_TOTALSIZE);
}

/* QEMU virt: its RAM from 1 GiB, its PL011 and fw_cfg; the file name says the RAM size. */
static void virt_plan(const char *path, const uint8_t *dtb)
{
    uint64_t mem = test_qemu_dtb_ram(path);

    board_early_plan(dtb, fdt_totalsize(dtb), &plan);
    CHECK(plan.board != NULL && strcmp(plan.board->name, "qemu-virt") == 0);
    CHECK(is_console(&plan.console, BI_CONSOLE_PL011, 0x9000000));
    CHECK(plan.fw_cfg_base == 0x9020000);
    CHECK(plan.range_count == 1 && has_range(&plan, 0x40000000, mem, PT_MEM_NORMAL));
}

/*
 * QEMU's riscv virt: its row by the root compatible, with the arch and the test
 * finisher the row carries; the ns16550a that stdout-path names; RAM from 2 GiB.
 */
static void riscv_virt(const char *path, const uint8_t *dtb)
{
    struct bi_console c;
    uint64_t mem = test_qemu_dtb_ram(path);

    open_tree(dtb);
    const struct board *b = board_lookup(&fdt);
    CHECK(strcmp(b->name, "qemu-virt-riscv") == 0 && b->arch != NULL &&
          strcmp(b->arch, "riscv64") == 0 && b->test_finisher == 0x100000);
    CHECK(is_console(&b->console, BI_CONSOLE_NS16550_MMIO, 0x10000000));
    CHECK_ERR(board_find_console(&fdt, b, &c), KEEL_OK);
    CHECK(is_console(&c, BI_CONSOLE_NS16550_MMIO, 0x10000000) && c.reg_shift == 0);
    board_early_plan(dtb, fdt_totalsize(dtb), &plan);
    CHECK(plan.board == b && plan.fw_cfg_base == 0x10100000);
    CHECK(plan.range_count == 1 && has_range(&plan, 0x80000000, mem, PT_MEM_NORMAL));
    /* aarch64's QEMU virt row is aarch64's only; every row names its arch. */
    for (size_t i = 0; i < board_count; i++) {
        CHECK(board_table[i].arch != NULL);
    }
}

static void other_plans(const uint8_t *cells64, const uint8_t *fwcfg)
{
    /* cells64: the no-map TEE region leaves RAM, the disabled one does not; its
     * framebuffer lies in a hole. */
    board_early_plan(cells64, fdt_totalsize(cells64), &plan);
    CHECK(plan.range_count == 3 && has_range(&plan, 0x40000000, 0x3e000000, PT_MEM_NORMAL) &&
          has_range(&plan, 0x100000000, 0x100000000, PT_MEM_NORMAL) &&
          has_range(&plan, 0xc0000000, 0x100000, PT_MEM_WC));
    /* fwcfg: the framebuffer sits in a no-map reservation inside RAM: mapped on its own. */
    board_early_plan(fwcfg, fdt_totalsize(fwcfg), &plan);
    CHECK(plan.fw_cfg_base == 0x9020000);
    CHECK(has_range(&plan, 0x40000000, 0x1f800000, PT_MEM_NORMAL) &&
          has_range(&plan, 0x5fb00000, 0x500000, PT_MEM_NORMAL) &&
          has_range(&plan, 0x5f800000, 0x300000, PT_MEM_WC));
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: test_board ram0.dtb cells64.dtb fwcfg.dtb [qemu-virt.dtb...] "
                        "[riscv-virt.dtb...]\n");
        return 2;
    }
    table();
    pl011_ops();
    ns16550_ops();

    size_t len;
    uint8_t *ram0 = test_read_file(argv[1], &len);
    uint8_t *cells64 = test_read_file(argv[2], &len);
    uint8_t *fwcfg = test_read_file(argv[3], &len);
    ram0_consoles(ram0);
    ram0_plan(ram0);
    other_plans(cells64, fwcfg);
    for (int i = 4; i < argc; i++) {
        uint8_t *dtb = test_read_file(argv[i], &len);
        if (strstr(argv[i], "riscv") != NULL) {
            riscv_virt(argv[i], dtb);
        } else {
            virt_consoles(dtb);
            virt_plan(argv[i], dtb);
        }
        free(dtb);
    }
    free(ram0);
    free(cells64);
    free(fwcfg);
    return test_finish("test_board");
}

/* SPDX-License-Identifier: MIT */
/* The boards Keel knows, keyed by the DTB's root compatible, and the console a DTB names. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/addr.h>
#include <keel/board.h>
#include <keel/compatible.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/uart.h>

#include "board_fdt.h"
#include "shim_internal.h"

/*
 * One row per board that needs a fact its DTB does not give. A board whose DTB names
 * its console needs no row at all.
 */
const struct board board_table[] = {
    {
        /* QEMU's virt machine: its first PL011 (-serial #0). */
        .compatible = "linux,dummy-virt",
        .name = "qemu-virt",
        .console =
            {.kind = BI_CONSOLE_PL011, .reg_io_width = 4, .base = 0x09000000, .size = 0x1000},
        .arch = "aarch64",
    },
    {
        /* QEMU's riscv virt machine: its ns16550a, and the test device QEMU exits through. */
        .compatible = "riscv-virtio",
        .name = "qemu-virt-riscv",
        .console =
            {.kind = BI_CONSOLE_NS16550_MMIO, .reg_io_width = 1, .base = 0x10000000, .size = 0x100},
        .arch = "riscv64",
        .test_finisher = 0x100000,
    },
};

const size_t board_count = sizeof(board_table) / sizeof(board_table[0]);

const struct board board_generic = {.compatible = NULL, .name = "generic"};

const struct board *board_lookup(const struct fdt *fdt)
{
    struct fdt_prop prop;

    if (!fdt_get_prop(fdt, 0, "compatible", &prop)) {
        return &board_generic;
    }
    /* The root lists the most specific name first, so earlier strings win. */
    size_t at = 0;
    for (const char *s; (s = compatible_next((const char *)prop.value, prop.len, &at)) != NULL;) {
        for (size_t i = 0; i < board_count; i++) {
            if (strcmp(board_table[i].compatible, s) == 0) {
                return &board_table[i];
            }
        }
    }
    return &board_generic;
}

/* A one-cell property, or `fallback` when the node has none; false when it is malformed. */
static bool cell_or(const struct fdt *fdt, uint32_t node, const char *name, uint32_t fallback,
                    uint32_t *value)
{
    *value = fallback;
    int err = fdt_get_u32(fdt, node, name, value);
    return err == KEEL_OK || err == KEEL_E_FDT_NOT_FOUND;
}

/* Calls fn for each entry of the reg property of path's last node; stops at a bad entry. */
static void each_reg(const struct fdt *fdt, const struct fdt_path *path,
                     void (*fn)(void *ctx, uint64_t base, uint64_t size), void *ctx)
{
    uint64_t base, size;

    for (uint32_t i = 0, count = 1; i < count; i++) {
        if (fdt_reg(fdt, path, i, &base, &size, &count) != KEEL_OK) {
            return;
        }
        fn(ctx, base, size);
    }
}

/* Calls fn for each reg entry of every enabled /memory node. */
static void each_memory(const struct fdt *fdt, void (*fn)(void *ctx, uint64_t base, uint64_t size),
                        void *ctx)
{
    struct fdt_path root = {.depth = 1, .node = {0}};
    struct fdt_path path;
    uint32_t child;

    for (bool ok = fdt_first_child(fdt, 0, &child); ok; ok = fdt_next_sibling(fdt, child, &child)) {
        if (fdt_is_memory_node(fdt, child) && fdt_node_enabled(fdt, child)) {
            fdt_path_child(&path, 1, &root, child);
            each_reg(fdt, &path, fn, ctx);
        }
    }
}

/* Do [a, a + a_size) and [b, b + b_size) share a byte? Ranges that wrap count as ending at 2^64. */
static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a_size != 0 && b_size != 0 && (a < b ? b - a < a_size : a - b < b_size);
}

struct overlap_query {
    uint64_t base, size;
    bool hit;
};

static void overlap_check(void *ctx, uint64_t base, uint64_t size)
{
    struct overlap_query *q = ctx;
    q->hit = q->hit || overlaps(q->base, q->size, base, size);
}

/* True when [base, base + size) shares a byte with what a /memory node calls RAM. */
static bool in_memory(const struct fdt *fdt, uint64_t base, uint64_t size)
{
    struct overlap_query q = {.base = base, .size = size, .hit = false};
    each_memory(fdt, overlap_check, &q);
    return q.hit;
}

/*
 * True when the node at `path` sits behind a bus whose ranges translate its reg (the
 * Raspberry Pi's /soc): a device by the bus's word, so a /memory node over it is the
 * DTB's error, which the shim names (check_device_windows), and the console can say it.
 */
static bool behind_bus_window(const struct fdt *fdt, const struct fdt_path *path)
{
    struct fdt_prop ranges;

    return path->depth >= 3 && fdt_get_prop(fdt, path->node[path->depth - 2], "ranges", &ranges) &&
           ranges.len != 0;
}

/* The console record for the node at `path`, when a driver serves it and its reg is usable. */
static int console_from_node(const struct fdt *fdt, const struct fdt_path *path,
                             struct bi_console *out)
{
    struct fdt_prop prop;
    const struct uart_driver *drv = NULL;
    uint32_t node = path->node[path->depth - 1];
    uint32_t shift = 0, width, count;
    uint64_t base, size;

    if (fdt_get_prop(fdt, node, "compatible", &prop)) {
        drv = uart_driver_by_compatible((const char *)prop.value, prop.len);
    }
    if (drv == NULL || !fdt_node_enabled(fdt, node)) {
        return KEEL_E_CONSOLE_NO_DRIVER;
    }
    width = drv->default_io_width;
    if (fdt_reg(fdt, path, 0, &base, &size, &count) != KEEL_OK ||
        fdt_translate(fdt, path, &base) != KEEL_OK) {
        return KEEL_E_CONSOLE_REG;
    }
    if ((drv->dt_props & UART_DT_REG_SHIFT) != 0 && !cell_or(fdt, node, "reg-shift", 0, &shift)) {
        return KEEL_E_CONSOLE_REG;
    }
    /* The drivers are little-endian; a node asking for big-endian access is not theirs. */
    if ((drv->dt_props & UART_DT_REG_IO_WIDTH) != 0 &&
        (!cell_or(fdt, node, "reg-io-width", width, &width) ||
         fdt_get_prop(fdt, node, "big-endian", &prop))) {
        return KEEL_E_CONSOLE_REG;
    }
    uint64_t extent = uart_regs_extent(drv, shift, width);
    if (extent == 0 || size < extent || base == 0 || base % width != 0 ||
        (in_memory(fdt, base & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE) &&
         !behind_bus_window(fdt, path))) {
        return KEEL_E_CONSOLE_REG;
    }
    *out = (struct bi_console){
        .kind = drv->kind,
        .reg_shift = (uint8_t)shift,
        .reg_io_width = (uint8_t)width,
        .base = base,
        .size = size,
    };
    return KEEL_OK;
}

/* The node a /chosen stdout property names; "serial0:115200n8" ends its path at ':'. */
static bool stdout_node(const struct fdt *fdt, uint32_t chosen, const char *prop_name,
                        struct fdt_path *path)
{
    struct fdt_prop prop;
    const char *value;
    size_t len = 0;

    if (!fdt_get_prop(fdt, chosen, prop_name, &prop) || (value = fdt_prop_string(&prop)) == NULL) {
        return false;
    }
    while (value[len] != '\0' && value[len] != ':') {
        len++;
    }
    return fdt_find_path(fdt, value, len, path) == KEEL_OK;
}

int board_find_console(const struct fdt *fdt, const struct board *board, struct bi_console *out)
{
    struct fdt_path chosen, path;
    int err;

    *out = (struct bi_console){.kind = BI_CONSOLE_NONE};
    if (fdt_find_path(fdt, "/chosen", 7, &chosen) == KEEL_OK &&
        (stdout_node(fdt, chosen.node[1], "stdout-path", &path) ||
         stdout_node(fdt, chosen.node[1], "linux,stdout-path", &path))) {
        err = console_from_node(fdt, &path, out);
        if (err != KEEL_OK) {
            *out = board->console;
        }
        return err;
    }
    if (fdt_find_path(fdt, "serial0", 7, &path) == KEEL_OK &&
        console_from_node(fdt, &path, out) == KEEL_OK) {
        return KEEL_OK;
    }
    path.depth = 0;
    while (fdt_walk_next(fdt, &path)) {
        if (console_from_node(fdt, &path, out) == KEEL_OK) {
            return KEEL_OK;
        }
    }
    *out = board->console;
    return KEEL_OK;
}

/* ---- The early plan ---- */

static void plan_add(struct board_early *p, uint64_t base, uint64_t size, pt_flags_t mem)
{
    if (size == 0 || base + size < base) {
        return; /* the shim refuses such ranges with its own error */
    }
    if (p->range_count == BOARD_EARLY_MAX) {
        p->ranges_dropped++;
        return;
    }
    p->ranges[p->range_count++] = (struct board_range){.base = base, .size = size, .mem = mem};
}

static void plan_ram(void *ctx, uint64_t base, uint64_t size)
{
    plan_add(ctx, base, size, PT_MEM_NORMAL);
}

/* Takes [base, base + size) out of every RAM range, splitting a range it falls inside. */
static void plan_cut(void *ctx, uint64_t base, uint64_t size)
{
    struct board_early *p = ctx;
    uint64_t end = base + size < base ? UINT64_MAX : base + size;

    for (uint32_t i = 0; i < p->range_count; i++) {
        struct board_range *r = &p->ranges[i];
        uint64_t r_end = r->base + r->size;
        if (r->mem != PT_MEM_NORMAL || !overlaps(r->base, r->size, base, end - base)) {
            continue;
        }
        if (r_end > end) {
            plan_add(p, end, r_end - end, PT_MEM_NORMAL); /* the part above the cut */
        }
        r->size = base > r->base ? base - r->base : 0; /* the part below it, maybe none */
    }
}

/* /reserved-memory children with no-map: memory the firmware keeps even from reads. */
static void plan_no_map(const struct fdt *fdt, struct board_early *p)
{
    struct fdt_path rm, path;
    struct fdt_prop prop;
    uint32_t child;

    if (fdt_find_path(fdt, "/reserved-memory", 16, &rm) != KEEL_OK) {
        return;
    }
    for (bool ok = fdt_first_child(fdt, rm.node[1], &child); ok;
         ok = fdt_next_sibling(fdt, child, &child)) {
        if (fdt_node_enabled(fdt, child) && fdt_get_prop(fdt, child, "no-map", &prop)) {
            fdt_path_child(&path, 2, &rm, child);
            each_reg(fdt, &path, plan_cut, p);
        }
    }
}

/* Drops the ranges the cuts emptied, keeping the order. */
static void plan_compact(struct board_early *p)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < p->range_count; i++) {
        if (p->ranges[i].size != 0) {
            p->ranges[n++] = p->ranges[i];
        }
    }
    p->range_count = n;
}

static bool in_plan(const struct board_early *p, uint64_t base, uint64_t size)
{
    for (uint32_t i = 0; i < p->range_count; i++) {
        if (overlaps(p->ranges[i].base, p->ranges[i].size, base, size)) {
            return true;
        }
    }
    return false;
}

/*
 * Framebuffers larger than this are not mapped early: no mode a console draws needs
 * more (8192 x 8192 at 32 bpp), and a bad DTB does not get to map gigabytes.
 */
#define PLAN_FB_MAX (UINT64_C(256) << 20)

void board_early_plan(const void *dtb, size_t avail, struct board_early *p)
{
    struct fdt fdt;
    struct fb_found fbs;

    memset(p, 0, sizeof(*p));
    p->dtb_error = dtb != NULL ? fdt_init(&fdt, dtb, avail) : KEEL_E_FDT_TOTALSIZE;
    if (p->dtb_error != KEEL_OK) {
        return;
    }
    p->board = board_lookup(&fdt);
    p->console_error = board_find_console(&fdt, p->board, &p->console);
    shim_fdt_fb_find(&fdt, &fbs);
    p->fb_device = fbs.device;
    p->fw_cfg_base = fbs.fw_cfg_base;
    each_memory(&fdt, plan_ram, p);
    plan_no_map(&fdt, p);
    plan_compact(p);
    /*
     * In mapped RAM it is reachable already; outside (an MMIO hole, or a no-map
     * reservation the firmware keeps it in) it is mapped write-combining.
     */
    const struct bi_framebuffer *fb = &fbs.framebuffer;
    uint64_t fb_size = fbs.framebuffer_size;
    if (fb->source != BI_FB_NONE && fb_size <= PLAN_FB_MAX && !in_plan(p, fb->base, fb_size)) {
        plan_add(p, fb->base, fb_size, PT_MEM_WC);
    }
}

/* SPDX-License-Identifier: MIT */
/* The framebuffer drivers (drivers/fb/): the table, each probe, the walk, ramfb's refusals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <keel/boot_info.h>
#include <keel/compatible.h>
#include <keel/errors.h>
#include <keel/fb.h>

#include "devicetree.h"
#include "shim_internal.h"
#include "test_util.h"

#define FB_NODE "/framebuffer@5f800000"
#define FWCFG_NODE "/fw-cfg@9020000"

static void table(void)
{
    CHECK(fb_driver_count == 4);
    for (size_t i = 0; i < fb_driver_count; i++) {
        const struct fb_driver *d = fb_drivers[i];
        CHECK(d->name != NULL && d->probe != NULL && d->source != BI_FB_NONE);
        CHECK(d->compatible != NULL && d->compatible[0] != NULL);
        CHECK(fb_driver_by_source(d->source) == d);
        for (size_t j = 0; j < i; j++) {
            CHECK(fb_drivers[j]->source != d->source);
        }
    }
    const struct fb_driver *simplefb = fb_driver_by_source(BI_FB_SIMPLE_FRAMEBUFFER);
    const struct fb_driver *ramfb = fb_driver_by_source(BI_FB_RAMFB);
    CHECK(simplefb != NULL && simplefb->setup == NULL);
    CHECK(ramfb != NULL && ramfb->setup != NULL);
    const struct fb_driver *mbox = fb_driver_by_source(BI_FB_RPI_MAILBOX);
    CHECK(mbox != NULL && mbox->setup != NULL);
    const struct fb_driver *pci = fb_driver_by_source(BI_FB_BOCHS_PCI);
    CHECK(pci != NULL && pci->setup != NULL && pci->bus);
    CHECK(!simplefb->bus && !ramfb->bus && !mbox->bus);
    CHECK(fb_driver_by_compatible("pci-host-ecam-generic", sizeof("pci-host-ecam-generic")) == pci);
    CHECK(fb_driver_by_compatible("brcm,bcm2835-mbox", sizeof("brcm,bcm2835-mbox")) == mbox);
    CHECK(fb_driver_by_source(BI_FB_NONE) == NULL && fb_driver_by_source(BI_FB_MULTIBOOT2) == NULL);
    CHECK(fb_driver_by_source(1000) == NULL);

    /* Whole strings only, the most specific first; a last string without its NUL is not one. */
    static const char list[] = "vendor,panel\0simple-framebuffer";
    CHECK(fb_driver_by_compatible(list, sizeof(list)) == simplefb);
    CHECK(fb_driver_by_compatible(list, sizeof(list) - 1) == NULL);
    static const char fwcfg[] = "qemu,fw-cfg-mmio";
    CHECK(fb_driver_by_compatible(fwcfg, sizeof(fwcfg)) == ramfb);
    CHECK(fb_driver_by_compatible("simple", 7) == NULL);
    CHECK(fb_driver_by_compatible("", 0) == NULL && fb_driver_by_compatible("", 1) == NULL);

    size_t at = 0;
    static const char two[] = "a\0\0b";
    CHECK(strcmp(compatible_next(two, sizeof(two), &at), "a") == 0 && at == 2);
    CHECK(strcmp(compatible_next(two, sizeof(two), &at), "") == 0 && at == 3);
    CHECK(strcmp(compatible_next(two, sizeof(two), &at), "b") == 0 && at == 5);
    CHECK(compatible_next(two, sizeof(two), &at) == NULL && at == 5);
    CHECK(!compatible_listed(NULL, "a"));
}

/* ---- Probes and the walk, on dts/test/fwcfg.dts edited with libfdt ---- */

#define EDIT_ROOM 65536

static uint8_t *base_dtb;
static uint8_t *packed;
static struct fdt fdt;

/* A writable copy of the test tree with room to grow. */
static uint8_t *fresh(void)
{
    int size = (int)fdt_totalsize(base_dtb) + EDIT_ROOM;
    uint8_t *copy = malloc((size_t)size);
    CHECK(fdt_open_into(base_dtb, copy, size) == 0);
    return copy;
}

/* Opens an edited tree (packed) with Keel's reader and frees the copy. */
static void open_edited(uint8_t *copy)
{
    free(packed);
    packed = malloc(fdt_totalsize(copy));
    CHECK(fdt_open_into(copy, packed, (int)fdt_totalsize(copy)) == 0 && fdt_pack(packed) == 0);
    CHECK_ERR(fdt_init(&fdt, packed, fdt_totalsize(packed)), KEEL_OK);
    free(copy);
}

static int node_of(uint8_t *copy, const char *path)
{
    int off = fdt_path_offset(copy, path);
    CHECK(off >= 0);
    return off;
}

/* The probe of the driver for `path`, run by hand: its return value and what it found. */
static int probe(const char *path, struct fb_found *out)
{
    struct fdt_path p;
    struct fdt_prop prop;

    memset(out, 0, sizeof(*out));
    CHECK_ERR(fdt_find_path(&fdt, path, strlen(path), &p), KEEL_OK);
    CHECK(fdt_get_prop(&fdt, p.node[p.depth - 1], "compatible", &prop));
    const struct fb_driver *d = fb_driver_by_compatible((const char *)prop.value, prop.len);
    CHECK(d != NULL);
    return d != NULL ? d->probe(&fdt, &p, out) : KEEL_E_INVALID;
}

static struct fb_found walk(void)
{
    struct fb_found f;
    shim_fdt_fb_find(&fdt, &f);
    return f;
}

static void as_written(void)
{
    open_edited(fresh());
    struct fb_found f = walk();
    const struct bi_framebuffer *fb = &f.framebuffer;
    CHECK(fb->source == BI_FB_SIMPLE_FRAMEBUFFER && fb->base == 0x5f800000);
    CHECK(fb->width == 800 && fb->height == 600 && fb->pitch == 3200 && fb->bpp == 32);
    CHECK(fb->red_pos == 16 && fb->green_pos == 8 && fb->blue_pos == 0 && fb->blue_size == 8);
    CHECK(f.framebuffer_size == 0x300000);
    CHECK(f.device.driver == BI_FB_RAMFB && f.device.base == 0x9020000 && f.device.size == 0x18);
    CHECK(f.fw_cfg_base == 0x9020000);

    /* Each probe fills only its own part. */
    CHECK_ERR(probe(FB_NODE, &f), KEEL_OK);
    CHECK(f.device.driver == BI_FB_NONE && f.device.base == 0 && f.fw_cfg_base == 0);
    CHECK_ERR(probe(FWCFG_NODE, &f), KEEL_OK);
    CHECK(f.framebuffer.source == BI_FB_NONE && f.device.base == 0x9020000);
    CHECK(f.device.driver == BI_FB_NONE); /* the walk sets it, from the table */
}

/* simple-framebuffer nodes the probe refuses, each with its error, and the walk skipping them. */
static void simplefb_refusals(void)
{
    static const struct {
        const char *prop;
        const void *value;
        int len; /* -1: delete the property */
        int err;
    } cases[] = {
        {"format", "y8", 3, KEEL_E_FB_FORMAT},
        {"format", "x8r8g8b8", 8, KEEL_E_FDT_PROP}, /* no NUL: not a string */
        {"format", NULL, -1, KEEL_E_FDT_NOT_FOUND},
        {"stride", NULL, -1, KEEL_E_FDT_NOT_FOUND},
        {"width", "\0\0\0\0\0\0\x03\x20", 8, KEEL_E_FDT_PROP},
        {"height", "\x02", 1, KEEL_E_FDT_PROP},
        {"reg", NULL, -1, KEEL_E_FDT_NOT_FOUND},
        {"reg", "\0\0\0\0\x5f\x80\0\0\0\0", 10, KEEL_E_FDT_PROP},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *t = fresh();
        int fb = node_of(t, FB_NODE);
        if (cases[i].len < 0) {
            CHECK(fdt_delprop(t, fb, cases[i].prop) == 0);
        } else {
            CHECK(fdt_setprop(t, fb, cases[i].prop, cases[i].value, cases[i].len) == 0);
        }
        open_edited(t);
        struct fb_found f;
        CHECK_ERR(probe(FB_NODE, &f), cases[i].err);
        CHECK(f.framebuffer.source == BI_FB_NONE);
        f = walk();
        CHECK(f.framebuffer.source == BI_FB_NONE && f.framebuffer_size == 0);
        CHECK(f.device.driver == BI_FB_RAMFB); /* the other device is still found */
    }
}

static void simplefb_variants(void)
{
    /* r5g6b5 is recorded as it is; the console refuses 16 bpp later, with its own error. */
    uint8_t *t = fresh();
    CHECK(fdt_setprop_string(t, node_of(t, FB_NODE), "format", "r5g6b5") == 0);
    open_edited(t);
    struct fb_found f = walk();
    CHECK(f.framebuffer.bpp == 16 && f.framebuffer.red_pos == 11 && f.framebuffer.green_size == 6);

    /* A reg of size 0 stands for pitch x height. */
    t = fresh();
    static const uint8_t reg0[16] = {0, 0, 0, 0, 0x5f, 0x80, 0, 0};
    CHECK(fdt_setprop(t, node_of(t, FB_NODE), "reg", reg0, sizeof(reg0)) == 0);
    open_edited(t);
    f = walk();
    CHECK(f.framebuffer.base == 0x5f800000 && f.framebuffer_size == 3200 * 600);

    /* A more specific string first still finds the driver; a disabled node is not used. */
    t = fresh();
    static const char compat[] = "keel,test-panel\0simple-framebuffer";
    CHECK(fdt_setprop(t, node_of(t, FB_NODE), "compatible", compat, sizeof(compat)) == 0);
    open_edited(t);
    CHECK(walk().framebuffer.source == BI_FB_SIMPLE_FRAMEBUFFER);
    t = fresh();
    CHECK(fdt_setprop_string(t, node_of(t, FB_NODE), "status", "disabled") == 0);
    open_edited(t);
    CHECK(walk().framebuffer.source == BI_FB_NONE);

    /* /chosen's framebuffer comes first, wherever the other one is in the tree. */
    t = fresh();
    int chosen = node_of(t, "/chosen");
    CHECK(fdt_setprop_u32(t, chosen, "#address-cells", 2) == 0);
    CHECK(fdt_setprop_u32(t, chosen, "#size-cells", 2) == 0);
    CHECK(fdt_setprop(t, chosen, "ranges", NULL, 0) == 0);
    int c = fdt_add_subnode(t, chosen, "framebuffer@5fa00000");
    CHECK(c >= 0);
    static const uint8_t reg[16] = {0, 0, 0, 0, 0x5f, 0xa0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0};
    CHECK(fdt_setprop_string(t, c, "compatible", "simple-framebuffer") == 0);
    CHECK(fdt_setprop(t, c, "reg", reg, sizeof(reg)) == 0);
    CHECK(fdt_setprop_u32(t, c, "width", 640) == 0 && fdt_setprop_u32(t, c, "height", 480) == 0);
    CHECK(fdt_setprop_u32(t, c, "stride", 2560) == 0);
    CHECK(fdt_setprop_string(t, c, "format", "a8r8g8b8") == 0);
    open_edited(t);
    f = walk();
    CHECK(f.framebuffer.base == 0x5fa00000 && f.framebuffer.width == 640);
    CHECK(f.framebuffer_size == 0x100000);
}

static void fwcfg_variants(void)
{
    /* Fewer than the selector's ten bytes: refused, so no device and no fw_cfg. */
    uint8_t *t = fresh();
    static const uint8_t small[16] = {0, 0, 0, 0, 0x09, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8};
    CHECK(fdt_setprop(t, node_of(t, FWCFG_NODE), "reg", small, sizeof(small)) == 0);
    open_edited(t);
    struct fb_found f;
    CHECK_ERR(probe(FWCFG_NODE, &f), KEEL_E_FDT_PROP);
    f = walk();
    CHECK(f.device.driver == BI_FB_NONE && f.fw_cfg_base == 0);
    CHECK(f.framebuffer.source == BI_FB_SIMPLE_FRAMEBUFFER);

    t = fresh();
    CHECK(fdt_setprop_string(t, node_of(t, FWCFG_NODE), "status", "disabled") == 0);
    open_edited(t);
    f = walk();
    CHECK(f.device.driver == BI_FB_NONE && f.fw_cfg_base == 0);

    /* Behind a bus whose ranges move it: the CPU's address is recorded. */
    t = fresh();
    CHECK(fdt_del_node(t, node_of(t, FWCFG_NODE)) == 0);
    int bus = fdt_add_subnode(t, 0, "bus@10000000");
    CHECK(bus >= 0);
    CHECK(fdt_setprop_u32(t, bus, "#address-cells", 1) == 0);
    CHECK(fdt_setprop_u32(t, bus, "#size-cells", 1) == 0);
    /* child 0x0 -> parent 0x0_10000000, 0x100000 bytes */
    static const uint8_t ranges[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0x10, 0, 0};
    CHECK(fdt_setprop(t, bus, "ranges", ranges, sizeof(ranges)) == 0);
    int fw = fdt_add_subnode(t, bus, "fw-cfg@2000");
    CHECK(fw >= 0);
    static const uint8_t reg[8] = {0, 0, 0x20, 0, 0, 0, 0, 0x18};
    CHECK(fdt_setprop_string(t, fw, "compatible", "qemu,fw-cfg-mmio") == 0);
    CHECK(fdt_setprop(t, fw, "reg", reg, sizeof(reg)) == 0);
    open_edited(t);
    f = walk();
    CHECK(f.device.driver == BI_FB_RAMFB && f.device.base == 0x10002000 && f.device.size == 0x18);
    CHECK(f.fw_cfg_base == 0x10002000);
}

static struct boot_info bi, before;

/* ---- bochs-pci's probe: a PCIe host bridge, recorded as a bus beside ramfb's device ---- */

#define PCI_NODE "/pcie@30000000"

/* QEMU's virt PCIe bridge: ECAM at 0x30000000 and the ranges of its three spaces. */
static uint8_t *with_bridge(const uint32_t *ranges, size_t ranges_cells, uint32_t reg_size)
{
    uint8_t *t = fresh();
    int n = fdt_add_subnode(t, 0, "pcie@30000000");
    CHECK(n >= 0);
    const uint32_t reg[4] = {0, cpu_to_fdt32(0x30000000), 0, cpu_to_fdt32(reg_size)};
    CHECK(fdt_setprop_string(t, n, "compatible", "pci-host-ecam-generic") == 0);
    CHECK(fdt_setprop_string(t, n, "device_type", "pci") == 0);
    CHECK(fdt_setprop_u32(t, n, "#address-cells", 3) == 0);
    CHECK(fdt_setprop_u32(t, n, "#size-cells", 2) == 0);
    CHECK(fdt_setprop(t, n, "reg", reg, sizeof(reg)) == 0);
    uint32_t be[32];
    for (size_t i = 0; i < ranges_cells; i++) {
        be[i] = cpu_to_fdt32(ranges[i]);
    }
    CHECK(fdt_setprop(t, n, "ranges", be, (int)(ranges_cells * 4)) == 0);
    return t;
}

static void pci_variants(void)
{
    /* I/O, 32-bit memory and 64-bit memory, as QEMU's riscv64 virt board has them. */
    static const uint32_t qemu[] = {
        0x1000000, 0, 0,          0, 0x3000000,  0, 0x10000,    /* I/O */
        0x2000000, 0, 0x40000000, 0, 0x40000000, 0, 0x40000000, /* 32-bit memory */
        0x3000000, 4, 0,          4, 0,          4, 0,          /* 64-bit memory */
    };
    open_edited(with_bridge(qemu, 21, 0x10000000));
    struct fb_found f = walk();
    CHECK(f.device.driver == BI_FB_RAMFB && f.device.base == 0x9020000);
    CHECK(f.bus.driver == BI_FB_BOCHS_PCI && f.bus.base == 0x30000000 && f.bus.size == 0x10000000);
    CHECK(f.bus.window_base == 0x40000000 && f.bus.window_size == 0x40000000);
    CHECK_ERR(probe(PCI_NODE, &f), KEEL_OK);
    CHECK(f.device.driver == BI_FB_NONE && f.framebuffer.source == BI_FB_NONE);

    /* No 32-bit memory window whose bus and CPU addresses agree: no bus. */
    static const uint32_t moved[] = {0x2000000, 0, 0, 0, 0x40000000, 0, 0x40000000};
    open_edited(with_bridge(moved, 7, 0x10000000));
    CHECK_ERR(probe(PCI_NODE, &f), KEEL_E_FDT_NOT_FOUND);
    CHECK(walk().bus.driver == BI_FB_NONE);
    static const uint32_t io_only[] = {0x1000000, 0, 0, 0, 0x3000000, 0, 0x10000};
    open_edited(with_bridge(io_only, 7, 0x10000000));
    CHECK_ERR(probe(PCI_NODE, &f), KEEL_E_FDT_NOT_FOUND);
    /* ranges that are not whole entries; a config space smaller than one bus. */
    open_edited(with_bridge(qemu, 20, 0x10000000));
    CHECK_ERR(probe(PCI_NODE, &f), KEEL_E_FDT_PROP);
    open_edited(with_bridge(qemu, 21, 0x80000));
    CHECK_ERR(probe(PCI_NODE, &f), KEEL_E_FDT_PROP);
    CHECK(walk().bus.driver == BI_FB_NONE);
    /* Not a PCI node's cells. */
    uint8_t *t = with_bridge(qemu, 21, 0x10000000);
    CHECK(fdt_setprop_u32(t, node_of(t, PCI_NODE), "#address-cells", 2) == 0);
    open_edited(t);
    CHECK_ERR(probe(PCI_NODE, &f), KEEL_E_FDT_CELLS);
}

/* ---- bochs-pci's setup on a bus with no display, or one it cannot reach ---- */

static volatile void *pci_window;

static volatile void *pci_mmio_ptr(uint64_t pa, uint64_t len)
{
    (void)len;
    return pa == 0x30000000 ? pci_window : NULL;
}

static int pci_map_ok(uint64_t pa, uint64_t size)
{
    (void)pa;
    (void)size;
    return KEEL_OK;
}

static int pci_setup(volatile void *window)
{
    const struct fb_env env = {
        .mmio_ptr = pci_mmio_ptr, .map_registers = pci_map_ok, .map_pixels = pci_map_ok};
    const struct fb_driver *pci = fb_driver_by_source(BI_FB_BOCHS_PCI);

    pci_window = window;
    before = bi;
    int err = pci->setup(&env, &bi.framebuffer_bus, &bi);
    CHECK(bi.framebuffer.source == BI_FB_NONE);
    return err;
}

static void pci_setup_refusals(void)
{
    size_t size = 0x100000;
    uint32_t *cfg = malloc(size);

    bi_init(&bi);
    bi.framebuffer_bus = (struct bi_fb_device){.driver = BI_FB_BOCHS_PCI,
                                               .base = 0x30000000,
                                               .size = 0x10000000,
                                               .window_base = 0x40000000,
                                               .window_size = 0x40000000};
    /* An empty bus reads all ones: no display, no error. */
    memset(cfg, 0xff, size);
    CHECK_ERR(pci_setup(cfg), KEEL_OK);
    /* The display at device 3, whose BARs decode nothing (memory, not a device). */
    cfg[(3u << 15) / 4] = 0x11111234u;
    cfg[(3u << 15) / 4 + 2] = 0x03000000u;
    cfg[(3u << 15) / 4 + 4] = 0;
    CHECK_ERR(pci_setup(cfg), KEEL_E_PCI_BAR);
    /* Unreachable configuration space. */
    CHECK_ERR(pci_setup(NULL), KEEL_E_PCI_UNREACHABLE);
    /* Another driver's record, or a framebuffer already: nothing is touched. */
    bi.framebuffer_bus.driver = BI_FB_RAMFB;
    memset(cfg, 0, size);
    CHECK_ERR(pci_setup(cfg), KEEL_OK);
    CHECK(cfg[1] == 0);
    free(cfg);
}

/* ---- ramfb's setup on a device it cannot use: an error, and bi as it was ---- */

static uint8_t fake_regs[0x18] __attribute__((aligned(8)));
static volatile void *fake_window;

static volatile void *fake_mmio_ptr(uint64_t pa, uint64_t len)
{
    (void)pa;
    (void)len;
    return fake_window;
}

static uint64_t fake_dma_addr(const void *va)
{
    return (uint64_t)(uintptr_t)va;
}

static int setup_on(uint64_t base, volatile void *window)
{
    const struct fb_env env = {.mmio_ptr = fake_mmio_ptr, .dma_addr = fake_dma_addr};
    const struct fb_driver *ramfb = fb_driver_by_source(BI_FB_RAMFB);

    fake_window = window;
    bi.framebuffer_device.base = base;
    before = bi;
    int err = ramfb->setup(&env, &bi.framebuffer_device, &bi);
    CHECK(memcmp(&bi, &before, sizeof(bi)) == 0);
    return err;
}

static void ramfb_refusals(void)
{
    bi_init(&bi);
    bi.mem_count = 1;
    bi.mem[0] = (struct bi_mem_range){
        .base = 0x40000000, .size = 0x20000000, .type = BI_MEM_USABLE, .source = BI_SRC_FDT_MEMORY};
    /* Not ramfb's device, or a framebuffer already: nothing to do. */
    CHECK_ERR(setup_on(0x9020000, fake_regs), KEEL_OK);
    bi.framebuffer_device = (struct bi_fb_device){.driver = BI_FB_RAMFB, .size = 0x18};
    bi.framebuffer.source = BI_FB_SIMPLE_FRAMEBUFFER;
    CHECK_ERR(setup_on(0x9020000, fake_regs), KEEL_OK);
    bi.framebuffer.source = BI_FB_NONE;
    CHECK_ERR(setup_on(0, fake_regs), KEEL_OK);

    /* Registers the boot map does not reach, or misaligned ones. */
    CHECK_ERR(setup_on(0x9020000, NULL), KEEL_E_FWCFG_UNREACHABLE);
    CHECK_ERR(setup_on(0x9020004, fake_regs), KEEL_E_FWCFG_UNREACHABLE);

    /* Memory, not a fw_cfg: every read of the data register gives the same byte. */
    memset(fake_regs, 0, sizeof(fake_regs));
    CHECK_ERR(setup_on(0x9020000, fake_regs), KEEL_E_FWCFG_SIGNATURE);
    fake_regs[0] = 'Q';
    CHECK_ERR(setup_on(0x9020000, fake_regs), KEEL_E_FWCFG_SIGNATURE);
}

/* ---- rpi-mailbox's setup against a fake VideoCore ---- */

/*
 * The mailbox's registers as memory: status words the test sets, and mailbox 0's read
 * register holding the answer. The fake VideoCore acts when the driver asks for the
 * buffer's bus address (dma_addr), which it does after writing its request and before
 * the message: it answers into the buffer as the firmware would, by `vc_mode`.
 */
static uint32_t mbox_regs[0x40 / 4] __attribute__((aligned(8)));
enum vc_mode { VC_ANSWER, VC_NO_PITCH, VC_SILENT };
static enum vc_mode vc_mode;
#define VC_BUS_BUF UINT64_C(0x1000)    /* where the fake puts the driver's buffer */
#define VC_FB_BUS UINT32_C(0xfe100000) /* the VideoCore's address of its pixels */

static void vc_answer(volatile uint32_t *b)
{
    b[1] = 0x80000000u;
    for (uint32_t at = 2; at + 2 < b[0] / 4 && b[at] != 0; at += 3 + b[at + 1] / 4) {
        uint32_t tag = b[at];
        if (vc_mode == VC_NO_PITCH && tag == 0x00040008u) {
            continue; /* left unanswered */
        }
        b[at + 2] = 0x80000000u | b[at + 1];
        if (tag == 0x00040001u) { /* allocate: base and size */
            b[at + 3] = VC_FB_BUS;
            b[at + 4] = 1024 * 768 * 4;
        } else if (tag == 0x00040008u) { /* pitch */
            b[at + 3] = 4096;
        }
    }
}

static uint64_t vc_dma_addr(const void *va)
{
    if (vc_mode != VC_SILENT) {
        vc_answer((volatile uint32_t *)(uintptr_t)va);
        mbox_regs[0] = (uint32_t)(VC_BUS_BUF | 0xc0000000u | 8u); /* the answer, channel 8 */
        mbox_regs[0x18 / 4] = 0;                                  /* not empty */
    } else {
        mbox_regs[0x18 / 4] = 0x40000000u; /* empty, forever */
    }
    return VC_BUS_BUF;
}

static uint64_t mapped_base, mapped_size;
static int map_result;

static int vc_map_pixels(uint64_t pa, uint64_t size)
{
    mapped_base = pa;
    mapped_size = size;
    return map_result;
}

static int mbox_setup(enum vc_mode mode, volatile void *window)
{
    const struct fb_env env = {
        .mmio_ptr = fake_mmio_ptr, .dma_addr = vc_dma_addr, .map_pixels = vc_map_pixels};
    const struct fb_driver *mbox = fb_driver_by_source(BI_FB_RPI_MAILBOX);

    memset(mbox_regs, 0, sizeof(mbox_regs));
    vc_mode = mode;
    fake_window = window;
    mapped_base = mapped_size = 0;
    return mbox->setup(&env, &bi.framebuffer_device, &bi);
}

static void rpi_mailbox(void)
{
    bi_init(&bi);
    bi.framebuffer_device =
        (struct bi_fb_device){.driver = BI_FB_RPI_MAILBOX, .base = 0x3f00b880, .size = 0x40};
    map_result = KEEL_OK;

    /* The whole answer: the pixels at the bus address less its alias, mapped, BGR. */
    CHECK_ERR(mbox_setup(VC_ANSWER, mbox_regs), KEEL_OK);
    const struct bi_framebuffer *fb = &bi.framebuffer;
    CHECK(fb->source == BI_FB_RPI_MAILBOX && fb->base == 0x3e100000 && fb->width == 1024 &&
          fb->height == 768 && fb->pitch == 4096 && fb->bpp == 32);
    CHECK(fb->blue_pos == 0 && fb->green_pos == 8 && fb->red_pos == 16);
    CHECK(mapped_base == 0x3e100000 && mapped_size == 4096 * 768);

    /* A framebuffer already there: nothing is asked. */
    before = bi;
    CHECK_ERR(mbox_setup(VC_SILENT, mbox_regs), KEEL_OK);
    CHECK(memcmp(&bi, &before, sizeof(bi)) == 0);
    bi.framebuffer = (struct bi_framebuffer){.source = BI_FB_NONE};

    /* Refusals leave the record empty: a tag unanswered, the pixels not mappable, a
     * VideoCore that never answers (bounded), registers the boot map does not reach. */
    before = bi;
    CHECK_ERR(mbox_setup(VC_NO_PITCH, mbox_regs), KEEL_E_MBOX_REFUSED);
    map_result = KEEL_E_BOOT_MAP_FULL;
    CHECK_ERR(mbox_setup(VC_ANSWER, mbox_regs), KEEL_E_BOOT_MAP_FULL);
    map_result = KEEL_OK;
    CHECK_ERR(mbox_setup(VC_SILENT, mbox_regs), KEEL_E_MBOX_TIMEOUT);
    CHECK_ERR(mbox_setup(VC_ANSWER, NULL), KEEL_E_MBOX_UNREACHABLE);
    CHECK(memcmp(&bi, &before, sizeof(bi)) == 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_fb fwcfg.dtb\n");
        return 2;
    }
    size_t len;
    base_dtb = test_read_file(argv[1], &len);
    table();
    as_written();
    simplefb_refusals();
    simplefb_variants();
    fwcfg_variants();
    ramfb_refusals();
    rpi_mailbox();
    pci_variants();
    pci_setup_refusals();
    free(packed);
    free(base_dtb);
    return test_finish("fb");
}

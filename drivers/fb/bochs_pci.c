/* SPDX-License-Identifier: MIT */
/* QEMU's bochs-display (and standard VGA) behind a PCI host bridge: BARs placed, mode set. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/mmio.h>

#include "devicetree.h"

/*
 * The host bridge: a PCIe ECAM window (the Devicetree binding pci-host-ecam-generic),
 * whose first bus's configuration space is 32 devices x 8 functions x 4 KiB. Nothing
 * below that bus is looked at: QEMU's virt boards put -device's display on it.
 */
#define ECAM_BUS_SIZE 0x100000u
#define ECAM_FUNCTION_SHIFT 12
#define ECAM_DEVICE_SHIFT 15
#define PCI_DEVICES 32u

/* Type-0 configuration header offsets and bits (PCI Local Bus Specification 3.0, 6.1, 6.2). */
#define PCI_VENDOR_DEVICE 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_CLASS_REVISION 0x08
#define PCI_BAR0 0x10
#define PCI_BAR_STRIDE 4
#define PCI_BAR_IO (1u << 0)
#define PCI_BAR_TYPE_MASK (3u << 1)
#define PCI_BAR_TYPE_32 (0u << 1)
#define PCI_BAR_FLAGS_MASK 0xfu
#define PCI_BASE_CLASS_DISPLAY 0x03u

/*
 * QEMU's standard VGA and bochs-display (QEMU's docs/specs/standard-vga): PCI ID
 * 1234:1111; BAR 0 the framebuffer (16 MiB by default), BAR 2 a 4 KiB MMIO window with
 * the bochs DISPI registers at 0x500 (16 bits each, register n at 0x500 + 2n) and
 * QEMU's extension at 0x600 (its size at +0, the framebuffer's byte order at +4).
 */
#define BOCHS_VENDOR_DEVICE 0x11111234u
#define BOCHS_FB_BAR 0u
#define BOCHS_MMIO_BAR 2u
#define BOCHS_MMIO_SIZE 0x1000u
#define BOCHS_DISPI 0x500u
#define BOCHS_QEXT 0x600u
#define BOCHS_QEXT_SIZE (BOCHS_QEXT + 0)
#define BOCHS_QEXT_BYTE_ORDER (BOCHS_QEXT + 4)
#define BOCHS_QEXT_LITTLE_ENDIAN 0x1e1e1e1eu
#define DISPI_ID 0u
#define DISPI_XRES 1u
#define DISPI_YRES 2u
#define DISPI_BPP 3u
#define DISPI_ENABLE 4u
#define DISPI_VIRT_WIDTH 6u
#define DISPI_VIRT_HEIGHT 7u
#define DISPI_X_OFFSET 8u
#define DISPI_Y_OFFSET 9u
#define DISPI_ID_FIRST 0xb0c0u
#define DISPI_ID_LAST 0xb0c5u
#define DISPI_ENABLED 0x01u
#define DISPI_LFB_ENABLED 0x40u

/* The mode Keel sets: what the console draws on the other boards too. */
#define BOCHS_WIDTH 1024u
#define BOCHS_HEIGHT 768u
#define BOCHS_BPP 32u

/* Devicetree PCI bus binding: phys.hi's space code (bits 25:24), 2 = 32-bit memory. */
#define PCI_RANGE_SPACE_SHIFT 24
#define PCI_RANGE_SPACE_MASK 3u
#define PCI_RANGE_SPACE_MEM32 2u
#define PCI_ADDR_CELLS 3u
#define PCI_SIZE_CELLS 2u

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static volatile uint8_t *config_of(volatile uint8_t *bus, unsigned device)
{
    return bus + ((uint64_t)device << ECAM_DEVICE_SHIFT);
}

static uint16_t dispi_read(volatile uint8_t *mmio, unsigned reg)
{
    return mmio_read16(mmio + BOCHS_DISPI + 2 * reg);
}

static void dispi_write(volatile uint8_t *mmio, unsigned reg, uint16_t v)
{
    mmio_write16(mmio + BOCHS_DISPI + 2 * reg, v);
}

/*
 * The size a 32-bit memory BAR decodes (write all ones, read back, PCI 3.0 6.2.5.1),
 * with memory decoding off; 0 for an I/O BAR, a 64-bit one, or a size that is no
 * power of two of at least 4 KiB.
 */
static uint64_t bar_size(volatile uint8_t *cfg, unsigned bar)
{
    volatile uint8_t *reg = cfg + PCI_BAR0 + PCI_BAR_STRIDE * bar;
    uint32_t old = mmio_read32(reg);

    mmio_write32(reg, UINT32_MAX);
    uint32_t probe = mmio_read32(reg);
    mmio_write32(reg, old);
    if ((old & PCI_BAR_IO) != 0 || (old & PCI_BAR_TYPE_MASK) != PCI_BAR_TYPE_32) {
        return 0;
    }
    uint64_t size = (uint64_t)(uint32_t) ~(probe & ~PCI_BAR_FLAGS_MASK) + 1;
    if (size < BOCHS_MMIO_SIZE || size > UINT32_MAX || (size & (size - 1)) != 0) {
        return 0;
    }
    return size;
}

/* True when [base, base + size) meets a range of the memory map (RAM, reserved, ACPI...). */
static bool meets_memory(const struct boot_info *bi, uint64_t base, uint64_t size)
{
    for (uint32_t i = 0; i < bi->mem_count; i++) {
        const struct bi_mem_range *r = &bi->mem[i];
        if (base < r->base + r->size && r->base < base + size) {
            return true;
        }
    }
    return false;
}

/* The first device on the bus that is QEMU's display, or PCI_DEVICES. */
static unsigned find_display(volatile uint8_t *bus)
{
    for (unsigned d = 0; d < PCI_DEVICES; d++) {
        volatile uint8_t *cfg = config_of(bus, d);
        if (mmio_read32(cfg + PCI_VENDOR_DEVICE) == BOCHS_VENDOR_DEVICE &&
            mmio_read32(cfg + PCI_CLASS_REVISION) >> 24 == PCI_BASE_CLASS_DISPLAY) {
            return d;
        }
    }
    return PCI_DEVICES;
}

/*
 * Places the framebuffer BAR and then the MMIO BAR at the bottom of the bridge's
 * window, each aligned to its size, with memory decoding off while they move; the
 * MMIO registers are mapped. *fb and *mmio receive the CPU addresses.
 */
static int place_bars(const struct fb_env *env, const struct bi_fb_device *dev,
                      const struct boot_info *bi, volatile uint8_t *cfg, uint64_t *fb,
                      uint64_t *fb_size, volatile uint8_t **mmio)
{
    uint16_t command = mmio_read16(cfg + PCI_COMMAND);

    mmio_write16(cfg + PCI_COMMAND, command & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
    uint64_t fb_bytes = bar_size(cfg, BOCHS_FB_BAR);
    uint64_t mmio_bytes = bar_size(cfg, BOCHS_MMIO_BAR);
    if (fb_bytes == 0 || mmio_bytes < BOCHS_MMIO_SIZE) {
        return KEEL_E_PCI_BAR;
    }
    uint64_t window_end = dev->window_base + dev->window_size;
    uint64_t fb_base = align_up(dev->window_base, fb_bytes);
    uint64_t mmio_base = align_up(fb_base + fb_bytes, mmio_bytes);
    uint64_t end = mmio_base + mmio_bytes;
    if (dev->window_base == 0 || window_end < dev->window_base || fb_base < dev->window_base ||
        end < fb_base || end > window_end || end > UINT32_MAX + UINT64_C(1)) {
        return KEEL_E_PCI_WINDOW;
    }
    if (meets_memory(bi, fb_base, end - fb_base)) {
        return KEEL_E_PCI_WINDOW_RAM;
    }
    mmio_write32(cfg + PCI_BAR0 + PCI_BAR_STRIDE * BOCHS_FB_BAR, (uint32_t)fb_base);
    mmio_write32(cfg + PCI_BAR0 + PCI_BAR_STRIDE * BOCHS_MMIO_BAR, (uint32_t)mmio_base);
    mmio_write16(cfg + PCI_COMMAND, (command & ~PCI_COMMAND_IO) | PCI_COMMAND_MEMORY);
    int err = env->map_registers(mmio_base, BOCHS_MMIO_SIZE);
    if (err != KEEL_OK) {
        return err;
    }
    *mmio = env->mmio_ptr(mmio_base, BOCHS_MMIO_SIZE);
    *fb = fb_base;
    *fb_size = fb_bytes;
    return *mmio != NULL ? KEEL_OK : KEEL_E_PCI_UNREACHABLE;
}

/*
 * Runs in the platform fix-ups, on the boot identity map, when no loader and no device
 * node gave a framebuffer: maps the bridge's first bus, looks for QEMU's display there,
 * places its two BARs in the bridge's 32-bit memory window (never over the memory map),
 * sets BOCHS_WIDTH x BOCHS_HEIGHT x 32, little-endian, reads the mode back, maps the
 * pixels and fills bi->framebuffer (source BI_FB_BOCHS_PCI). No display on the bus is
 * KEEL_OK with no framebuffer.
 */
static int bochs_pci_setup(const struct fb_env *env, const struct bi_fb_device *dev,
                           struct boot_info *bi)
{
    if (dev->driver != BI_FB_BOCHS_PCI || dev->base == 0 || dev->size < ECAM_BUS_SIZE ||
        bi->framebuffer.source != BI_FB_NONE) {
        return KEEL_OK;
    }
    volatile uint8_t *bus = NULL;
    if (env->map_registers(dev->base, ECAM_BUS_SIZE) == KEEL_OK) {
        bus = env->mmio_ptr(dev->base, ECAM_BUS_SIZE);
    }
    if (bus == NULL) {
        return KEEL_E_PCI_UNREACHABLE;
    }
    unsigned d = find_display(bus);
    if (d == PCI_DEVICES) {
        return KEEL_OK;
    }
    uint64_t fb_base, fb_bytes;
    volatile uint8_t *mmio;
    int err = place_bars(env, dev, bi, config_of(bus, d), &fb_base, &fb_bytes, &mmio);
    if (err != KEEL_OK) {
        return err;
    }
    uint16_t id = dispi_read(mmio, DISPI_ID);
    if (id < DISPI_ID_FIRST || id > DISPI_ID_LAST) {
        return KEEL_E_BOCHS_ID;
    }
    if (mmio_read32(mmio + BOCHS_QEXT_SIZE) >= 8) {
        mmio_write32(mmio + BOCHS_QEXT_BYTE_ORDER, BOCHS_QEXT_LITTLE_ENDIAN);
    }
    dispi_write(mmio, DISPI_ENABLE, 0);
    dispi_write(mmio, DISPI_BPP, BOCHS_BPP);
    dispi_write(mmio, DISPI_XRES, BOCHS_WIDTH);
    dispi_write(mmio, DISPI_YRES, BOCHS_HEIGHT);
    dispi_write(mmio, DISPI_VIRT_WIDTH, BOCHS_WIDTH);
    dispi_write(mmio, DISPI_VIRT_HEIGHT, BOCHS_HEIGHT);
    dispi_write(mmio, DISPI_X_OFFSET, 0);
    dispi_write(mmio, DISPI_Y_OFFSET, 0);
    dispi_write(mmio, DISPI_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
    uint32_t pitch = (uint32_t)dispi_read(mmio, DISPI_VIRT_WIDTH) * (BOCHS_BPP / 8);
    if (dispi_read(mmio, DISPI_XRES) != BOCHS_WIDTH ||
        dispi_read(mmio, DISPI_YRES) != BOCHS_HEIGHT || dispi_read(mmio, DISPI_BPP) != BOCHS_BPP ||
        pitch < BOCHS_WIDTH * (BOCHS_BPP / 8) || (uint64_t)pitch * BOCHS_HEIGHT > fb_bytes) {
        return KEEL_E_BOCHS_MODE;
    }
    err = env->map_pixels(fb_base, (uint64_t)pitch * BOCHS_HEIGHT);
    if (err != KEEL_OK) {
        return err;
    }
    _Static_assert(BOCHS_BPP == 32, "the mode is x8r8g8b8, little-endian");
    bi->framebuffer = fb_xrgb8888(fb_base, BOCHS_WIDTH, BOCHS_HEIGHT, pitch, BI_FB_BOCHS_PCI);
    return KEEL_OK;
}

/*
 * The Devicetree PCI bus binding: ranges entries are the bus address (3 cells: phys.hi,
 * then 64 bits), the CPU address (the parent's #address-cells) and the size (2 cells).
 * The first 32-bit memory range whose bus and CPU addresses are the same is the window
 * the setup places BARs in.
 */
static int find_window(const struct fdt *fdt, const struct fdt_path *path, uint64_t *base,
                       uint64_t *size)
{
    uint32_t node = path->node[path->depth - 1];
    uint32_t addr_cells, size_cells, parent_addr, parent_size;
    struct fdt_prop prop;

    if (path->depth < 2 || fdt_get_u32(fdt, node, "#address-cells", &addr_cells) != KEEL_OK ||
        fdt_get_u32(fdt, node, "#size-cells", &size_cells) != KEEL_OK ||
        addr_cells != PCI_ADDR_CELLS || size_cells != PCI_SIZE_CELLS) {
        return KEEL_E_FDT_CELLS;
    }
    int err = fdt_cells(fdt, path->node[path->depth - 2], &parent_addr, &parent_size);
    if (err != KEEL_OK) {
        return err;
    }
    uint32_t entry = (PCI_ADDR_CELLS + parent_addr + PCI_SIZE_CELLS) * 4;
    if (!fdt_get_prop(fdt, node, "ranges", &prop) || prop.len % entry != 0) {
        return KEEL_E_FDT_PROP;
    }
    const uint8_t *p = prop.value;
    for (uint32_t off = 0; off < prop.len; off += entry) {
        uint32_t space = (uint32_t)fdt_read_cells(p + off, 1) >> PCI_RANGE_SPACE_SHIFT;
        uint64_t bus_addr = fdt_read_cells(p + off + 4, 2);
        uint64_t cpu_addr = fdt_read_cells(p + off + PCI_ADDR_CELLS * 4, parent_addr);
        uint64_t len = fdt_read_cells(p + off + (PCI_ADDR_CELLS + parent_addr) * 4, 2);
        if ((space & PCI_RANGE_SPACE_MASK) == PCI_RANGE_SPACE_MEM32 && bus_addr == cpu_addr &&
            len != 0) {
            *base = cpu_addr;
            *size = len;
            return KEEL_OK;
        }
    }
    return KEEL_E_FDT_NOT_FOUND;
}

/* The bridge's configuration space (at least one bus of it) and its memory window. */
static int bochs_pci_probe(const struct fdt *fdt, const struct fdt_path *path, struct fb_found *out)
{
    uint64_t base, size;
    int err = find_window(fdt, path, &base, &size);

    if (err == KEEL_OK) {
        err = fb_probe_registers(fdt, path, ECAM_BUS_SIZE, out);
    }
    if (err != KEEL_OK) {
        return err;
    }
    out->bus = out->device;
    out->device = (struct bi_fb_device){0};
    out->bus.window_base = base;
    out->bus.window_size = size;
    return KEEL_OK;
}

static const char *const bochs_pci_compatible[] = {"pci-host-ecam-generic", NULL};

const struct fb_driver bochs_pci_driver = {
    .name = "bochs-pci",
    .source = BI_FB_BOCHS_PCI,
    .compatible = bochs_pci_compatible,
    .probe = bochs_pci_probe,
    .setup = bochs_pci_setup,
    .bus = true,
};

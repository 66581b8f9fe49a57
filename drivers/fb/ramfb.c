/* SPDX-License-Identifier: MIT */
/* QEMU's ramfb: a framebuffer in guest RAM, configured through the fw_cfg DMA interface. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/memmap.h>
#include <keel/ramfb.h>

#include "devicetree.h"

/*
 * fw_cfg, MMIO variant (QEMU docs/specs/fw_cfg.rst, "Register Locations", Arm): the
 * data register at +0 (reads are string-preserving, byte by byte here), the 16-bit
 * selector at +8 and the 64-bit DMA address register at +16, both big-endian.
 */
#define FWCFG_DATA 0x00
#define FWCFG_SELECTOR 0x08
#define FWCFG_DMA_ADDRESS 0x10
#define FWCFG_REGS_SIZE 0x18
/* The selector's two bytes at offset 8 are the least any fw_cfg has. */
#define FWCFG_REGS_MIN 0x0a

/* Items (fw_cfg.rst, "Firmware Configuration Items"). */
#define FWCFG_KEY_SIGNATURE 0x0000u /* "QEMU" */
#define FWCFG_KEY_ID 0x0001u        /* feature bits, 32-bit little-endian */
#define FWCFG_KEY_FILE_DIR 0x0019u  /* be32 count, then 64-byte entries */
#define FWCFG_ID_DMA (1u << 1)

/* The DMA control word: flags in the low bits, the item to select in the top 16. */
#define FWCFG_DMA_ERROR (1u << 0)
#define FWCFG_DMA_READ (1u << 1)
#define FWCFG_DMA_SELECT (1u << 3)
#define FWCFG_DMA_WRITE (1u << 4)
#define FWCFG_DMA_KEY_SHIFT 16

/*
 * QEMU finishes a transfer inside the register write today, and the spec allows it to
 * be asynchronous later: the control word is polled this many times before giving up.
 */
#define FWCFG_DMA_POLL_BOUND 1000000u

/* A directory entry: be32 size, be16 select, u16 reserved, char name[56] (NUL-terminated). */
#define FWCFG_FILE_SIZE 64u
#define FWCFG_FILE_NAME_OFFSET 8u
#define FWCFG_FILE_NAME_MAX 56u
/* Selectors are 16 bits and files start at 0x20, so no honest directory is longer. */
#define FWCFG_FILE_COUNT_MAX 0x10000u
/* Entries fetched per DMA transfer. */
#define FWCFG_DIR_BATCH 8u

/*
 * The ramfb configuration QEMU's ramfb device takes as the fw_cfg file "etc/ramfb",
 * 28 bytes, all big-endian: be64 address, be32 fourcc, be32 flags, be32 width,
 * be32 height, be32 stride.
 */
#define RAMFB_FILE_NAME "etc/ramfb"
#define RAMFB_CFG_SIZE 28u
/* DRM_FORMAT_XRGB8888: the fourcc 'X' 'R' '2' '4', first character in the low byte. */
#define RAMFB_FOURCC_XRGB8888                                                                      \
    ((uint32_t)'X' | (uint32_t)'R' << 8 | (uint32_t)'2' << 16 | (uint32_t)'4' << 24)
#define RAMFB_BPP 32u
#define RAMFB_PITCH (RAMFB_WIDTH * (RAMFB_BPP / 8))
/* 2 MiB, so that the memory sequence can map the block with large pages. */
#define RAMFB_ALIGN (UINT64_C(2) << 20)

/* The DMA access structure QEMU reads from RAM: be32 control, be32 length, be64 address. */
struct fwcfg_dma_access {
    uint32_t control;
    uint32_t length;
    uint64_t address;
};

_Static_assert(sizeof(struct fwcfg_dma_access) == 16, "FWCfgDmaAccess is 16 bytes");
_Static_assert(RAMFB_CFG_SIZE <= FWCFG_DIR_BATCH * FWCFG_FILE_SIZE, "the config fits the buffer");

/*
 * The device reads and writes these by physical address, so they live in the kernel
 * image, whose physical placement is known from the first instruction on.
 */
static struct fwcfg_dma_access ramfb_dma __attribute__((aligned(16)));
static uint8_t ramfb_buf[FWCFG_DIR_BATCH * FWCFG_FILE_SIZE] __attribute__((aligned(16)));

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t to_be32(uint32_t v)
{
    uint8_t b[4];
    uint32_t out;
    store_be32(b, v);
    memcpy(&out, b, sizeof(out));
    return out;
}

static uint64_t to_be64(uint64_t v)
{
    uint8_t b[8];
    uint64_t out;
    store_be32(b, (uint32_t)(v >> 32));
    store_be32(b + 4, (uint32_t)v);
    memcpy(&out, b, sizeof(out));
    return out;
}

static uint16_t to_be16(uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    uint16_t out;
    memcpy(&out, b, sizeof(out));
    return out;
}

/* Selects `key` and reads its first four bytes through the data register. */
static void read_item4(volatile uint8_t *regs, uint16_t key, uint8_t out[4])
{
    *(volatile uint16_t *)(regs + FWCFG_SELECTOR) = to_be16(key);
    for (int i = 0; i < 4; i++) {
        out[i] = regs[FWCFG_DATA];
    }
}

/*
 * One DMA transfer of `len` bytes between the item and the image buffer `buf`.
 * The fw_cfg node is dma-coherent (its binding says so), so no cache maintenance is
 * needed, only ordering: the first fence keeps the stores to the structure and the
 * buffer before the register write that starts the transfer, the others keep every
 * read of the results after the control word reported completion. A full fence (DMB
 * ISH on aarch64, MFENCE on x86_64) is enough because the "device" is QEMU acting
 * for this CPU on its register access; no arch hook for a DSB is needed.
 */
static int fwcfg_dma(const struct fb_env *env, volatile uint8_t *regs, uint32_t control, void *buf,
                     uint32_t len)
{
    ramfb_dma.control = to_be32(control);
    ramfb_dma.length = to_be32(len);
    ramfb_dma.address = to_be64(env->dma_addr(buf));
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    /* One 64-bit write of the structure's address starts the transfer. */
    *(volatile uint64_t *)(regs + FWCFG_DMA_ADDRESS) = to_be64(env->dma_addr(&ramfb_dma));
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    volatile const uint32_t *ctl = &ramfb_dma.control;
    for (uint32_t i = 0; i < FWCFG_DMA_POLL_BOUND; i++) {
        uint32_t now = to_be32(*ctl); /* the swap is its own inverse */
        if ((now & FWCFG_DMA_ERROR) != 0) {
            return KEEL_E_FWCFG_DMA;
        }
        if (now == 0) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            return KEEL_OK;
        }
    }
    return KEEL_E_FWCFG_DMA;
}

/* Looks "etc/ramfb" up in the file directory: its selector and size, or found = false. */
static int find_ramfb_file(const struct fb_env *env, volatile uint8_t *regs, uint16_t *select,
                           uint32_t *size, bool *found)
{
    *found = false;
    int err = fwcfg_dma(
        env, regs, FWCFG_KEY_FILE_DIR << FWCFG_DMA_KEY_SHIFT | FWCFG_DMA_SELECT | FWCFG_DMA_READ,
        ramfb_buf, 4);
    if (err != KEEL_OK) {
        return err;
    }
    uint32_t count = load_be32(ramfb_buf);
    if (count > FWCFG_FILE_COUNT_MAX) {
        count = FWCFG_FILE_COUNT_MAX;
    }
    /* Each transfer continues where the previous one stopped, at the next entry. */
    for (uint32_t done = 0; done < count;) {
        uint32_t batch = count - done < FWCFG_DIR_BATCH ? count - done : FWCFG_DIR_BATCH;
        err = fwcfg_dma(env, regs, FWCFG_DMA_READ, ramfb_buf, batch * FWCFG_FILE_SIZE);
        if (err != KEEL_OK) {
            return err;
        }
        for (uint32_t i = 0; i < batch; i++) {
            const uint8_t *e = ramfb_buf + i * FWCFG_FILE_SIZE;
            const char *name = (const char *)e + FWCFG_FILE_NAME_OFFSET;
            if (strncmp(name, RAMFB_FILE_NAME, FWCFG_FILE_NAME_MAX) == 0) {
                *size = load_be32(e);
                *select = (uint16_t)(e[4] << 8 | e[5]);
                *found = true;
                return KEEL_OK;
            }
        }
        done += batch;
    }
    return KEEL_OK;
}

/*
 * Runs in the platform fix-ups, on the boot identity map, before the memory sequence.
 * When QEMU offers "etc/ramfb" (-device ramfb) on the fw_cfg device the shim recorded,
 * takes RAMFB_WIDTH x RAMFB_HEIGHT x 4 bytes of RAM below 4 GiB (bi_reserve_framebuffer),
 * hands them to ramfb through the fw_cfg DMA interface and fills bi->framebuffer
 * (source BI_FB_RAMFB). The pixels are not cleared. No DMA interface or no ramfb
 * device is KEEL_OK with no framebuffer. Only the MMIO fw_cfg is driven (QEMU's Arm,
 * RISC-V and LoongArch boards), not the x86 port-I/O one.
 */
static int ramfb_setup(const struct fb_env *env, const struct bi_fb_device *dev,
                       struct boot_info *bi)
{
    if (dev->driver != BI_FB_RAMFB || dev->base == 0 || bi->framebuffer.source != BI_FB_NONE) {
        return KEEL_OK;
    }
    volatile uint8_t *regs = NULL;
    if ((dev->base & 7) == 0) {
        regs = env->mmio_ptr(dev->base, FWCFG_REGS_SIZE);
    }
    if (regs == NULL) {
        return KEEL_E_FWCFG_UNREACHABLE;
    }

    uint8_t b[4];
    read_item4(regs, FWCFG_KEY_SIGNATURE, b);
    if (memcmp(b, "QEMU", 4) != 0) {
        return KEEL_E_FWCFG_SIGNATURE;
    }
    read_item4(regs, FWCFG_KEY_ID, b);
    uint32_t features =
        (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    /* QEMU refuses -device ramfb without fw_cfg DMA: no DMA, so no ramfb either. */
    if ((features & FWCFG_ID_DMA) == 0) {
        return KEEL_OK;
    }

    uint16_t select = 0;
    uint32_t file_size = 0;
    bool found;
    int err = find_ramfb_file(env, regs, &select, &file_size, &found);
    if (err != KEEL_OK || !found) {
        return err;
    }
    /* QEMU drops a write that would run past the item, so the size must match exactly. */
    if (file_size != RAMFB_CFG_SIZE) {
        return KEEL_E_RAMFB_FILE;
    }

    uint64_t pa;
    err = bi_reserve_framebuffer(bi, (uint64_t)RAMFB_PITCH * RAMFB_HEIGHT, RAMFB_ALIGN, &pa);
    if (err != KEEL_OK) {
        return err;
    }
    uint8_t *cfg = ramfb_buf;
    store_be32(cfg, (uint32_t)(pa >> 32));
    store_be32(cfg + 4, (uint32_t)pa);
    store_be32(cfg + 8, RAMFB_FOURCC_XRGB8888);
    store_be32(cfg + 12, 0); /* flags */
    store_be32(cfg + 16, RAMFB_WIDTH);
    store_be32(cfg + 20, RAMFB_HEIGHT);
    store_be32(cfg + 24, RAMFB_PITCH);
    err = fwcfg_dma(env, regs,
                    (uint32_t)select << FWCFG_DMA_KEY_SHIFT | FWCFG_DMA_SELECT | FWCFG_DMA_WRITE,
                    cfg, RAMFB_CFG_SIZE);
    if (err != KEEL_OK) {
        /* The block stays typed framebuffer in bi->mem: 3 MiB lost on a path QEMU never takes. */
        return err;
    }

    _Static_assert(RAMFB_BPP == 32, "ramfb's mode is x8r8g8b8");
    bi->framebuffer = fb_xrgb8888(pa, RAMFB_WIDTH, RAMFB_HEIGHT, RAMFB_PITCH, BI_FB_RAMFB);
    return KEEL_OK;
}

/*
 * QEMU's firmware configuration device (Linux's binding firmware/qemu,fw-cfg-mmio.yaml):
 * its reg covers the data register (bytes 0-7) and the selector (8-9), and the DMA
 * address register (16-23) where QEMU offers DMA. Only the registers are recorded; the
 * setup checks the signature and the DMA feature bit itself.
 */
static int ramfb_probe(const struct fdt *fdt, const struct fdt_path *path, struct fb_found *out)
{
    int err = fb_probe_registers(fdt, path, FWCFG_REGS_MIN, out);
    if (err == KEEL_OK) {
        out->fw_cfg_base = out->device.base;
    }
    return err;
}

static const char *const ramfb_compatible[] = {"qemu,fw-cfg-mmio", NULL};

const struct fb_driver ramfb_driver = {
    .name = "ramfb",
    .source = BI_FB_RAMFB,
    .compatible = ramfb_compatible,
    .probe = ramfb_probe,
    .setup = ramfb_setup,
};

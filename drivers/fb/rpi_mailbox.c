/* SPDX-License-Identifier: MIT */
/* The Raspberry Pi's framebuffer: asked of the VideoCore through its mailbox's property channel. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/mmio.h>

#include "devicetree.h"

/*
 * The ARM's side of the VideoCore mailbox (BCM2835 ARM Peripherals, and the VideoCore
 * firmware's mailbox interface): mailbox 0 carries the VideoCore's answers to the ARM
 * (read at +0x00, its status at +0x18), mailbox 1 the ARM's requests (written at +0x20,
 * its status at +0x38). A message is one 32-bit word: a 16-byte-aligned bus address in
 * the top 28 bits, the channel in the low 4.
 */
#define MBOX_READ 0x00
#define MBOX_STATUS 0x18
#define MBOX_WRITE 0x20
#define MBOX_WRITE_STATUS 0x38
#define MBOX_REGS_SIZE 0x3c
#define MBOX_FULL (1u << 31)
#define MBOX_EMPTY (1u << 30)
#define MBOX_CHANNEL_PROPERTY 8u
#define MBOX_CHANNEL_MASK 0xfu

/*
 * How often a status bit is looked at before the VideoCore counts as silent. Under
 * QEMU it answers inside the register write; the firmware on the board takes well
 * under a millisecond for these tags, far below this bound on a 1.2 GHz core.
 */
#define MBOX_POLL_BOUND 1000000u

/*
 * The ARM sees RAM at 0; the VideoCore sees the same RAM at a bus address whose top
 * two bits choose how its L2 cache treats the access. 0xC0000000 is the uncached
 * alias, the one the ARM hands over for memory it shares. Addresses the VideoCore
 * gives back (the framebuffer) carry one of these aliases: clearing the two bits is
 * the ARM's physical address.
 */
#define BUS_UNCACHED_ALIAS UINT32_C(0xc0000000)
#define BUS_ALIAS_MASK UINT32_C(0xc0000000)

/* The property interface: a buffer of 32-bit words, a request code, tags, an end tag. */
#define PROP_REQUEST 0x00000000u
#define PROP_RESPONSE_OK 0x80000000u
#define PROP_TAG_RESPONSE (1u << 31)
#define TAG_ALLOCATE_BUFFER 0x00040001u
#define TAG_GET_PITCH 0x00040008u
#define TAG_SET_PHYSICAL_SIZE 0x00048003u
#define TAG_SET_VIRTUAL_SIZE 0x00048004u
#define TAG_SET_DEPTH 0x00048005u
#define TAG_SET_PIXEL_ORDER 0x00048006u
#define TAG_END 0u
#define PIXEL_ORDER_BGR 0u /* blue in the lowest byte of a 32-bit pixel */
#define PIXEL_ORDER_RGB 1u /* red in the lowest byte */

/* The mode Keel asks for: what the console draws on the other boards too. */
#define RPI_FB_WIDTH 1024u
#define RPI_FB_HEIGHT 768u
#define RPI_FB_BPP 32u
#define RPI_FB_ALIGN 16u

/* Word indices of the request below: each tag is id, value size, request code, values. */
enum {
    W_SIZE = 0,
    W_CODE = 1,
    W_PHYS = 2,   /* id, 8, code, width, height */
    W_VIRT = 7,   /* id, 8, code, width, height */
    W_DEPTH = 12, /* id, 4, code, bpp */
    W_ORDER = 16, /* id, 4, code, order */
    W_ALLOC = 20, /* id, 8, code, alignment in / base out, size out */
    W_PITCH = 25, /* id, 4, code, pitch */
    W_END = 29,
    W_COUNT = 32, /* a multiple of four words: the buffer is whole 16-byte units */
};

/* Shared with the VideoCore by address, so it lives in the kernel image (as ramfb's DMA). */
static volatile uint32_t mbox_buf[W_COUNT] __attribute__((aligned(16)));

static void put_tag(unsigned at, uint32_t id, uint32_t bytes, uint32_t a, uint32_t b)
{
    mbox_buf[at] = id;
    mbox_buf[at + 1] = bytes;
    mbox_buf[at + 2] = 0; /* a request */
    mbox_buf[at + 3] = a;
    if (bytes == 8) {
        mbox_buf[at + 4] = b;
    }
}

static void build_request(void)
{
    for (unsigned i = 0; i < W_COUNT; i++) {
        mbox_buf[i] = 0;
    }
    mbox_buf[W_SIZE] = W_COUNT * 4;
    mbox_buf[W_CODE] = PROP_REQUEST;
    put_tag(W_PHYS, TAG_SET_PHYSICAL_SIZE, 8, RPI_FB_WIDTH, RPI_FB_HEIGHT);
    put_tag(W_VIRT, TAG_SET_VIRTUAL_SIZE, 8, RPI_FB_WIDTH, RPI_FB_HEIGHT);
    put_tag(W_DEPTH, TAG_SET_DEPTH, 4, RPI_FB_BPP, 0);
    put_tag(W_ORDER, TAG_SET_PIXEL_ORDER, 4, PIXEL_ORDER_BGR, 0);
    put_tag(W_ALLOC, TAG_ALLOCATE_BUFFER, 8, RPI_FB_ALIGN, 0);
    put_tag(W_PITCH, TAG_GET_PITCH, 4, 0, 0);
    mbox_buf[W_END] = TAG_END;
}

/* Waits, bounded, until (status & mask) == 0; false when the bound ran out. */
static bool wait_clear(volatile uint8_t *regs, uint32_t status_reg, uint32_t mask)
{
    for (uint32_t i = 0; i < MBOX_POLL_BOUND; i++) {
        if ((mmio_read32(regs + status_reg) & mask) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * One request on the property channel and its answer. Answers on other channels are
 * read and passed over; every wait is bounded. No cache maintenance: QEMU's VideoCore
 * reads and writes through the ARM's view of memory. (On the board the buffer must be
 * cleaned before the write and invalidated after the answer; no hook does that yet.)
 */
static int mbox_call(const struct fb_env *env, volatile uint8_t *regs)
{
    uint64_t pa = env->dma_addr((const void *)mbox_buf);
    if (pa > UINT32_MAX - BUS_UNCACHED_ALIAS || (pa & MBOX_CHANNEL_MASK) != 0) {
        return KEEL_E_MBOX_UNREACHABLE;
    }
    uint32_t message = ((uint32_t)pa | BUS_UNCACHED_ALIAS) | MBOX_CHANNEL_PROPERTY;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!wait_clear(regs, MBOX_WRITE_STATUS, MBOX_FULL)) {
        return KEEL_E_MBOX_TIMEOUT;
    }
    mmio_write32(regs + MBOX_WRITE, message);
    for (uint32_t tries = 0; tries < MBOX_POLL_BOUND; tries++) {
        if (!wait_clear(regs, MBOX_STATUS, MBOX_EMPTY)) {
            return KEEL_E_MBOX_TIMEOUT;
        }
        uint32_t answer = mmio_read32(regs + MBOX_READ);
        if (answer == message) {
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            return KEEL_OK;
        }
    }
    return KEEL_E_MBOX_TIMEOUT;
}

/* True when the VideoCore answered the tag at `at` with at least `bytes` of values. */
static bool tag_answered(unsigned at, uint32_t bytes)
{
    uint32_t code = mbox_buf[at + 2];
    return (code & PROP_TAG_RESPONSE) != 0 && (code & ~PROP_TAG_RESPONSE) >= bytes;
}

/*
 * Runs in the platform fix-ups, on the boot identity map: asks the VideoCore for a
 * RPI_FB_WIDTH x RPI_FB_HEIGHT x 32 framebuffer in one property request (physical and
 * virtual size, depth, pixel order, allocate, pitch), checks every tag's answer, maps
 * the pixels (they lie in the VideoCore's share, outside RAM) and fills bi->framebuffer
 * (source BI_FB_RPI_MAILBOX). A mailbox that never answers ends in KEEL_E_MBOX_TIMEOUT
 * after a bounded wait; the boot goes on on serial.
 */
static int rpi_mailbox_setup(const struct fb_env *env, const struct bi_fb_device *dev,
                             struct boot_info *bi)
{
    if (dev->driver != BI_FB_RPI_MAILBOX || dev->base == 0 ||
        bi->framebuffer.source != BI_FB_NONE) {
        return KEEL_OK;
    }
    volatile uint8_t *regs = NULL;
    if ((dev->base & 3) == 0) {
        regs = env->mmio_ptr(dev->base, MBOX_REGS_SIZE);
    }
    if (regs == NULL) {
        return KEEL_E_MBOX_UNREACHABLE;
    }
    build_request();
    int err = mbox_call(env, regs);
    if (err != KEEL_OK) {
        return err;
    }
    if (mbox_buf[W_CODE] != PROP_RESPONSE_OK || !tag_answered(W_PHYS, 8) ||
        !tag_answered(W_DEPTH, 4) || !tag_answered(W_ORDER, 4) || !tag_answered(W_ALLOC, 8) ||
        !tag_answered(W_PITCH, 4)) {
        return KEEL_E_MBOX_REFUSED;
    }
    uint32_t width = mbox_buf[W_PHYS + 3], height = mbox_buf[W_PHYS + 4];
    uint32_t bpp = mbox_buf[W_DEPTH + 3], order = mbox_buf[W_ORDER + 3];
    uint64_t base = mbox_buf[W_ALLOC + 3] & ~BUS_ALIAS_MASK;
    uint64_t size = mbox_buf[W_ALLOC + 4];
    uint32_t pitch = mbox_buf[W_PITCH + 3];
    if (width == 0 || height == 0 || bpp != RPI_FB_BPP || base == 0 ||
        (order != PIXEL_ORDER_BGR && order != PIXEL_ORDER_RGB) ||
        pitch < (uint64_t)width * (RPI_FB_BPP / 8) || size < (uint64_t)pitch * height) {
        return KEEL_E_MBOX_REFUSED;
    }
    err = env->map_pixels(base, (uint64_t)pitch * height);
    if (err != KEEL_OK) {
        return err;
    }
    bool bgr = order == PIXEL_ORDER_BGR;
    bi->framebuffer = (struct bi_framebuffer){
        .base = base,
        .width = width,
        .height = height,
        .pitch = pitch,
        .bpp = RPI_FB_BPP,
        .red_pos = bgr ? 16 : 0,
        .red_size = 8,
        .green_pos = 8,
        .green_size = 8,
        .blue_pos = bgr ? 0 : 16,
        .blue_size = 8,
        .source = BI_FB_RPI_MAILBOX,
    };
    return KEEL_OK;
}

/*
 * Linux's binding mailbox/brcm,bcm2835-mbox.yaml: reg covers both mailboxes' registers
 * (0x40 bytes at bus address 0x7e00b880), translated here to the ARM's address.
 */
static int rpi_mailbox_probe(const struct fdt *fdt, const struct fdt_path *path,
                             struct fb_found *out)
{
    return fb_probe_registers(fdt, path, MBOX_REGS_SIZE, out);
}

static const char *const rpi_mailbox_compatible[] = {"brcm,bcm2835-mbox", NULL};

const struct fb_driver rpi_mailbox_driver = {
    .name = "rpi-mailbox",
    .source = BI_FB_RPI_MAILBOX,
    .compatible = rpi_mailbox_compatible,
    .probe = rpi_mailbox_probe,
    .setup = rpi_mailbox_setup,
};

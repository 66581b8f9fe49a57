/* SPDX-License-Identifier: MIT */
/* The board layer at boot: the boot identity map and the console, from what the DTB says. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keel/addr.h>
#include <keel/arch.h>
#include <keel/board.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/init.h>

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The page holding a device's registers, as device memory. */
static int map_device(uint64_t base)
{
    return arch_early_map(base & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE, PT_MEM_DEVICE);
}

static int start_uart(const struct bi_console *dev, bool must_identify)
{
    int err = map_device(dev->base);
    return err != KEEL_OK ? err : console_uart_start(dev, must_identify);
}

/*
 * The last resort when no UART started: the firmware's console call, where the arch
 * has one (riscv64: the SBI's); elsewhere its probe says absent and nothing changes.
 */
static bool start_firmware_console(void)
{
    static const struct bi_console fw = {.kind = BI_CONSOLE_FIRMWARE};
    return console_uart_start(&fw, true) == KEEL_OK;
}

/*
 * The board's default first, so that a UART the DTB names but that does not answer
 * has somewhere to fall back to, then the DTB's own; a problem is one warning line,
 * printed on whichever console is left.
 */
static void start_console(const struct board_early *plan)
{
    const struct bi_console *fallback = &plan->board->console;
    const struct bi_console *named = &plan->console;
    int err = plan->console_error;
    const struct bi_console *bad = NULL;

    bool started = false;
    if (fallback->kind != BI_CONSOLE_NONE) {
        started = start_uart(fallback, false) == KEEL_OK;
    }
    if (named->kind != BI_CONSOLE_NONE &&
        (named->kind != fallback->kind || named->base != fallback->base)) {
        int named_err = start_uart(named, false);
        if (named_err != KEEL_OK) {
            err = named_err;
            bad = named;
        }
        started = started || named_err == KEEL_OK;
    }
    if (!started) {
        start_firmware_console();
    }
    if (err != KEEL_OK) {
        console_uart_warn(err, bad);
    }
}

/* RAM and an outside framebuffer, page by page where they do not fill whole pages. */
static void map_memory(const struct board_early *plan)
{
    int err = plan->ranges_dropped != 0 ? KEEL_E_BOOT_MAP_FULL : KEEL_OK;
    uint32_t missed = plan->ranges_dropped;

    for (uint32_t i = 0; i < plan->range_count; i++) {
        const struct board_range *r = &plan->ranges[i];
        uint64_t base = (r->base + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
        base = base < PAGE_SIZE ? PAGE_SIZE : base; /* page 0 stays unmapped: NULL faults */
        uint64_t end = (r->base + r->size) & ~(uint64_t)(PAGE_SIZE - 1);
        int e = base < end ? arch_early_map(base, end - base, r->mem) : KEEL_OK;
        if (e != KEEL_OK) {
            err = err == KEEL_OK ? e : err;
            missed++;
        }
    }
    if (err != KEEL_OK) {
        kprintf("keel: warning: %s; %u memory ranges of the DTB are not reachable before the "
                "switch\n",
                keel_strerror(err), (unsigned)missed);
    }
}

/* The plan's console and framebuffer device; NULL when the DTB could not be read. */
static const struct board_early *start_devices(uint64_t dtb_pa)
{
    static struct board_early plan;
    /* The header's second big-endian word is totalsize (Devicetree spec, 5.2). */
    const uint8_t *head = arch_early_phys_ptr(dtb_pa, 8);
    uint32_t size = head != NULL ? load_be32(head + 4) : 0;
    const void *dtb = head != NULL && arch_early_phys_ptr(dtb_pa, size) != NULL ? head : NULL;

    board_early_plan(dtb, size, &plan);
    if (plan.board == NULL) {
        /*
         * Any board of this arch Keel knows, if its UART answers (a row of no arch only if
         * its UART identifies itself, which a 16550 cannot); the shim says what is wrong.
         */
        for (size_t i = 0; i < board_count; i++) {
            const struct board *b = &board_table[i];
            const struct bi_console *c = &b->console;
            if (b->arch != NULL && strcmp(b->arch, arch_name) != 0) {
                continue;
            }
            if (c->kind != BI_CONSOLE_NONE && start_uart(c, b->arch == NULL) == KEEL_OK) {
                return NULL;
            }
        }
        start_firmware_console();
        return NULL;
    }
    start_console(&plan);
    if (plan.fb_device.driver != BI_FB_NONE && plan.fb_device.base != 0) {
        /* A failure here is for the driver's setup to report: its registers are unreachable. */
        map_device(plan.fb_device.base);
    }
    return &plan;
}

void board_early_setup(uint64_t dtb_pa)
{
    const struct board_early *plan = start_devices(dtb_pa);

    if (plan != NULL) {
        map_memory(plan);
    }
}

void board_early_devices(uint64_t dtb_pa)
{
    (void)start_devices(dtb_pa);
}

int board_early_start_uart(const struct bi_console *dev)
{
    return start_uart(dev, false);
}

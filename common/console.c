/* SPDX-License-Identifier: MIT */
/* The kernel console: kprintf and the sinks it feeds (serial, and the framebuffer if any). */
#include <stdarg.h>
#include <stdbool.h>

#include <keel/arch.h>
#include <keel/boot_info.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/fbcon.h>

static struct fbcon fb_console;
static bool fb_attached; /* the loader (or ramfb) gave a framebuffer the console accepted */
static bool fb_paused;   /* between the page-table switch and arch_fb_reinit() */
static uint64_t fb_draw_ticks;

void console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            arch_console_putc('\r');
        }
        arch_console_putc(buf[i]);
    }
    if (fb_attached && !fb_paused) {
        uint64_t start = arch_cycles();
        fbcon_write(&fb_console, buf, len);
        fb_draw_ticks += arch_cycles() - start;
    }
}

int console_fb_attach(const struct bi_framebuffer *fb, void *pixels)
{
    int err = fbcon_init(&fb_console, fb, pixels);

    fb_attached = err == KEEL_OK;
    return err;
}

bool console_fb_attached(void)
{
    return fb_attached;
}

void console_fb_pause(void)
{
    fb_paused = true;
}

void console_fb_resume(void *pixels)
{
    if (fb_attached) {
        fbcon_rebase(&fb_console, pixels);
    }
    fb_paused = false;
}

uint64_t console_fb_draw_ticks(void)
{
    return fb_draw_ticks;
}

void *console_fb_early_pixels(const struct bi_framebuffer *fb)
{
    uint64_t size = (uint64_t)fb->pitch * fb->height;
    /* RAM (ramfb) through the 1:1 window; a device framebuffer through its MMIO one. */
    void *pixels = (void *)(uintptr_t)arch_early_phys_ptr(fb->base, size);

    return pixels != NULL ? pixels : (void *)(uintptr_t)arch_early_mmio_ptr(fb->base, size);
}

void console_init(const struct boot_info *bi)
{
    const struct bi_framebuffer *fb = &bi->framebuffer;
    int err = (int)bi->framebuffer_error;

    arch_console_setup(&bi->console);
    /*
     * The shim already checked the loader's framebuffer (fb_check) and its early reach,
     * and ramfb's is Keel's own; fbcon_init checks the pixel format once more.
     */
    if (fb->source != BI_FB_NONE) {
        int attach = console_fb_attach(fb, console_fb_early_pixels(fb));
        if (attach == KEEL_OK) {
            kprintf("keel: framebuffer %ux%u, %u bpp, pitch %u, from %s\n", fb->width, fb->height,
                    fb->bpp, fb->pitch, bi_fb_source_name(fb->source));
            return;
        }
        err = attach;
    }
    if (err != KEEL_OK) {
        kprintf("keel: warning: %s; serial console only\n", keel_strerror(err));
    }
}

static void console_sink_write(void *ctx, const char *buf, size_t len)
{
    (void)ctx;
    console_write(buf, len);
}

const struct sink console_sink = {.write = console_sink_write, .ctx = NULL};

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sink_vprintf(&console_sink, fmt, ap);
    va_end(ap);
}

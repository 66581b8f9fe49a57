/* SPDX-License-Identifier: MIT */
/* The kernel console: kprintf and its sinks, a UART through its driver and the framebuffer. */
#include <stdarg.h>
#include <stdbool.h>

#include <keel/addr.h>
#include <keel/arch.h>
#include <keel/boot_info.h>
#include <keel/console.h>
#include <keel/errors.h>
#include <keel/fbcon.h>
#include <keel/report.h>
#include <keel/smp.h>
#include <keel/spinlock.h>
#include <keel/timeline.h>
#include <keel/uart.h>

/* How long a CPU waits for another's console output before it prints anyway. */
#define CONSOLE_LOCK_MS 500u

/* One UART the console drives: its driver, its registers as the driver reaches them. */
struct serial {
    const struct uart_driver *drv; /* NULL: no serial console */
    struct uart u;
    uint64_t base; /* the physical MMIO address or the I/O port */
};

static struct serial serial;      /* the UART in use */
static struct serial serial_prev; /* the one before, while its mapping lasts */
static struct bi_console refused; /* the last device that would not start, not retried */
static bool serial_suspended;     /* between the page-table switch and the remap */
static struct serial gave_up;     /* a UART that stopped taking bytes, not yet reported */

static struct fbcon fb_console;
static bool fb_attached; /* the loader (or ramfb) gave a framebuffer the console accepted */
static bool fb_paused;   /* between the page-table switch and arch_fb_reinit() */
static uint64_t fb_draw_ticks;

/*
 * Fills *s for the device `dev`, reached through the boot mapping, and asks its driver
 * whether the registers answer. Nothing is written to the device unless they do.
 */
static int serial_open(const struct bi_console *dev, bool must_identify, struct serial *s)
{
    const struct uart_driver *drv = uart_driver_by_kind(dev->kind);
    if (drv == NULL) {
        return KEEL_E_CONSOLE_NO_DRIVER;
    }
    uint32_t width = dev->reg_io_width != 0 ? dev->reg_io_width : drv->default_io_width;
    uint64_t extent = uart_regs_extent(drv, dev->reg_shift, width);
    *s = (struct serial){
        .drv = drv, .base = dev->base, .u = {.reg_shift = dev->reg_shift, .io_width = width}};
    if (drv->regs_size == 0) {
        /* A firmware call: nothing to reach, nothing to check but that it is there. */
        return drv->ops->probe(&s->u) == UART_PROBE_FOUND ? KEEL_OK : KEEL_E_CONSOLE_ABSENT;
    }
    if (extent == 0 || dev->base == 0 || dev->base % width != 0) {
        return KEEL_E_CONSOLE_REG;
    }
    if (drv->port_io) {
        if (dev->base > UINT16_MAX + UINT64_C(1) - extent) {
            return KEEL_E_CONSOLE_REG;
        }
        s->u.port = (uint16_t)dev->base;
        s->u.window = (uint32_t)extent;
    } else {
        /* The memory sequence maps the console's one page: the registers must lie in it. */
        uint64_t in_page = PAGE_SIZE - (dev->base & (PAGE_SIZE - 1));
        uint64_t window = dev->size != 0 && dev->size < in_page ? dev->size : in_page;
        if (extent > window) {
            return KEEL_E_CONSOLE_REG;
        }
        s->u.regs = arch_early_mmio_ptr(dev->base, window);
        s->u.window = (uint32_t)window;
        if (s->u.regs == NULL) {
            return KEEL_E_CONSOLE_UNREACHABLE;
        }
    }
    enum uart_probe found = drv->ops->probe(&s->u);
    if (found == UART_PROBE_ABSENT || (must_identify && found != UART_PROBE_FOUND)) {
        return KEEL_E_CONSOLE_ABSENT;
    }
    if (drv->ops->init != NULL) {
        drv->ops->init(&s->u);
    }
    return KEEL_OK;
}

int console_uart_start(const struct bi_console *dev, bool must_identify)
{
    struct serial s;
    int err = serial_open(dev, must_identify, &s);

    if (err != KEEL_OK) {
        refused = *dev;
        return err;
    }
    if (serial.drv != NULL && serial.base != s.base) {
        serial_prev = serial;
    }
    serial = s;
    return KEEL_OK;
}

static const char *kind_name(uint32_t kind)
{
    const struct uart_driver *drv = uart_driver_by_kind(kind);
    return drv != NULL ? drv->name : "UART";
}

void console_uart_warn(int err, const struct bi_console *dev)
{
    kprintf("keel: warning: %s", keel_strerror(err));
    if (dev != NULL) {
        kprintf(" (%s at 0x%llx)", kind_name(dev->kind), (unsigned long long)dev->base);
    }
    if (serial.drv != NULL) {
        kprintf("; the console is %s at 0x%llx\n", serial.drv->name,
                (unsigned long long)serial.base);
    } else {
        kprintf("; no serial console\n");
    }
}

static bool is_device(const struct bi_console *dev, const struct bi_console *other)
{
    return dev->kind == other->kind && dev->base == other->base;
}

void console_uart_setup(const struct bi_console *dev)
{
    if (dev->kind == BI_CONSOLE_NONE || is_device(dev, &refused) ||
        (serial.drv != NULL && dev->kind == serial.drv->kind && dev->base == serial.base)) {
        return;
    }
    int err = console_uart_start(dev, false);
    if (err != KEEL_OK) {
        console_uart_warn(err, dev);
    }
}

/* Port I/O and a firmware call need no mapping: they stay reachable across the switch. */
static bool unmapped(const struct uart_driver *drv)
{
    return drv->port_io || drv->regs_size == 0;
}

static bool serial_reachable(void)
{
    return serial.drv != NULL && (!serial_suspended || unmapped(serial.drv));
}

/* A UART that did not take a byte within its bound is given up: back to the one before. */
static void serial_put(char c)
{
    if (!serial_reachable()) {
        return;
    }
    if (!serial.drv->ops->putc(&serial.u, (uint8_t)c)) {
        gave_up = serial;
        serial = serial_prev;
        serial_prev.drv = NULL;
        if (serial_reachable()) {
            serial.drv->ops->putc(&serial.u, (uint8_t)c);
        }
    }
}

void console_putc(char c)
{
    serial_put(c);
}

void console_put_str(const char *s)
{
    while (*s != '\0') {
        console_putc(*s++);
    }
}

void console_put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    int shift = 60;

    while (shift > 0 && ((v >> shift) & 0xf) == 0) {
        shift -= 4;
    }
    console_put_str("0x");
    for (; shift >= 0; shift -= 4) {
        console_putc(digits[(v >> shift) & 0xf]);
    }
}

int console_getc(void)
{
    return serial_reachable() ? serial.drv->ops->getc(&serial.u) : -1;
}

uint64_t console_uart_mmio_base(void)
{
    return serial.drv != NULL && !unmapped(serial.drv) ? serial.base : 0;
}

void console_uart_suspend(void)
{
    serial_suspended = true;
    serial_prev.drv = NULL;
}

void console_uart_remap(uint64_t mmio_va)
{
    if (serial.drv != NULL && !unmapped(serial.drv)) {
        if (mmio_va == 0 || mmio_va % serial.u.io_width != 0) {
            serial.drv = NULL;
        }
        serial.u.regs = (volatile uint8_t *)(uintptr_t)mmio_va;
    }
    serial_suspended = false;
}

/*
 * Says once, on whatever console is left, which UART was given up: at the end of the
 * line under way, so that the warning is a line of its own.
 */
static void report_gave_up(const char *buf, size_t len)
{
    static bool reporting;
    static bool line_start = true;
    const struct serial lost = gave_up;

    if (len != 0) {
        line_start = buf[len - 1] == '\n';
    }
    if (lost.drv == NULL || reporting || !line_start) {
        return;
    }
    reporting = true;
    gave_up.drv = NULL;
    kprintf("keel: warning: %s (%s at 0x%llx); ", keel_strerror(KEEL_E_CONSOLE_TIMEOUT),
            lost.drv->name, (unsigned long long)lost.base);
    if (serial.drv != NULL) {
        kprintf("back on %s at 0x%llx\n", serial.drv->name, (unsigned long long)serial.base);
    } else {
        kprintf("no serial console\n");
    }
    reporting = false;
}

/*
 * The console lock: one kprintf (or one console_write) at a time, so that the lines
 * of several CPUs never interleave. It records its holder, so that a nested print on
 * the same CPU (a warning from inside console_write, a fault while printing) goes
 * through, and a CPU never waits for it longer than CONSOLE_LOCK_MS: a holder that
 * stopped (it faulted elsewhere) costs a wait, never a hang. Returns whether it took it.
 */
static struct spinlock console_lock;
static uint32_t console_holder; /* smp_cpu_index() + 1 of the CPU holding it, or 0 */

static bool console_enter(void)
{
    uint32_t me = smp_cpu_index() + 1;

    if (__atomic_load_n(&console_holder, __ATOMIC_RELAXED) == me) {
        return false;
    }
    uint64_t bound = cycles_of_ms(CONSOLE_LOCK_MS);
    uint64_t start = arch_cycles();
    while (!spin_try_lock(&console_lock)) {
        if (arch_cycles() - start > bound) {
            return false;
        }
    }
    __atomic_store_n(&console_holder, me, __ATOMIC_RELAXED);
    return true;
}

static void console_leave(bool took)
{
    if (took) {
        __atomic_store_n(&console_holder, 0, __ATOMIC_RELAXED);
        spin_unlock(&console_lock);
    }
}

void console_write(const char *buf, size_t len)
{
    bool took = console_enter();

    /*
     * The screen first: text that has reached the serial line is on the screen already,
     * so whoever watches the serial line (`keel run --screenshot` waits for KEEL-HOLD)
     * never sees a line the framebuffer console is still drawing or scrolling for.
     */
    if (fb_attached && !fb_paused) {
        uint64_t start = arch_cycles();
        fbcon_write(&fb_console, buf, len);
        fb_draw_ticks += arch_cycles() - start;
    }
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            serial_put('\r');
        }
        serial_put(buf[i]);
    }
    report_gave_up(buf, len);
    console_leave(took);
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

    console_uart_setup(&bi->console);
    /*
     * The shim already checked the loader's framebuffer (fb_check) and its early reach,
     * and ramfb's is Keel's own; fbcon_init checks the pixel format once more.
     */
    if (fb->source != BI_FB_NONE) {
        int attach = console_fb_attach(fb, console_fb_early_pixels(fb));
        if (attach == KEEL_OK) {
            if (!keel_verbose(bi)) {
                return;
            }
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
    bool took = console_enter();

    va_start(ap, fmt);
    sink_vprintf(&console_sink, fmt, ap);
    va_end(ap);
    console_leave(took);
}

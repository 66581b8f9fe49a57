/* SPDX-License-Identifier: MIT */
/*
 * Keel's EFI entry, the same C on every arch: it asks the firmware for everything the
 * boot needs while boot services run, records it in the handoff, and leaves boot
 * services. Nothing here checks what the firmware said; the UEFI shim does, after.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/cmdline.h>
#include <keel/efi.h>
#include <keel/efi_entry.h>
#include <keel/errors.h>
#include <keel/fmt.h>
#include <keel/image.h>
#include <keel/timeline.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Buffers Keel allocates from the firmware lie below 4 GiB, where every arch's boot
 * identity map reaches (x86_64 maps [0, 4 GiB) 1:1 until the kernel's tables are live).
 */
#define EFI_ALLOC_LIMIT UINT64_C(0xffffffff)

/* Descriptors the map may grow by between sizing the buffer and ExitBootServices. */
#define EFI_MEMMAP_SLACK 16u

/* A descriptor size to size the first buffer with when the firmware reports none. */
#define EFI_DESCRIPTOR_SIZE_GUESS 48u

static struct efi_handoff handoff;
static struct efi_handoff_module modules[BI_MODULE_MAX];
/*
 * The command line, NUL-terminated. It holds one byte more than a boot_info does, so
 * that a line that is too long still reaches the shim as one, which refuses it.
 */
static char cmdline[BI_CMDLINE_MAX + 2];

struct efi {
    efi_handle image;
    struct efi_system_table *st;
    struct efi_boot_services *bs;
};

static uint64_t pa_of(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* The firmware's console, for the error line while boot services run: ASCII to UCS-2. */
static void con_write(void *ctx, const char *s, size_t len)
{
    struct efi_simple_text_output *out = ctx;
    efi_char16 buf[64];
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            buf[n++] = '\r';
        }
        buf[n++] = (unsigned char)s[i];
        if (n >= ARRAY_SIZE(buf) - 2 || i + 1 == len) {
            buf[n] = 0;
            out->output_string(out, buf);
            n = 0;
        }
    }
}

/* Prints the one error line on the firmware's console and returns err. */
static int efi_fail(const struct efi *e, int err, efi_status status)
{
    struct efi_simple_text_output *out = e->st != NULL ? e->st->con_out : NULL;

    if (out == NULL) {
        return err;
    }
    struct sink s = {.write = con_write, .ctx = out};
    sink_printf(&s, "keel: error: %s%s", keel_strerror(err), keel_err_detail());
    if (status != EFI_SUCCESS) {
        sink_printf(&s, " (EFI status 0x%llx)", (unsigned long long)status);
    }
    sink_printf(&s, "\n");
    return err;
}

static bool guid_equal(const struct efi_guid *a, const struct efi_guid *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

/* FirmwareVendor as ASCII; a character outside printable ASCII becomes '?'. */
static void copy_vendor(const efi_char16 *src)
{
    size_t n = 0;

    while (src != NULL && src[n] != 0 && n + 1 < sizeof(handoff.vendor)) {
        efi_char16 c = src[n];
        handoff.vendor[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        n++;
    }
    handoff.vendor[n] = '\0';
}

static void set_cmdline(const char *s, size_t len)
{
    size_t n = len < sizeof(cmdline) - 1 ? len : sizeof(cmdline) - 1;

    memcpy(cmdline, s, n);
    cmdline[n] = '\0';
    handoff.cmdline_pa = kernel_pa(cmdline);
    handoff.cmdline_len = n;
}

static bool ends_with_efi(const char *s, size_t len)
{
    return len >= 4 && s[len - 4] == '.' && (s[len - 3] | 0x20) == 'e' &&
           (s[len - 2] | 0x20) == 'f' && (s[len - 1] | 0x20) == 'i';
}

/*
 * LoadOptions, when a boot entry gives text, override keel.cfg's command line. They are
 * taken only if they are UCS-2 text: firmware boot managers put binary data there for
 * the entries they make themselves. The UEFI shell passes the image's own name as the
 * first word, which is dropped.
 */
static void load_options_cmdline(const struct efi_loaded_image *li)
{
    const efi_char16 *opt = li->load_options;
    size_t count = li->load_options_size / sizeof(efi_char16);
    char text[sizeof(cmdline)];
    size_t n = 0;

    if (opt == NULL || count == 0 || li->load_options_size % sizeof(efi_char16) != 0) {
        return;
    }
    for (size_t i = 0; i < count && opt[i] != 0; i++) {
        if (opt[i] < 0x20 || opt[i] >= 0x7f) {
            return;
        }
        if (n < sizeof(text)) {
            text[n++] = (char)opt[i];
        }
    }
    size_t first = 0;
    while (first < n && text[first] != ' ') {
        first++;
    }
    size_t start = ends_with_efi(text, first) ? first + (first < n) : 0;
    set_cmdline(text + start, n - start);
}

/* The GOP's current mode, as the firmware set it: Keel changes no mode. */
static void find_gop(const struct efi *e)
{
    const struct efi_guid gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
    struct efi_gop *gop = NULL;

    if (e->bs->locate_protocol(&gop_guid, NULL, (void **)&gop) != EFI_SUCCESS || gop == NULL ||
        gop->mode == NULL || gop->mode->info == NULL) {
        return;
    }
    handoff.gop_present = 1;
    handoff.gop_info = *gop->mode->info;
    handoff.gop_base = gop->mode->frame_buffer_base;
    handoff.gop_size = gop->mode->frame_buffer_size;
}

/* The ACPI RSDP (the 2.0 table first, then 1.0) and a DTB from the configuration table. */
static void find_tables(const struct efi *e)
{
    const struct efi_guid acpi20 = EFI_ACPI_20_TABLE_GUID;
    const struct efi_guid acpi10 = EFI_ACPI_10_TABLE_GUID;
    const struct efi_guid dtb = EFI_DTB_TABLE_GUID;
    const struct efi_configuration_table *t = e->st->configuration_table;

    for (uint64_t i = 0; t != NULL && i < e->st->number_of_table_entries; i++) {
        uint64_t table = pa_of(t[i].vendor_table);
        if (guid_equal(&t[i].vendor_guid, &acpi20)) {
            handoff.rsdp = table;
            handoff.rsdp_revision_hint = 2;
        } else if (guid_equal(&t[i].vendor_guid, &acpi10) && handoff.rsdp_revision_hint != 2) {
            handoff.rsdp = table;
            handoff.rsdp_revision_hint = 1;
        } else if (guid_equal(&t[i].vendor_guid, &dtb)) {
            handoff.dtb = table;
        }
    }
}

static int alloc_pages(const struct efi *e, uint64_t bytes, uint64_t *pa)
{
    uint64_t pages = bytes / EFI_PAGE_SIZE + (bytes % EFI_PAGE_SIZE != 0) + (bytes == 0);
    uint64_t addr = EFI_ALLOC_LIMIT;
    efi_status st = e->bs->allocate_pages(EFI_ALLOCATE_MAX_ADDRESS, EFI_LOADER_DATA, pages, &addr);

    if (st != EFI_SUCCESS) {
        return efi_fail(e, KEEL_E_EFI_NO_MEMORY, st);
    }
    *pa = addr;
    return KEEL_OK;
}

/*
 * The memory map, then ExitBootServices with its key. The map changes whenever the
 * firmware allocates, which it may do between the two calls (a timer event, a
 * driver), so a stale key is retried with a fresh map, at most EFI_EXIT_ATTEMPTS_MAX
 * times. After the first ExitBootServices call only GetMemoryMap may be called, so the
 * buffer is sized with room to spare beforehand. `force_retry` (keel.efi_retry) makes
 * the first key stale on purpose, by one allocation in between.
 */
static int exit_boot_services(const struct efi *e, bool force_retry)
{
    uint64_t size = 0, key = 0, desc_size = 0, buf_pa = 0;
    uint32_t desc_version = 0;
    efi_status st = e->bs->get_memory_map(&size, NULL, &key, &desc_size, &desc_version);

    if (st != EFI_BUFFER_TOO_SMALL && st != EFI_SUCCESS) {
        return efi_fail(e, KEEL_E_EFI_MEMORY_MAP, st);
    }
    uint64_t slack = (desc_size != 0 ? desc_size : EFI_DESCRIPTOR_SIZE_GUESS) * EFI_MEMMAP_SLACK;
    int err = alloc_pages(e, size + slack, &buf_pa);
    if (err != KEEL_OK) {
        return err;
    }
    uint64_t cap = (size + slack + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE * EFI_PAGE_SIZE;

    for (uint32_t attempt = 1; attempt <= EFI_EXIT_ATTEMPTS_MAX; attempt++) {
        size = cap;
        st = e->bs->get_memory_map(&size, (void *)(uintptr_t)buf_pa, &key, &desc_size,
                                   &desc_version);
        if (st != EFI_SUCCESS) {
            if (attempt == 1) {
                return efi_fail(e, KEEL_E_EFI_MEMORY_MAP, st);
            }
            handoff.entry_error = KEEL_E_EFI_MEMORY_MAP;
            return KEEL_OK;
        }
        if (force_retry && attempt == 1) {
            void *p;
            e->bs->allocate_pool(EFI_LOADER_DATA, 64, &p);
        }
        st = e->bs->exit_boot_services(e->image, key);
        if (st == EFI_SUCCESS) {
            timeline_mark("efi.exit");
            handoff.memmap_pa = buf_pa;
            handoff.memmap_size = size;
            handoff.descriptor_size = desc_size;
            handoff.descriptor_version = desc_version;
            handoff.exit_attempts = attempt;
            return KEEL_OK;
        }
        if (st != EFI_INVALID_PARAMETER && attempt == 1) {
            return efi_fail(e, KEEL_E_EFI_EXIT_BOOT_SERVICES, st);
        }
    }
    handoff.entry_error = KEEL_E_EFI_EXIT_BOOT_SERVICES;
    handoff.exit_attempts = EFI_EXIT_ATTEMPTS_MAX;
    return KEEL_OK;
}

int efi_boot(efi_handle image, struct efi_system_table *st, struct efi_handoff **out)
{
    const struct efi_guid li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
    struct efi e = {.image = image, .st = st};
    struct efi_loaded_image *li = NULL;
    efi_status status;

    keel_err_clear();
    if (st == NULL || st->hdr.signature != EFI_SYSTEM_TABLE_SIGNATURE ||
        st->boot_services == NULL) {
        return efi_fail(&e, KEEL_E_EFI_SYSTEM_TABLE, EFI_SUCCESS);
    }
    e.bs = st->boot_services;
    timeline_mark("efi");
    /* The boot manager's watchdog would reset the machine after five minutes. */
    e.bs->set_watchdog_timer(0, 0, 0, NULL);

    handoff.magic = EFI_HANDOFF_MAGIC;
    handoff.system_table = pa_of(st);
    handoff.firmware_revision = st->firmware_revision;
    handoff.modules_pa = kernel_pa(modules);
    copy_vendor(st->firmware_vendor);

    status = e.bs->handle_protocol(image, &li_guid, (void **)&li);
    if (status != EFI_SUCCESS || li == NULL) {
        return efi_fail(&e, KEEL_E_EFI_LOADED_IMAGE, status);
    }
    load_options_cmdline(li);
    find_gop(&e);
    find_tables(&e);

    int err = exit_boot_services(&e, cmdline_flag(cmdline, "keel.efi_retry"));
    if (err != KEEL_OK) {
        return err;
    }
    *out = &handoff;
    return KEEL_OK;
}

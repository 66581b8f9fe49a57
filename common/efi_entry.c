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
#include <keel/keel_cfg.h>
#include <keel/shim.h>

#include "multiboot2.h"
#include <keel/timeline.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Buffers Keel allocates from the firmware lie below 4 GiB, where every arch's boot
 * identity map reaches (x86_64 maps [0, 4 GiB) 1:1 until the kernel's tables are live).
 */
#define EFI_ALLOC_LIMIT UINT64_C(0xffffffff)

/* Where keel.cfg lies on the boot volume. */
#define KEEL_CFG_PATH "\\EFI\\keel\\keel.cfg"

/* The longest path on the boot volume Keel opens, in characters. */
#define EFI_PATH_MAX KEEL_CFG_PATH_MAX

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

/* The root directory of the volume Keel's image was loaded from. */
static int open_boot_volume(const struct efi *e, const struct efi_loaded_image *li,
                            struct efi_file **root)
{
    const struct efi_guid sfs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
    struct efi_simple_file_system *fs = NULL;
    efi_status st = e->bs->handle_protocol(li->device_handle, &sfs_guid, (void **)&fs);

    /*
     * An image no file system loaded (U-Boot's `bootefi ADDR:SIZE` of an image in RAM
     * comes from a memory-mapped device) reads keel.cfg from the first file system the
     * firmware has.
     */
    if (st != EFI_SUCCESS || fs == NULL) {
        fs = NULL;
        st = e->bs->locate_protocol(&sfs_guid, NULL, (void **)&fs);
    }
    if (st == EFI_SUCCESS && fs != NULL) {
        st = fs->open_volume(fs, root);
    }
    if (st != EFI_SUCCESS || fs == NULL) {
        return efi_fail(e, KEEL_E_EFI_NO_VOLUME, st);
    }
    return KEEL_OK;
}

/*
 * Reads the file at `path` (an absolute path on the boot volume, '/' or '\' between its
 * parts) into pages of its own below 4 GiB. KEEL_E_EFI_FILE_MISSING, noted with the
 * path, when there is no such file; the caller decides whether that is an error.
 */
static int read_file(const struct efi *e, struct efi_file *root, const char *path, size_t path_len,
                     uint64_t max_size, uint64_t *pa, uint64_t *size)
{
    efi_char16 name[EFI_PATH_MAX + 1];
    struct efi_file *f = NULL;
    uint64_t end = 0;

    if (path_len > EFI_PATH_MAX) {
        keel_err_note_string(path, path_len, EFI_PATH_MAX);
        return efi_fail(e, KEEL_E_CFG_PATH_LONG, EFI_SUCCESS);
    }
    for (size_t i = 0; i < path_len; i++) {
        name[i] = path[i] == '/' ? '\\' : (unsigned char)path[i];
    }
    name[path_len] = 0;
    efi_status st = root->open(root, &f, name, EFI_FILE_MODE_READ, 0);
    if (st == EFI_NOT_FOUND) {
        keel_err_note_name(path, path_len);
        return KEEL_E_EFI_FILE_MISSING;
    }
    if (st == EFI_SUCCESS) {
        st = f->set_position(f, UINT64_MAX); /* the end of the file */
    }
    if (st == EFI_SUCCESS) {
        st = f->get_position(f, &end);
    }
    if (st == EFI_SUCCESS) {
        st = f->set_position(f, 0);
    }
    int err = st == EFI_SUCCESS ? KEEL_OK : KEEL_E_EFI_FILE_READ;
    if (err == KEEL_OK && end > max_size) {
        keel_err_note_name(path, path_len);
        err = KEEL_E_CFG_TOO_LONG;
    }
    if (err == KEEL_OK) {
        err = alloc_pages(e, end, pa);
    }
    /* Read may return less than asked for; a read of 0 bytes before the end is an error. */
    for (uint64_t done = 0; err == KEEL_OK && done < end;) {
        uint64_t n = end - done;
        st = f->read(f, &n, (void *)(uintptr_t)(*pa + done));
        if (st != EFI_SUCCESS || n == 0) {
            keel_err_note_name(path, path_len);
            err = KEEL_E_EFI_FILE_READ;
        }
        done += n;
    }
    if (f != NULL) {
        f->close(f);
    }
    if (err != KEEL_OK) {
        return err == KEEL_E_EFI_NO_MEMORY ? err : efi_fail(e, err, st);
    }
    *size = end;
    return KEEL_OK;
}

/*
 * keel.cfg, if the boot volume has one, and the module files it names. Without a file
 * system or without keel.cfg the boot goes on with no modules; a file keel.cfg names
 * that is not there is an error.
 */
static int load_config(const struct efi *e, const struct efi_loaded_image *li)
{
    static struct keel_cfg cfg;
    struct efi_file *root = NULL;
    uint64_t cfg_pa = 0, cfg_size = 0;

    if (open_boot_volume(e, li, &root) != KEEL_OK) {
        return KEEL_OK;
    }
    int err = read_file(e, root, KEEL_CFG_PATH, sizeof(KEEL_CFG_PATH) - 1, KEEL_CFG_SIZE_MAX,
                        &cfg_pa, &cfg_size);
    if (err == KEEL_E_EFI_FILE_MISSING) {
        keel_err_clear();
        err = KEEL_OK;
    } else if (err == KEEL_OK) {
        err = keel_cfg_parse((const char *)(uintptr_t)cfg_pa, cfg_size, &cfg);
        if (err != KEEL_OK) {
            efi_fail(e, err, EFI_SUCCESS);
        }
    }
    if (err == KEEL_OK && cfg.cmdline.s != NULL) {
        set_cmdline(cfg.cmdline.s, cfg.cmdline.len);
    }
    for (uint32_t i = 0; err == KEEL_OK && i < cfg.module_count; i++) {
        const struct keel_cfg_module *m = &cfg.modules[i];
        struct efi_handoff_module *out = &modules[i];
        err = read_file(e, root, m->path.s, m->path.len, UINT64_MAX, &out->base, &out->size);
        if (err == KEEL_E_EFI_FILE_MISSING) {
            efi_fail(e, err, EFI_SUCCESS);
        }
        out->name_pa = pa_of(m->name.s);
        out->name_len = m->name.len;
        out->args_pa = m->args.len != 0 ? pa_of(m->args.s) : 0;
        out->args_len = m->args.len;
        handoff.module_count = i + 1;
    }
    root->close(root);
    return err;
}

/* What GetMemoryMap will need, with room for EFI_MEMMAP_SLACK more descriptors. */
static int map_capacity(const struct efi *e, uint64_t *cap)
{
    uint64_t size = 0, key = 0, desc_size = 0;
    uint32_t desc_version = 0;
    efi_status st = e->bs->get_memory_map(&size, NULL, &key, &desc_size, &desc_version);

    if (st != EFI_BUFFER_TOO_SMALL && st != EFI_SUCCESS) {
        return efi_fail(e, KEEL_E_EFI_MEMORY_MAP, st);
    }
    *cap = size + (desc_size != 0 ? desc_size : EFI_DESCRIPTOR_SIZE_GUESS) * EFI_MEMMAP_SLACK;
    return KEEL_OK;
}

struct efi_map {
    uint64_t size;
    uint64_t desc_size;
    uint32_t desc_version;
    uint32_t attempts;
};

/*
 * The memory map into `buf` (`cap` bytes), then ExitBootServices with its key. The map
 * changes whenever the firmware allocates, which it may do between the two calls (a
 * timer event, a driver), so a stale key is retried with a fresh map, at most
 * EFI_EXIT_ATTEMPTS_MAX times. After the first ExitBootServices call only GetMemoryMap
 * is called, and nothing more can be printed: *gone says so, and the caller reports
 * the error later. `force_retry` (keel.efi_retry) makes the first key stale on
 * purpose, by one allocation in between.
 */
static int exit_boot_services(const struct efi *e, void *buf, uint64_t cap, bool force_retry,
                              struct efi_map *map, bool *gone)
{
    for (uint32_t attempt = 1; attempt <= EFI_EXIT_ATTEMPTS_MAX; attempt++) {
        uint64_t key = 0;
        map->size = cap;
        efi_status st =
            e->bs->get_memory_map(&map->size, buf, &key, &map->desc_size, &map->desc_version);
        if (st != EFI_SUCCESS) {
            return *gone ? KEEL_E_EFI_MEMORY_MAP : efi_fail(e, KEEL_E_EFI_MEMORY_MAP, st);
        }
        if (force_retry && attempt == 1) {
            void *p;
            e->bs->allocate_pool(EFI_LOADER_DATA, 64, &p);
        }
        st = e->bs->exit_boot_services(e->image, key);
        *gone = true;
        if (st == EFI_SUCCESS) {
            timeline_mark("efi.exit");
            map->attempts = attempt;
            return KEEL_OK;
        }
        if (st != EFI_INVALID_PARAMETER) {
            break;
        }
    }
    return KEEL_E_EFI_EXIT_BOOT_SERVICES;
}

/* The system table and boot services a call from the firmware brings, checked. */
static int efi_begin(struct efi *e, efi_handle image, struct efi_system_table *st)
{
    *e = (struct efi){.image = image, .st = st};
    keel_err_clear();
    if (st == NULL || st->hdr.signature != EFI_SYSTEM_TABLE_SIGNATURE ||
        st->boot_services == NULL) {
        e->st = NULL; /* nothing of it can be trusted, its console included */
        return KEEL_E_EFI_SYSTEM_TABLE;
    }
    e->bs = st->boot_services;
    timeline_mark("efi");
    /* The boot manager's watchdog would reset the machine after five minutes. */
    e->bs->set_watchdog_timer(0, 0, 0, NULL);
    return KEEL_OK;
}

int efi_boot(efi_handle image, struct efi_system_table *st, struct efi_handoff **out, bool *gone)
{
    const struct efi_guid li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
    struct efi_loaded_image *li = NULL;
    struct efi e;
    uint64_t cap = 0, buf = 0;
    struct efi_map map = {0};

    *gone = false;
    int err = efi_begin(&e, image, st);
    if (err != KEEL_OK) {
        return err;
    }
    handoff.magic = EFI_HANDOFF_MAGIC;
    handoff.system_table = pa_of(st);
    handoff.firmware_revision = st->firmware_revision;
    handoff.modules_pa = kernel_pa(modules);
    copy_vendor(st->firmware_vendor);

    efi_status status = e.bs->handle_protocol(image, &li_guid, (void **)&li);
    if (status != EFI_SUCCESS || li == NULL) {
        return efi_fail(&e, KEEL_E_EFI_LOADED_IMAGE, status);
    }
    err = load_config(&e, li);
    timeline_mark("efi.files");
    if (err == KEEL_OK) {
        load_options_cmdline(li);
        find_gop(&e);
        find_tables(&e);
        err = map_capacity(&e, &cap);
    }
    if (err == KEEL_OK) {
        err = alloc_pages(&e, cap, &buf);
    }
    if (err == KEEL_OK) {
        err = exit_boot_services(&e, (void *)(uintptr_t)buf, cap,
                                 cmdline_flag(cmdline, "keel.efi_retry"), &map, gone);
    }
    handoff.memmap_pa = buf;
    handoff.memmap_size = map.size;
    handoff.descriptor_size = map.desc_size;
    handoff.descriptor_version = map.desc_version;
    handoff.exit_attempts = map.attempts;
    *out = &handoff;
    return err;
}

/* A multiboot2 tag header, and the EFI memory map tag's fixed part. */
#define MB2_TAG_HEADER 8u
#define MB2_EFI_MMAP_HEADER 16u

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

int efi_mb2_boot(uint32_t magic, uint64_t mbi_pa, uint64_t *out_pa, bool *gone)
{
    const void *mbi = (const void *)(uintptr_t)mbi_pa;
    struct mb2_info mb;
    struct efi e;
    uint64_t cap = 0, buf = 0;
    struct efi_map map = {0};

    *gone = false;
    /* The structure's own total_size bounds it; mb2_parse checks everything else. */
    uint32_t total = mbi_pa != 0 && mbi_pa % 8 == 0 ? *(const uint32_t *)mbi : 0;
    int err = mb2_parse(magic, mbi, total, &mb);
    int begun = efi_begin(&e, (efi_handle)(uintptr_t)mb.efi_image_handle,
                          (struct efi_system_table *)(uintptr_t)mb.efi_system_table);
    if (err != KEEL_OK || begun != KEEL_OK) {
        return efi_fail(&e, err != KEEL_OK ? err : begun, EFI_SUCCESS);
    }
    err = map_capacity(&e, &cap);
    /* The copy: the structure up to its end tag, the EFI map tag, a new end tag. */
    uint64_t head = mb.end_offset;
    if (err == KEEL_OK) {
        err = alloc_pages(&e, head + MB2_EFI_MMAP_HEADER + cap + 8 + MB2_TAG_HEADER, &buf);
    }
    uint8_t *copy = (uint8_t *)(uintptr_t)buf;
    if (err == KEEL_OK) {
        memcpy(copy, mbi, head);
        err = exit_boot_services(&e, copy + head + MB2_EFI_MMAP_HEADER, cap,
                                 mb.cmdline != NULL && cmdline_flag(mb.cmdline, "keel.efi_retry"),
                                 &map, gone);
    }
    if (err != KEEL_OK) {
        return err;
    }
    uint8_t *tag = copy + head;
    put_le32(tag, MB2_TAG_EFI_MMAP);
    put_le32(tag + 4, (uint32_t)(MB2_EFI_MMAP_HEADER + map.size));
    put_le32(tag + 8, (uint32_t)map.desc_size);
    put_le32(tag + 12, map.desc_version);
    uint64_t end = head + ((MB2_EFI_MMAP_HEADER + map.size + 7) & ~UINT64_C(7));
    put_le32(copy + end, 0); /* the end tag: type 0, size 8 */
    put_le32(copy + end + 4, MB2_TAG_HEADER);
    put_le32(copy, (uint32_t)(end + MB2_TAG_HEADER));
    *out_pa = buf;
    return KEEL_OK;
}

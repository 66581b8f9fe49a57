/* SPDX-License-Identifier: MIT */
/* The device-tree boot shim: a DTB (and its initrd) in, a struct boot_info out. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/compatible.h>
#include <keel/errors.h>
#include <keel/fb.h>
#include <keel/memmap.h>
#include <keel/shim.h>

#include "board_fdt.h"
#include "cpio.h"
#include "cpus.h"
#include "devicetree.h"
#include "shim_internal.h"

/* Adds every reg entry of path's last node as one range. */
static int add_reg_ranges(const struct fdt *fdt, const struct fdt_path *path,
                          struct shim_ranges *rs, uint32_t type, uint32_t source)
{
    uint64_t base, size;
    uint32_t count;
    int err = fdt_reg(fdt, path, 0, &base, &size, &count);
    if (err == KEEL_E_FDT_NOT_FOUND) {
        return KEEL_OK;
    }
    for (uint32_t i = 0; i < count && err == KEEL_OK; i++) {
        err = fdt_reg(fdt, path, i, &base, &size, &count);
        if (err == KEEL_OK) {
            err = shim_add_range(rs, base, size, type, source);
        }
    }
    return err;
}

/* True when [base, base + size) lies within the pages of [obase, obase + osize). */
static bool within_pages(uint64_t base, uint64_t size, uint64_t obase, uint64_t osize)
{
    uint64_t lo = obase & ~(uint64_t)(MEMMAP_PAGE_SIZE - 1);
    uint64_t hi = obase + osize + (MEMMAP_PAGE_SIZE - 1);

    if (osize == 0 || hi < obase) {
        return false;
    }
    hi &= ~(uint64_t)(MEMMAP_PAGE_SIZE - 1);
    return base >= lo && size <= hi - lo && base - lo <= hi - lo - size;
}

/*
 * A loader may mark the initrd or the DTB itself with a /memreserve/ entry (U-Boot's
 * booti does so for the initrd). Keel records both objects with their own types, and
 * "reserved" must not hide them: a module's frames go back to the allocator once the
 * kernel is done with it, a firmware reservation's never do.
 */
static bool reserves_loader_object(const struct boot_info *bi, uint64_t base, uint64_t size)
{
    return within_pages(base, size, bi->initrd_base, bi->initrd_size) ||
           within_pages(base, size, bi->dtb_base, bi->dtb_size);
}

static int add_memory(const struct fdt *fdt, const struct boot_info *bi, struct shim_ranges *rs)
{
    struct fdt_path root = {.depth = 1, .node = {0}};
    struct fdt_path path;
    uint32_t ac, sc, child;
    int err = fdt_cells(fdt, 0, &ac, &sc);
    if (err != KEEL_OK) {
        return err;
    }
    for (bool ok = fdt_first_child(fdt, 0, &child); ok && err == KEEL_OK;
         ok = fdt_next_sibling(fdt, child, &child)) {
        if (fdt_is_memory_node(fdt, child) && fdt_node_enabled(fdt, child)) {
            fdt_path_child(&path, 1, &root, child);
            err = add_reg_ranges(fdt, &path, rs, BI_MEM_USABLE, BI_SRC_FDT_MEMORY);
        }
    }
    for (uint32_t i = 0; i < fdt->rsv_count && err == KEEL_OK; i++) {
        uint64_t base, size;
        fdt_memreserve(fdt, i, &base, &size);
        if (!reserves_loader_object(bi, base, size)) {
            err = shim_add_range(rs, base, size, BI_MEM_RESERVED, BI_SRC_FDT_MEMRESERVE);
        }
    }
    if (err != KEEL_OK) {
        return err;
    }

    /* Children without reg (only size and alloc-ranges) are the OS's to place; skip them. */
    struct fdt_path rm;
    if (fdt_find_path(fdt, "/reserved-memory", 16, &rm) != KEEL_OK) {
        return KEEL_OK;
    }
    err = fdt_cells(fdt, rm.node[1], &ac, &sc);
    for (bool ok = fdt_first_child(fdt, rm.node[1], &child); ok && err == KEEL_OK;
         ok = fdt_next_sibling(fdt, child, &child)) {
        if (fdt_node_enabled(fdt, child)) {
            fdt_path_child(&path, 2, &rm, child);
            err = add_reg_ranges(fdt, &path, rs, BI_MEM_RESERVED, BI_SRC_FDT_RESERVED);
        }
    }
    return err;
}

/*
 * The device windows of the root's buses, a simple-bus's ranges in the root's addresses
 * (the Raspberry Pi's peripherals at 0x3f000000): no RAM of the map may lie in one, or
 * the kernel would take device registers for memory. A reservation may (the VideoCore's
 * share around the Pi's window is one). Entries the bus's cells do not divide are left
 * to fdt_translate, which refuses them for the devices behind it.
 */
static int check_device_windows(const struct fdt *fdt, const struct boot_info *bi)
{
    uint32_t root_ac, root_sc, ac, sc, child;
    struct fdt_prop compat, ranges;

    if (fdt_cells(fdt, 0, &root_ac, &root_sc) != KEEL_OK) {
        return KEEL_OK; /* add_memory refused such a root already */
    }
    for (bool ok = fdt_first_child(fdt, 0, &child); ok; ok = fdt_next_sibling(fdt, child, &child)) {
        size_t at = 0;
        bool bus = false;
        if (!fdt_node_enabled(fdt, child) || !fdt_get_prop(fdt, child, "compatible", &compat) ||
            !fdt_get_prop(fdt, child, "ranges", &ranges) || ranges.len == 0 ||
            fdt_cells(fdt, child, &ac, &sc) != KEEL_OK) {
            continue;
        }
        for (const char *c;
             !bus && (c = compatible_next((const char *)compat.value, compat.len, &at)) != NULL;) {
            bus = strcmp(c, "simple-bus") == 0;
        }
        uint32_t entry = (ac + root_ac + sc) * 4;
        if (!bus || ranges.len % entry != 0) {
            continue;
        }
        for (uint32_t off = 0; off < ranges.len; off += entry) {
            uint64_t base = fdt_read_cells(ranges.value + off + ac * 4, root_ac);
            uint64_t size = fdt_read_cells(ranges.value + off + (ac + root_ac) * 4, sc);
            for (uint32_t i = 0; i < bi->mem_count; i++) {
                const struct bi_mem_range *r = &bi->mem[i];
                if (r->type != BI_MEM_RESERVED && size != 0 && base + size > base &&
                    r->base < base + size && base < r->base + r->size) {
                    keel_err_note_overlap("RAM", r->base, r->size, "devices", base, size);
                    return KEEL_E_MEM_OVER_DEVICES;
                }
            }
        }
    }
    return KEEL_OK;
}

/*
 * Probes `path`'s node with the framebuffer driver its compatible names, if any, and
 * keeps the first framebuffer, the first device with a setup and the first bus that a
 * probe accepted. A node no driver can use is skipped; the search goes on.
 */
static void fb_probe_node(const struct fdt *fdt, const struct fdt_path *path, struct fb_found *out)
{
    struct fdt_prop prop;
    struct fb_found f;
    uint32_t node = path->node[path->depth - 1];
    const struct fb_driver *drv;

    if (!fdt_get_prop(fdt, node, "compatible", &prop) ||
        (drv = fb_driver_by_compatible((const char *)prop.value, prop.len)) == NULL ||
        !fdt_node_enabled(fdt, node)) {
        return;
    }
    bool has_one = drv->setup == NULL ? out->framebuffer.source != BI_FB_NONE
                   : drv->bus         ? out->bus.driver != BI_FB_NONE
                                      : out->device.driver != BI_FB_NONE;
    memset(&f, 0, sizeof(f));
    if (has_one || drv->probe(fdt, path, &f) != KEEL_OK) {
        return;
    }
    if (drv->setup == NULL) {
        out->framebuffer = f.framebuffer;
        out->framebuffer_size = f.framebuffer_size;
    } else if (drv->bus) {
        out->bus = f.bus;
        out->bus.driver = drv->source;
    } else {
        out->device = f.device;
        out->device.driver = drv->source;
        out->fw_cfg_base = f.fw_cfg_base;
    }
}

void shim_fdt_fb_find(const struct fdt *fdt, struct fb_found *out)
{
    struct fdt_path chosen, path;
    uint32_t child;

    memset(out, 0, sizeof(*out));
    /* /chosen first, where loaders put the framebuffer they set up, then the whole tree. */
    if (fdt_find_path(fdt, "/chosen", 7, &chosen) == KEEL_OK) {
        for (bool ok = fdt_first_child(fdt, chosen.node[1], &child); ok;
             ok = fdt_next_sibling(fdt, child, &child)) {
            fdt_path_child(&path, 2, &chosen, child);
            fb_probe_node(fdt, &path, out);
        }
    }
    path.depth = 0;
    while (fdt_walk_next(fdt, &path)) {
        fb_probe_node(fdt, &path, out);
    }
}

static int chosen_u64(const struct fdt *fdt, uint32_t chosen, const char *name, uint64_t *value,
                      bool *present)
{
    struct fdt_prop prop;
    *present = fdt_get_prop(fdt, chosen, name, &prop);
    if (!*present) {
        return KEEL_OK;
    }
    return fdt_prop_u64(&prop, value);
}

static int read_chosen(const struct fdt *fdt, uint32_t chosen, const char *loader,
                       struct boot_info *bi)
{
    struct fdt_prop prop;
    int err = KEEL_OK;
    if (fdt_get_prop(fdt, chosen, "bootargs", &prop)) {
        const char *args = fdt_prop_string(&prop);
        if (args == NULL) {
            return KEEL_E_FDT_PROP;
        }
        err = shim_copy_string(bi->cmdline, sizeof(bi->cmdline), args, strlen(args),
                               KEEL_E_TOO_LONG_CMDLINE);
    }
    /* U-Boot stamps its version into /chosen of every tree it hands to an OS. */
    if (fdt_get_prop(fdt, chosen, "u-boot,version", &prop)) {
        loader = "u-boot";
    }
    if (err == KEEL_OK) {
        err = shim_copy_string(bi->loader, sizeof(bi->loader), loader, strlen(loader),
                               KEEL_E_TOO_LONG_LOADER);
    }
    if (err != KEEL_OK) {
        return err;
    }

    uint64_t start = 0, end = 0;
    bool has_start, has_end;
    err = chosen_u64(fdt, chosen, "linux,initrd-start", &start, &has_start);
    if (err == KEEL_OK) {
        err = chosen_u64(fdt, chosen, "linux,initrd-end", &end, &has_end);
    }
    if (err != KEEL_OK) {
        return err;
    }
    if (has_start != has_end || end < start) {
        return KEEL_E_FDT_INITRD;
    }
    bi->initrd_base = end > start ? start : 0;
    bi->initrd_size = end - start;
    return KEEL_OK;
}

/* One module per regular file of the initrd; the data stays where it is in memory. */
static int add_initrd_modules(const struct shim_env *env, struct boot_info *bi)
{
    const void *initrd = shim_phys_ptr(env, bi->initrd_base, bi->initrd_size);
    if (initrd == NULL) {
        return KEEL_E_INITRD_UNREACHABLE;
    }
    struct cpio_iter it;
    struct cpio_file file;
    bool found;
    cpio_iter_init(&it, initrd, (size_t)bi->initrd_size);
    for (;;) {
        int err = cpio_next_file(&it, &file, &found);
        if (err != KEEL_OK) {
            return err;
        }
        if (!found) {
            return KEEL_OK;
        }
        if (bi->module_count == BI_MODULE_MAX) {
            return KEEL_E_MODULE_TOO_MANY;
        }
        struct bi_module *m = &bi->modules[bi->module_count];
        err = shim_copy_string(m->name, sizeof(m->name), file.name, file.name_len,
                               KEEL_E_TOO_LONG_MODULE_NAME);
        if (err != KEEL_OK) {
            return err;
        }
        m->base = bi->initrd_base + file.data_offset;
        m->size = file.size;
        m->cmdline[0] = '\0';
        bi->module_count++;
    }
}

int shim_fdt_devices(const struct fdt *fdt, struct boot_info *bi, struct fb_found *fbs)
{
    int err = fdt_cpus_scan(fdt, bi); /* boot/fdt_cpus.c */
    if (err != KEEL_OK) {
        return err;
    }
    /* Framebuffer devices through drivers/fb/'s table: recorded here, set up by the kernel. */
    shim_fdt_fb_find(fdt, fbs);
    bi->framebuffer = fbs->framebuffer;
    bi->framebuffer_device = fbs->device;
    bi->framebuffer_bus = fbs->bus;
    bi->fw_cfg_base = fbs->fw_cfg_base;
    /* A console the DTB names but Keel cannot drive is the console's business to report. */
    (void)board_find_console(fdt, board_lookup(fdt), &bi->console);
    return KEEL_OK;
}

int shim_fdt(const void *dtb, uint64_t dtb_pa, size_t avail, const char *loader,
             const struct shim_env *env, struct boot_info *bi)
{
    struct fdt fdt;
    struct shim_ranges rs;
    struct fdt_path chosen_path;

    shim_begin(bi, BI_PROTO_FDT, env);
    int err = fdt_init(&fdt, dtb, avail);
    if (err != KEEL_OK) {
        return err;
    }
    if (!env->dtb_unplaced) {
        bi->dtb_base = dtb_pa;
        bi->dtb_size = fdt.total_size;
        bi->info_base = dtb_pa;
        bi->info_size = fdt.total_size;
    }

    bool chosen_found = fdt_find_path(&fdt, "/chosen", 7, &chosen_path) == KEEL_OK;
    uint32_t chosen = chosen_found ? chosen_path.node[1] : 0;
    if (chosen_found) {
        err = read_chosen(&fdt, chosen, loader != NULL ? loader : "unknown", bi);
    } else {
        const char *name = loader != NULL ? loader : "unknown";
        err = shim_copy_string(bi->loader, sizeof(bi->loader), name, strlen(name),
                               KEEL_E_TOO_LONG_LOADER);
    }
    if (err != KEEL_OK) {
        return err;
    }

    shim_ranges_init(&rs);
    err = add_memory(&fdt, bi, &rs);
    if (err == KEEL_OK && bi->dtb_size != 0) {
        err = shim_add_range(&rs, dtb_pa, fdt.total_size, BI_MEM_BOOT_INFO, BI_SRC_DTB);
    }
    if (err == KEEL_OK && bi->initrd_size != 0) {
        err = shim_check_module(&rs, bi->initrd_base, bi->initrd_size);
        if (err == KEEL_OK) {
            err =
                shim_add_range(&rs, bi->initrd_base, bi->initrd_size, BI_MEM_MODULE, BI_SRC_INITRD);
        }
    }
    struct fb_found fbs;
    if (err == KEEL_OK) {
        err = shim_fdt_devices(&fdt, bi, &fbs);
    }
    if (err != KEEL_OK) {
        return err;
    }
    /* The overlap rule first: an initrd is only read once its placement is allowed. */
    err = shim_finish(&rs, env, bi);
    if (err == KEEL_OK) {
        err = check_device_windows(&fdt, bi);
    }
    if (err == KEEL_OK && bi->initrd_size != 0) {
        err = add_initrd_modules(env, bi);
    }
    return err != KEEL_OK ? err : shim_claim_framebuffer(&rs, bi, fbs.framebuffer_size);
}

/* SPDX-License-Identifier: MIT */
/* keel-bootinfo: runs Keel's boot shims on a DTB or multiboot2 blob and prints the JSON. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/crc32.h>
#include <keel/errors.h>
#include <keel/fmt.h>
#include <keel/report.h>
#include <keel/shim.h>

#include "devicetree.h"

/* Inputs larger than this are refused: no DTB, info blob or test initrd is near it. */
#define MAX_INPUT (256u << 20)

/*
 * Where a multiboot2 structure is taken to be when --info-addr is not given: a low,
 * 8-byte aligned address below any RAM the memory map reports as usable (the RSDP's
 * address in the output depends on it). A DTB gets no address unless --dtb-at says
 * where the loader put it: an invented one could cover usable RAM.
 */
#define DEFAULT_MB2_ADDR 0x10000u

/* Exit statuses: bad input as the kernel's KEEL_EXIT_BAD_INPUT; a wrong command line. */
#define EXIT_BAD_INPUT 2
#define EXIT_USAGE 64

struct blob {
    uint8_t *data;
    size_t size;
    uint64_t addr;
};

struct host_mem {
    struct blob info;
    struct blob initrd; /* data NULL without --initrd */
};

static const void *serve(const struct blob *b, uint64_t pa, uint64_t len)
{
    if (b->data == NULL || pa < b->addr) {
        return NULL;
    }
    uint64_t off = pa - b->addr;
    if (off > b->size || len > b->size - off) {
        return NULL;
    }
    return b->data + off;
}

/* The host's "physical memory": the input files at their recorded addresses. */
static const void *host_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct host_mem *mem = ctx;
    const void *p = serve(&mem->info, pa, len);
    return p != NULL ? p : serve(&mem->initrd, pa, len);
}

static void stdout_write(void *ctx, const char *buf, size_t len)
{
    fwrite(buf, 1, len, ctx);
}

static int fail(const char *msg, int status)
{
    fprintf(stderr, "keel: error: %s\n", msg);
    return status;
}

static int usage(void)
{
    fprintf(stderr, "usage: keel-bootinfo FILE [--dtb-at ADDR] [--initrd FILE [--initrd-at ADDR]]\n"
                    "                     [--info-addr ADDR]\n");
    return EXIT_USAGE;
}

/* Parses a C-style number (0x... for hex) into *v; false unless the whole word is one. */
static bool parse_addr(const char *s, uint64_t *v)
{
    char *end;

    errno = 0;
    unsigned long long n = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0' || end == s || s[0] == '-') {
        fprintf(stderr, "keel-bootinfo: bad address '%s'\n", s);
        return false;
    }
    *v = n;
    return true;
}

/*
 * A multiboot2 information structure has no magic of its own: it starts with u32
 * total_size and u32 reserved, which is 0 (Multiboot2 spec, 3.6.1), and its total size
 * fits the file. Anything that is neither that nor a DTB is refused by name.
 */
static bool looks_like_mb2(const struct blob *b)
{
    if (b->size < 8) {
        return false;
    }
    uint32_t total = (uint32_t)b->data[0] | (uint32_t)b->data[1] << 8 | (uint32_t)b->data[2] << 16 |
                     (uint32_t)b->data[3] << 24;
    uint32_t reserved = (uint32_t)b->data[4] | (uint32_t)b->data[5] << 8 |
                        (uint32_t)b->data[6] << 16 | (uint32_t)b->data[7] << 24;
    return reserved == 0 && total >= 8 && total <= b->size;
}

/* Reads a whole file into malloc'd memory, which is aligned enough for both protocols. */
static bool read_file(const char *path, struct blob *b)
{
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    size_t cap = 1 << 16;
    size_t size = 0;
    uint8_t *data = malloc(cap);
    while (data != NULL) {
        size_t got = fread(data + size, 1, cap - size, f);
        size += got;
        if (got == 0 || size > MAX_INPUT) {
            break;
        }
        if (size == cap) {
            uint8_t *bigger = realloc(data, cap * 2);
            if (bigger == NULL) {
                free(data);
                data = NULL;
                break;
            }
            data = bigger;
            cap *= 2;
        }
    }
    bool ok = data != NULL && !ferror(f) && size <= MAX_INPUT;
    fclose(f);
    if (!ok) {
        free(data);
        if (errno == 0) {
            errno = EFBIG;
        }
        return false;
    }
    b->data = data;
    b->size = size;
    return true;
}

/* The DTB's /chosen initrd start, where the --initrd file is served; false without one. */
static bool dtb_initrd_start(const struct blob *dtb, uint64_t *start)
{
    struct fdt fdt;
    struct fdt_path chosen;
    struct fdt_prop prop;
    if (fdt_init(&fdt, dtb->data, dtb->size) != KEEL_OK ||
        fdt_find_path(&fdt, "/chosen", 7, &chosen) != KEEL_OK ||
        !fdt_get_prop(&fdt, chosen.node[1], "linux,initrd-start", &prop)) {
        return false;
    }
    return fdt_prop_u64(&prop, start) == KEEL_OK;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    const char *initrd_file = NULL;
    const char *info_at = NULL, *dtb_at = NULL, *initrd_at = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--initrd") == 0 && i + 1 < argc) {
            initrd_file = argv[++i];
        } else if (strcmp(argv[i], "--info-addr") == 0 && i + 1 < argc) {
            info_at = argv[++i];
        } else if (strcmp(argv[i], "--dtb-at") == 0 && i + 1 < argc) {
            dtb_at = argv[++i];
        } else if (strcmp(argv[i], "--initrd-at") == 0 && i + 1 < argc) {
            initrd_at = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage();
        } else if (file == NULL) {
            file = argv[i];
        } else {
            return usage();
        }
    }
    if (file == NULL) {
        return usage();
    }

    static struct host_mem mem;
    static struct boot_info bi;
    char msg[512];
    if (!read_file(file, &mem.info)) {
        snprintf(msg, sizeof(msg), "cannot read %s: %s", file, strerror(errno));
        return fail(msg, 1);
    }
    bool is_dtb = mem.info.size >= 4 && mem.info.data[0] == 0xd0 && mem.info.data[1] == 0x0d &&
                  mem.info.data[2] == 0xfe && mem.info.data[3] == 0xed;
    if (!is_dtb && !looks_like_mb2(&mem.info)) {
        return fail("not a DTB or multiboot2 information structure", EXIT_BAD_INPUT);
    }
    mem.info.addr = DEFAULT_MB2_ADDR;
    if ((info_at != NULL && !parse_addr(info_at, &mem.info.addr)) ||
        (dtb_at != NULL && !parse_addr(dtb_at, &mem.info.addr))) {
        return usage();
    }
    if ((dtb_at != NULL || initrd_file != NULL) && !is_dtb) {
        fprintf(stderr, "keel-bootinfo: --dtb-at and --initrd need a DTB\n");
        return usage();
    }
    if (initrd_at != NULL && initrd_file == NULL) {
        fprintf(stderr, "keel-bootinfo: --initrd-at needs --initrd\n");
        return usage();
    }
    if (initrd_file != NULL) {
        if (!read_file(initrd_file, &mem.initrd)) {
            snprintf(msg, sizeof(msg), "cannot read %s: %s", initrd_file, strerror(errno));
            return fail(msg, 1);
        }
        /* Where the loader put it: the DTB's /chosen says so, or --initrd-at. */
        if (initrd_at != NULL ? !parse_addr(initrd_at, &mem.initrd.addr)
                              : !dtb_initrd_start(&mem.info, &mem.initrd.addr)) {
            fprintf(stderr, "keel-bootinfo: --initrd given, but the DTB names no initrd "
                            "and no --initrd-at says where it is\n");
            return usage();
        }
    }

    struct shim_env env = {
        .kernel_base = 0,
        .kernel_size = 0,
        .entry_state = 0,
        .dtb_unplaced = is_dtb && dtb_at == NULL,
        .phys_ptr = host_phys_ptr,
        .ctx = &mem,
    };
    int err;
    if (is_dtb) {
        err = shim_fdt(mem.info.data, mem.info.addr, mem.info.size, "unknown", &env, &bi);
    } else {
        err = shim_multiboot2(MB2_BOOTLOADER_MAGIC, mem.info.data, mem.info.addr, mem.info.size,
                              &env, &bi);
    }
    if (err != KEEL_OK) {
        snprintf(msg, sizeof(msg), "%s%s", keel_strerror(err), keel_err_detail());
        return fail(msg, EXIT_BAD_INPUT);
    }

    static uint32_t crcs[BI_MODULE_MAX];
    const uint32_t *crc_list = NULL;
    if (mem.initrd.data != NULL) {
        for (uint32_t i = 0; i < bi.module_count; i++) {
            const void *p = host_phys_ptr(&mem, bi.modules[i].base, bi.modules[i].size);
            crcs[i] = p != NULL ? crc32_ieee(0, p, bi.modules[i].size) : 0;
        }
        crc_list = crcs;
    }
    struct sink out = {.write = stdout_write, .ctx = stdout};
    sink_printf(&out, "{");
    bi_json_write(&out, &bi, crc_list, NULL);
    sink_printf(&out, "}\n");
    free(mem.info.data);
    free(mem.initrd.data);
    return fflush(stdout) == 0 ? 0 : 1;
}

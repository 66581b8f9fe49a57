/* SPDX-License-Identifier: MIT */
/* The multiboot2 parser and shim on captured GRUB blobs, synthetic blobs and malformed ones. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/shim.h>

#include "multiboot2.h"
#include "test_util.h"

#define INFO_PA 0x9000u
#define KERNEL_BASE 0x200000u
#define KERNEL_SIZE 0x100000u

/* A blob under construction: 8-byte aligned storage, tags appended in order. */
struct builder {
    uint64_t words[8192];
    uint32_t len;
};

static uint8_t *bytes(struct builder *b)
{
    return (uint8_t *)b->words;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* the host tests run on little-endian machines */
}

static void put_le64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void begin(struct builder *b)
{
    memset(b, 0, sizeof(*b));
    b->len = 8;
}

/* Appends a tag with `payload` of `len` bytes; returns its offset. */
static uint32_t tag(struct builder *b, uint32_t type, const void *payload, uint32_t len)
{
    uint32_t off = b->len;
    put_le32(bytes(b) + off, type);
    put_le32(bytes(b) + off + 4, 8 + len);
    if (len != 0) {
        memcpy(bytes(b) + off + 8, payload, len);
    }
    b->len = (off + 8 + len + 7) & ~7u;
    return off;
}

static void tag_string(struct builder *b, uint32_t type, const char *s)
{
    tag(b, type, s, (uint32_t)strlen(s) + 1);
}

static void tag_module(struct builder *b, uint32_t start, uint32_t end, const char *cmdline)
{
    uint8_t p[8 + BI_MOD_CMDLINE_MAX + BI_NAME_MAX + 64];
    put_le32(p, start);
    put_le32(p + 4, end);
    size_t n = strlen(cmdline) + 1;
    memcpy(p + 8, cmdline, n);
    tag(b, MB2_TAG_MODULE, p, (uint32_t)(8 + n));
}

struct e820 {
    uint64_t base, len;
    uint32_t type;
};

static void tag_mmap(struct builder *b, const struct e820 *e, unsigned count, uint32_t esize)
{
    uint8_t p[4096];
    memset(p, 0, sizeof(p));
    put_le32(p, esize);
    put_le32(p + 4, 0);
    for (unsigned i = 0; i < count; i++) {
        put_le64(p + 8 + i * esize, e[i].base);
        put_le64(p + 8 + i * esize + 8, e[i].len);
        put_le32(p + 8 + i * esize + 16, e[i].type);
    }
    tag(b, MB2_TAG_MMAP, p, 8 + count * esize);
}

static void tag_rsdp_v1(struct builder *b)
{
    uint8_t r[20];
    memset(r, 0, sizeof(r));
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "KEELTS", 6);
    put_le32(r + 16, 0x7fe0000);
    uint8_t sum = 0;
    for (int i = 0; i < 20; i++) {
        sum = (uint8_t)(sum + r[i]);
    }
    r[8] = (uint8_t)(0x100 - sum);
    tag(b, MB2_TAG_ACPI_OLD, r, sizeof(r));
}

static void tag_fb(struct builder *b, uint8_t type)
{
    uint8_t p[32];
    memset(p, 0, sizeof(p));
    put_le64(p, 0xfd000000);
    put_le32(p + 8, 4096);
    put_le32(p + 12, 1024);
    put_le32(p + 16, 768);
    p[20] = 32;
    p[21] = type;
    p[24] = 16;
    p[25] = 8;
    p[26] = 8;
    p[27] = 8;
    p[28] = 0;
    p[29] = 8;
    tag(b, MB2_TAG_FRAMEBUFFER, p, type == MB2_FB_TYPE_RGB ? 30 : 24);
}

static void end(struct builder *b)
{
    tag(b, MB2_TAG_END, NULL, 0);
    put_le32(bytes(b), b->len);
}

static const struct e820 qemu_map[] = {
    {0x0, 0x9fc00, 1},         {0x9fc00, 0x400, 2},      {0xf0000, 0x10000, 2},
    {0x100000, 0x1fee0000, 1}, {0x1ffe0000, 0x20000, 2}, {0xfeffc000, 0x4000, 2},
    {0xfffc0000, 0x40000, 2},
};

static void standard(struct builder *b)
{
    begin(b);
    tag_string(b, MB2_TAG_CMDLINE, "keel.test=1 console=ttyS0");
    tag_string(b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1");
    tag_module(b, 0x400000, 0x401000, "/boot/hello.txt hello.txt arg=1");
    tag_module(b, 0x402000, 0x402800, "");
    tag_mmap(b, qemu_map, 7, 24);
    tag_fb(b, MB2_FB_TYPE_RGB);
    tag_rsdp_v1(b);
    end(b);
}

static struct boot_info bi;

static int run_shim(const void *blob, size_t len, uint64_t pa, uint64_t kernel_size)
{
    struct test_blob mem = {blob, len, pa};
    struct shim_env env = {
        .kernel_base = KERNEL_BASE,
        .kernel_size = kernel_size,
        .entry_state = 1,
        .phys_ptr = test_blob_ptr,
        .ctx = &mem,
    };
    return shim_multiboot2(MB2_BOOTLOADER_MAGIC, blob, pa, len, &env, &bi);
}

static const struct bi_mem_range *find_range(uint32_t type)
{
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        if (bi.mem[i].type == type) {
            return &bi.mem[i];
        }
    }
    return NULL;
}

static void synthetic_ok(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    standard(b);
    CHECK_ERR(run_shim(bytes(b), b->len, INFO_PA, KERNEL_SIZE), KEEL_OK);
    CHECK(bi.protocol == BI_PROTO_MULTIBOOT2);
    CHECK(bi.entry_state == 1);
    CHECK(strcmp(bi.loader, "GRUB 2.06-13+deb12u1") == 0);
    CHECK(strcmp(bi.cmdline, "keel.test=1 console=ttyS0") == 0);
    CHECK(bi.info_base == INFO_PA && bi.info_size == b->len);
    CHECK(bi.module_count == 2);
    CHECK(strcmp(bi.modules[0].name, "hello.txt") == 0);
    CHECK(strcmp(bi.modules[0].cmdline, "hello.txt arg=1") == 0);
    CHECK(bi.modules[0].base == 0x400000 && bi.modules[0].size == 0x1000);
    CHECK(strcmp(bi.modules[1].name, "module1") == 0 && bi.modules[1].cmdline[0] == '\0');
    CHECK(bi.framebuffer.source == BI_FB_MULTIBOOT2 && bi.framebuffer.width == 1024 &&
          bi.framebuffer.bpp == 32 && bi.framebuffer.red_pos == 16);
    CHECK(bi.rsdp != 0 && bi.rsdp > INFO_PA && bi.rsdp < INFO_PA + b->len);
    CHECK(bi.rsdp_revision == 0);
    /* The RSDT is not reachable through this phys_ptr: only the boot CPU is counted. */
    CHECK(bi.cpu_count == 1 && bi.cpus[0].id == 0 && bi.boot_cpu == 0 && bi.cpu_error == 0);
    const struct bi_mem_range *k = find_range(BI_MEM_KERNEL);
    CHECK(k != NULL && k->base == KERNEL_BASE && k->size == KERNEL_SIZE);
    const struct bi_mem_range *info = find_range(BI_MEM_BOOT_INFO);
    CHECK(info != NULL && info->base == INFO_PA && info->source == BI_SRC_MB2_INFO);
    const struct bi_mem_range *mod = find_range(BI_MEM_MODULE);
    CHECK(mod != NULL && mod->base == 0x400000 && mod->source == BI_SRC_MB2_MODULE);
    const struct bi_mem_range *fb = find_range(BI_MEM_FRAMEBUFFER);
    CHECK(fb != NULL && fb->base == 0xfd000000 && fb->size == 4096u * 768u);
    CHECK(bi.mem[0].base == 0x1000 && bi.mem[0].type == BI_MEM_USABLE);

    /* EGA text is no framebuffer; the EFI map stands in when there is no e820 map. */
    begin(b);
    tag_fb(b, MB2_FB_TYPE_EGA_TEXT);
    uint8_t efi[8 + 4 * 48];
    memset(efi, 0, sizeof(efi));
    put_le32(efi, 48);
    put_le32(efi + 4, 1);
    const uint32_t types[4] = {7, 9, 10, 11};
    const uint64_t bases[4] = {0x100000, 0x800000, 0x900000, 0xfec00000};
    for (int i = 0; i < 4; i++) {
        put_le32(efi + 8 + i * 48, types[i]);
        put_le64(efi + 8 + i * 48 + 8, bases[i]);
        put_le64(efi + 8 + i * 48 + 24, 16);
    }
    tag(b, MB2_TAG_EFI_MMAP, efi, sizeof(efi));
    end(b);
    CHECK_ERR(run_shim(bytes(b), b->len, INFO_PA, 0), KEEL_OK);
    CHECK(bi.framebuffer.source == BI_FB_NONE);
    CHECK(strcmp(bi.loader, "unknown") == 0);
    CHECK(bi.mem_count == 5);
    CHECK(bi.mem[1].base == 0x100000 && bi.mem[1].type == BI_MEM_USABLE &&
          bi.mem[1].source == BI_SRC_MB2_EFI_MMAP);
    CHECK(bi.mem[2].type == BI_MEM_ACPI_RECLAIMABLE);
    CHECK(bi.mem[3].type == BI_MEM_ACPI_NVS);
    CHECK(bi.mem[4].type == BI_MEM_RESERVED);
    free(b);
}

/* Each malformed blob must give exactly its error. */
static void expect(struct builder *b, uint32_t len, int want, const char *what)
{
    int err = run_shim(bytes(b), len, INFO_PA, KERNEL_SIZE);
    if (err != want) {
        fprintf(stderr, "case '%s'\n", what);
    }
    CHECK_ERR(err, want);
}

static void malformed(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    struct mb2_info mb;

    standard(b);
    struct shim_env env = {.phys_ptr = NULL};
    CHECK_ERR(shim_multiboot2(0x2badb002, bytes(b), INFO_PA, b->len, &env, &bi), KEEL_E_MB2_MAGIC);
    CHECK_ERR(mb2_parse(0x2badb002, bytes(b), b->len, &mb), KEEL_E_MB2_MAGIC);
    CHECK_ERR(mb2_parse(MB2_BOOTLOADER_MAGIC, bytes(b) + 4, b->len - 4, &mb), KEEL_E_MB2_ALIGN);
    CHECK_ERR(run_shim(bytes(b), b->len, INFO_PA + 4, 0), KEEL_E_MB2_ALIGN);
    CHECK_ERR(mb2_parse(MB2_BOOTLOADER_MAGIC, bytes(b), 4, &mb), KEEL_E_MB2_TOTAL_SIZE);
    expect(b, b->len - 8, KEEL_E_MB2_TOTAL_SIZE, "total size > avail");
    put_le32(bytes(b), 8);
    expect(b, b->len, KEEL_E_MB2_TOTAL_SIZE, "total size 8");

    /* Total size that cuts the first tag's header in half. */
    standard(b);
    put_le32(bytes(b), 12);
    expect(b, b->len, KEEL_E_MB2_TOTAL_SIZE, "total size 12");
    standard(b);
    put_le32(bytes(b), b->len - 4);
    expect(b, b->len, KEEL_E_MB2_TAG_TRUNCATED, "end tag cut by total size");

    standard(b);
    put_le32(bytes(b) + 8 + 4, 0);
    expect(b, b->len, KEEL_E_MB2_TAG_ZERO_SIZE, "zero-size tag");
    standard(b);
    put_le32(bytes(b) + 8 + 4, 4);
    expect(b, b->len, KEEL_E_MB2_TAG_ZERO_SIZE, "tag size 4");
    standard(b);
    put_le32(bytes(b) + 8 + 4, b->len);
    expect(b, b->len, KEEL_E_MB2_TAG_OVERRUN, "tag overruns total size");

    /* No end tag: the last tag ends exactly at total_size. */
    begin(b);
    tag_string(b, MB2_TAG_CMDLINE, "x");
    tag_mmap(b, qemu_map, 7, 24);
    put_le32(bytes(b), b->len);
    expect(b, b->len, KEEL_E_MB2_NO_END_TAG, "missing end tag");

    begin(b);
    tag_mmap(b, qemu_map, 7, 20);
    end(b);
    expect(b, b->len, KEEL_E_MB2_MMAP_ENTRY_SIZE, "mmap entry size 20");
    begin(b);
    tag_mmap(b, qemu_map, 7, 28);
    end(b);
    expect(b, b->len, KEEL_E_MB2_MMAP_ENTRY_SIZE, "mmap entry size 28");
    begin(b);
    tag_mmap(b, qemu_map, 2, 0);
    end(b);
    expect(b, b->len, KEEL_E_MB2_MMAP_ENTRY_SIZE, "mmap entry size 0");
    begin(b);
    {
        uint8_t p[8 + 24 + 8];
        memset(p, 0, sizeof(p));
        put_le32(p, 24);
        tag(b, MB2_TAG_MMAP, p, sizeof(p));
    }
    end(b);
    expect(b, b->len, KEEL_E_MB2_TAG_TRUNCATED, "mmap with a partial entry");

    begin(b);
    tag(b, MB2_TAG_CMDLINE, "abc", 3);
    end(b);
    expect(b, b->len, KEEL_E_MB2_STRING, "unterminated command line");
    begin(b);
    tag(b, MB2_TAG_LOADER_NAME, NULL, 0);
    end(b);
    expect(b, b->len, KEEL_E_MB2_STRING, "empty loader name tag");
    begin(b);
    {
        uint8_t p[12] = {0};
        put_le32(p, 0x400000);
        put_le32(p + 4, 0x401000);
        memcpy(p + 8, "abcd", 4);
        tag(b, MB2_TAG_MODULE, p, sizeof(p));
    }
    end(b);
    expect(b, b->len, KEEL_E_MB2_STRING, "unterminated module string");
    begin(b);
    tag(b, MB2_TAG_MODULE, "\0\0\0\0", 4);
    end(b);
    expect(b, b->len, KEEL_E_MB2_TAG_TRUNCATED, "module tag too short");
    begin(b);
    tag_module(b, 0x401000, 0x400000, "backwards");
    tag_mmap(b, qemu_map, 7, 24);
    end(b);
    expect(b, b->len, KEEL_E_MB2_MODULE_RANGE, "module end before start");
    begin(b);
    tag(b, MB2_TAG_FRAMEBUFFER, "\0\0\0\0\0\0\0\0", 8);
    end(b);
    expect(b, b->len, KEEL_E_MB2_TAG_TRUNCATED, "framebuffer tag too short");
    begin(b);
    tag(b, MB2_TAG_ACPI_NEW, "RSD PTR \0\0\0\0\0\0\0\0\0\0\0\0", 20);
    end(b);
    expect(b, b->len, KEEL_E_MB2_TAG_TRUNCATED, "ACPI 2.0 tag with a 1.0 RSDP");

    /* Memory entries. */
    struct e820 map[3] = {{0x100000, 0x1000000, 1}, {0x2000000, 0, 1}, {0, 0, 0}};
    begin(b);
    tag_mmap(b, map, 2, 24);
    end(b);
    expect(b, b->len, KEEL_E_MEM_ZERO_SIZE, "zero-size memory entry");
    map[1].base = 0xfffffffffffff000;
    map[1].len = 0x2000;
    begin(b);
    tag_mmap(b, map, 2, 24);
    end(b);
    expect(b, b->len, KEEL_E_MEM_WRAP, "wrapping memory entry");
    /* Nothing usable; the reserved range stays clear of the kernel at KERNEL_BASE. */
    map[0] = (struct e820){0x1000000, 0x1000000, 2};
    map[1] = (struct e820){0x0, 0xa0000, 3};
    begin(b);
    tag_mmap(b, map, 2, 24);
    end(b);
    expect(b, b->len, KEEL_E_MEM_NO_USABLE, "no usable memory");
    begin(b);
    end(b);
    expect(b, b->len, KEEL_E_MEM_NO_USABLE, "no memory map at all");

    /* Modules. */
    map[0] = (struct e820){0x100000, 0x10000000, 1};
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_module(b, KERNEL_BASE + KERNEL_SIZE - 0x1000, KERNEL_BASE + KERNEL_SIZE + 0x1000, "k");
    end(b);
    expect(b, b->len, KEEL_E_MODULE_OVERLAPS_KERNEL, "module overlapping the kernel");
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_module(b, 0x20000000, 0x20001000, "high");
    end(b);
    expect(b, b->len, KEEL_E_MODULE_NOT_IN_RAM, "module outside RAM");
    /* The firmware's map says RAM and reserved for the same bytes: reserved wins, so a
     * module there would lie in no module range. Refused, as is reserved over the kernel. */
    map[1] = (struct e820){0x8000000, 0x10000, 2};
    begin(b);
    tag_mmap(b, map, 2, 24);
    tag_module(b, 0x8008000, 0x8009000, "in-reserved");
    end(b);
    expect(b, b->len, KEEL_E_OVERLAP_MODULE_RESERVED, "module inside reserved memory");
    map[1] = (struct e820){KERNEL_BASE + 0x8000, 0x1000, 2};
    begin(b);
    tag_mmap(b, map, 2, 24);
    end(b);
    expect(b, b->len, KEEL_E_OVERLAP_KERNEL_RESERVED, "reserved memory inside the kernel image");
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_module(b, 0x400000, 0x402000, "one");
    tag_module(b, 0x401000, 0x403000, "two");
    end(b);
    expect(b, b->len, KEEL_E_OVERLAP_MODULES, "two modules that share bytes");
    begin(b);
    tag_mmap(b, map, 1, 24);
    for (unsigned i = 0; i < BI_MODULE_MAX + 1; i++) {
        tag_module(b, 0x400000 + i * 0x1000, 0x401000 + i * 0x1000, "m");
    }
    end(b);
    expect(b, b->len, KEEL_E_MODULE_TOO_MANY, "BI_MODULE_MAX + 1 modules");

    /* Strings that do not fit their boot_info arrays are refused, not truncated. */
    char long_str[BI_CMDLINE_MAX + 8];
    memset(long_str, 'a', sizeof(long_str) - 1);
    long_str[sizeof(long_str) - 1] = '\0';
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_string(b, MB2_TAG_CMDLINE, long_str);
    end(b);
    expect(b, b->len, KEEL_E_TOO_LONG_CMDLINE, "command line too long");
    /* The error line says which string, how long it is and the limit. */
    char want[96];
    snprintf(want, sizeof(want), ": 'aaaaaaaaaaaaaaaaaaaaaaaa...' is %u bytes, the limit is %u",
             BI_CMDLINE_MAX + 7, BI_CMDLINE_MAX - 1);
    CHECK(strcmp(keel_err_detail(), want) == 0);
    long_str[BI_CMDLINE_MAX - 1] = '\0';
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_string(b, MB2_TAG_CMDLINE, long_str);
    end(b);
    expect(b, b->len, KEEL_OK, "command line of exactly BI_CMDLINE_MAX - 1 bytes");
    long_str[BI_MOD_CMDLINE_MAX + 44] = '\0'; /* a name of 3, then too long a command line */
    long_str[3] = ' ';
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_module(b, 0x400000, 0x401000, long_str);
    end(b);
    expect(b, b->len, KEEL_E_TOO_LONG_MODULE_ARGS, "module command line too long");
    long_str[3] = 'a';
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_module(b, 0x400000, 0x401000, long_str);
    end(b);
    expect(b, b->len, KEEL_E_TOO_LONG_MODULE_NAME, "module name too long");
    long_str[BI_LOADER_MAX] = '\0';
    begin(b);
    tag_mmap(b, map, 1, 24);
    tag_string(b, MB2_TAG_LOADER_NAME, long_str);
    end(b);
    expect(b, b->len, KEEL_E_TOO_LONG_LOADER, "loader name too long");
    free(b);
}

/* A type-17 tag: descriptors of `stride` bytes, {type, base, pages} each. */
struct efi_desc {
    uint32_t type;
    uint64_t base, pages;
};

static void tag_efi_mmap(struct builder *b, const struct efi_desc *d, unsigned count,
                         uint32_t stride, uint32_t version)
{
    static uint8_t p[8 + 64 * 64];
    memset(p, 0, sizeof(p));
    put_le32(p, stride);
    put_le32(p + 4, version);
    for (unsigned i = 0; i < count; i++) {
        put_le32(p + 8 + i * stride, d[i].type);
        put_le64(p + 8 + i * stride + 8, d[i].base);
        put_le64(p + 8 + i * stride + 24, d[i].pages);
    }
    tag(b, MB2_TAG_EFI_MMAP, p, 8 + count * stride);
}

/* GRUB EFI: the firmware's map wins over the e820 one; the loader's memory holds modules. */
static void efi_map(void)
{
    struct builder *b = calloc(1, sizeof(*b));
    /* Loader data holds the info and a module, as GRUB EFI lays them out; the kernel image
     * lies in loader data too; runtime data sits above. */
    const struct efi_desc d[] = {
        {3, 0x0, 1},           {2, 0x1000, 0x3ff},   {7, 0x400000, 0x100}, {2, 0x500000, 0x100},
        {7, 0x600000, 0x1000}, {6, 0x1600000, 0x10}, {5, 0x1610000, 0x10},
    };
    const struct e820 e[] = {{0x0, 0x20000000, 1}};
    begin(b);
    tag_mmap(b, e, 1, 24);
    tag_efi_mmap(b, d, 7, 48, 1);
    tag_module(b, 0x5000, 0x6000, "m.bin m=1");
    uint64_t st = 0x1f5eb018;
    tag(b, MB2_TAG_EFI64, &st, 8);
    end(b);
    CHECK_ERR(run_shim(bytes(b), b->len, INFO_PA, KERNEL_SIZE), KEEL_OK);
    CHECK(bi.efi.system_table == 0x1f5eb018);
    const struct bi_mem_range *rt = find_range(BI_MEM_EFI_RUNTIME);
    CHECK(rt != NULL && rt->base == 0x1600000 && rt->size == 0x20000 &&
          rt->source == BI_SRC_MB2_EFI_MMAP);
    const struct bi_mem_range *ldr = find_range(BI_MEM_BOOTLOADER_RECLAIMABLE);
    CHECK(ldr != NULL && ldr->base == 0x1000 && ldr->size == 0x4000);
    const struct bi_mem_range *mod = find_range(BI_MEM_MODULE);
    CHECK(mod != NULL && mod->base == 0x5000 && mod->size == 0x1000);
    const struct bi_mem_range *k = find_range(BI_MEM_KERNEL);
    CHECK(k != NULL && k->base == KERNEL_BASE && k->size == KERNEL_SIZE);
    CHECK(bi.mem[bi.mem_count - 1].base + bi.mem[bi.mem_count - 1].size == 0x1620000);

    /* Each bad map gives the EFI parser's own error through the shim. */
    struct {
        uint32_t stride, version;
        unsigned count;
        int err;
        const char *what;
    } bad[] = {
        {32, 1, 7, KEEL_E_EFI_DESC_SIZE, "descriptor size 32"},
        {44, 1, 7, KEEL_E_EFI_DESC_SIZE, "descriptor size 44"},
        {48, 2, 7, KEEL_E_EFI_DESC_VERSION, "descriptor version 2"},
        {48, 1, 0, KEEL_E_EFI_MAP_EMPTY, "no descriptors"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        begin(b);
        tag_efi_mmap(b, d, bad[i].count, bad[i].stride, bad[i].version);
        end(b);
        expect(b, b->len, bad[i].err, bad[i].what);
    }
    begin(b);
    tag_efi_mmap(b, d, 7, 48, 1);
    put_le32(bytes(b) + 8 + 4, 16 + 7 * 48 - 8); /* the tag's size cuts the last descriptor */
    end(b);
    expect(b, b->len, KEEL_E_EFI_MAP_PARTIAL, "a partial descriptor");
    struct efi_desc o[7];
    memcpy(o, d, sizeof(o));
    o[3].base = 0x4ff000;
    begin(b);
    tag_efi_mmap(b, o, 7, 48, 1);
    end(b);
    expect(b, b->len, KEEL_E_EFI_OVERLAP, "overlapping descriptors");
    memcpy(o, d, sizeof(o));
    o[6].pages = UINT64_C(1) << 60;
    begin(b);
    tag_efi_mmap(b, o, 7, 48, 1);
    end(b);
    expect(b, b->len, KEEL_E_EFI_PAGES, "NumberOfPages overflowing");
    /* A module in runtime-services memory is not in RAM the kernel may have. */
    begin(b);
    tag_efi_mmap(b, d, 7, 48, 1);
    tag_module(b, 0x1600000, 0x1601000, "rt.bin");
    end(b);
    expect(b, b->len, KEEL_E_MODULE_NOT_IN_RAM, "module in runtime-services memory");
    /* Runtime-services memory under the kernel image. */
    memcpy(o, d, sizeof(o));
    o[1] = (struct efi_desc){2, 0x1000, 0x1ff};
    o[2] = (struct efi_desc){6, 0x200000, 0x300};
    begin(b);
    tag_efi_mmap(b, o, 7, 48, 1);
    end(b);
    expect(b, b->len, KEEL_E_OVERLAP_KERNEL_RESERVED, "runtime-services memory under the kernel");
    begin(b);
    tag(b, MB2_TAG_EFI64, &st, 4);
    end(b);
    expect(b, b->len, KEEL_E_MB2_TAG_TRUNCATED, "EFI64 tag too short");
    free(b);
}

/* Runs every fixture, then every truncation and a few thousand random bit flips of it. */
static void fixture(const char *path)
{
    size_t size;
    uint8_t *raw = test_read_file(path, &size);
    uint64_t *aligned = calloc(1, size + 8);
    uint8_t *blob = (uint8_t *)aligned;
    memcpy(blob, raw, size);
    free(raw);

    CHECK_ERR(run_shim(blob, size, INFO_PA, 0), KEEL_OK);
    CHECK(bi.mem_count > 0);
    CHECK(bi.protocol == BI_PROTO_MULTIBOOT2);
    uint64_t usable = 0;
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        if (bi.mem[i].type == BI_MEM_USABLE) {
            usable += bi.mem[i].size;
        }
    }
    printf("%s: loader '%s', %u ranges, %llu MiB usable, %u modules, rsdp 0x%llx\n", path,
           bi.loader, bi.mem_count, (unsigned long long)(usable >> 20), bi.module_count,
           (unsigned long long)bi.rsdp);
    CHECK(usable > 0);
    if (strstr(path, "-efi-") != NULL) {
        /* GRUB EFI on OVMF: GOP's mode as a multiboot2 framebuffer, tags 12 and 17. */
        const struct bi_framebuffer *fb = &bi.framebuffer;
        CHECK(fb->source == BI_FB_MULTIBOOT2 && fb->base == 0xc0000000 && fb->width == 1024 &&
              fb->height == 768 && fb->pitch == 4096 && fb->bpp == 32 && fb->red_pos == 16);
        CHECK(bi.efi.system_table != 0 && bi.efi.exit_attempts == 0);
        CHECK(bi.module_count == 3 && strcmp(bi.modules[1].name, "mod-b.bin") == 0 &&
              strcmp(bi.modules[1].cmdline, "beta two") == 0 && bi.modules[1].size == 70000);
        /* The firmware's map, not GRUB's e820 one: runtime and loader memory stand out. */
        const struct bi_mem_range *rt = find_range(BI_MEM_EFI_RUNTIME);
        const struct bi_mem_range *ldr = find_range(BI_MEM_BOOTLOADER_RECLAIMABLE);
        CHECK(rt != NULL && rt->source == BI_SRC_MB2_EFI_MMAP);
        CHECK(ldr != NULL && ldr->source == BI_SRC_MB2_EFI_MMAP);
        CHECK(find_range(BI_MEM_MODULE) != NULL && find_range(BI_MEM_BOOT_INFO) != NULL);
        for (uint32_t i = 0; i < bi.mem_count; i++) {
            CHECK(bi.mem[i].source != BI_SRC_MB2_MMAP);
        }
    } else if (strstr(path, "-fb-") != NULL) {
        /* GRUB's VBE mode on QEMU's std VGA, as the image's header asks for it. */
        const struct bi_framebuffer *fb = &bi.framebuffer;
        CHECK(fb->source == BI_FB_MULTIBOOT2 && fb->base == 0xfd000000 && fb->width == 1024 &&
              fb->height == 768 && fb->pitch == 4096 && fb->bpp == 32);
        CHECK(fb->red_pos == 16 && fb->red_size == 8 && fb->green_pos == 8 && fb->green_size == 8 &&
              fb->blue_pos == 0 && fb->blue_size == 8);
        CHECK(bi.framebuffer_error == KEEL_OK);
    } else {
        /* The older fixtures come from an image that asked for no mode: EGA text. */
        CHECK(bi.framebuffer.source == BI_FB_NONE);
        CHECK(bi.efi.system_table == 0);
    }

    struct mb2_info mb;
    for (size_t len = 0; len < size; len++) {
        CHECK(mb2_parse(MB2_BOOTLOADER_MAGIC, blob, len, &mb) != KEEL_OK);
    }
    uint8_t *copy = calloc(1, size + 8);
    uint64_t seed = 0x1234 + size;
    for (int i = 0; i < 3000; i++) {
        memcpy(copy, blob, size);
        copy[test_rand(&seed) % size] ^= (uint8_t)(1u << (test_rand(&seed) % 8));
        (void)run_shim(copy, size, INFO_PA, 0);
    }
    free(copy);
    free(aligned);
}

static int fixtures(const char *dir)
{
    DIR *d = opendir(dir);
    int count = 0;
    if (d == NULL) {
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".bin") == 0 && strncmp(e->d_name, "mb2-", 4) == 0) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            fixture(path);
            count++;
        }
    }
    closedir(d);
    return count;
}

int main(int argc, char **argv)
{
    synthetic_ok();
    malformed();
    efi_map();
    struct builder *b = calloc(1, sizeof(*b));
    standard(b);
    int count = 0;
    if (argc > 1) {
        count = fixtures(argv[1]);
    }
    printf("%d captured fixtures\n", count);
    free(b);
    return test_finish("test_multiboot2");
}

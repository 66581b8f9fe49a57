/* SPDX-License-Identifier: MIT */
/*
 * The UEFI shim on a handoff as Keel's EFI entry lays it out: OVMF's real memory map (from
 * the GRUB EFI fixture), QEMU's real ACPI tables, a GOP mode, modules; then every bad part.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/efi.h>
#include <keel/errors.h>
#include <keel/fb_check.h>
#include <keel/shim.h>

#include "multiboot2.h"
#include "test_util.h"

/*
 * Fake physical memory: an arena where the entry's buffers and the modules lie (in
 * OVMF's 512 MiB map this is loader code, GRUB's heap there: RAM the loader took), and
 * the ACPI tables at 0xe0000 as tools/capture-acpi.py laid them out.
 */
#define ARENA_PA UINT64_C(0x14810000)
#define ARENA_SIZE 0x80000u
#define HANDOFF_OFF 0x0u
#define MAP_OFF 0x1000u
#define MODS_OFF 0x40000u
#define STR_OFF 0x41000u
#define DATA_OFF 0x50000u
#define ACPI_PA 0xe0000u
#define KERNEL_BASE 0x200000u
#define KERNEL_SIZE 0xb2000u

static uint8_t *arena;
static const uint8_t *acpi;
static size_t acpi_size;
static uint8_t *ovmf_map;
static uint64_t ovmf_map_size;
static struct boot_info bi;

static const void *phys(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    struct test_blob a = {arena, ARENA_SIZE, ARENA_PA};
    struct test_blob t = {acpi, acpi_size, ACPI_PA};
    const void *p = test_blob_ptr(&a, pa, len);
    return p != NULL ? p : test_blob_ptr(&t, pa, len);
}

static struct efi_handoff *handoff(void)
{
    return (struct efi_handoff *)(arena + HANDOFF_OFF);
}

static uint64_t put_string(uint32_t *str_off, const char *s)
{
    uint64_t pa = ARENA_PA + *str_off;
    memcpy(arena + *str_off, s, strlen(s));
    *str_off += (uint32_t)strlen(s) + 1;
    return pa;
}

/* The handoff of a good boot: three modules, a command line, GOP BGRX 1024x768. */
static void good_handoff(void)
{
    memset(arena, 0, ARENA_SIZE);
    struct efi_handoff *h = handoff();
    h->magic = EFI_HANDOFF_MAGIC;
    h->system_table = 0x1f5eb018;
    h->firmware_revision = 0x10000;
    h->exit_attempts = 2;
    strcpy(h->vendor, "EDK II");
    memcpy(arena + MAP_OFF, ovmf_map, ovmf_map_size);
    h->memmap_pa = ARENA_PA + MAP_OFF;
    h->memmap_size = ovmf_map_size;
    h->descriptor_size = 48;
    h->descriptor_version = 1;

    uint32_t str = STR_OFF;
    const char *cmdline = "console=ttyS0 keel-test";
    h->cmdline_pa = put_string(&str, cmdline);
    h->cmdline_len = strlen(cmdline);
    static const struct {
        const char *name, *args;
        uint64_t size;
    } mods[] = {{"alpha.bin", "a=1", 1000}, {"beta.txt", "", 65539}, {"gamma.dat", "g h", 4096}};
    struct efi_handoff_module *m = (struct efi_handoff_module *)(arena + MODS_OFF);
    uint64_t data = ARENA_PA + DATA_OFF;
    for (unsigned i = 0; i < 3; i++) {
        m[i].base = data;
        m[i].size = mods[i].size;
        data += (mods[i].size + 0xfff) & ~UINT64_C(0xfff);
        m[i].name_pa = put_string(&str, mods[i].name);
        m[i].name_len = strlen(mods[i].name);
        m[i].args_pa = mods[i].args[0] != '\0' ? put_string(&str, mods[i].args) : 0;
        m[i].args_len = strlen(mods[i].args);
    }
    h->module_count = 3;
    h->modules_pa = ARENA_PA + MODS_OFF;
    h->rsdp = ACPI_PA;
    h->rsdp_revision_hint = 2;
    h->gop_present = 1;
    h->gop_info = (struct efi_gop_mode_info){
        .horizontal_resolution = 1024,
        .vertical_resolution = 768,
        .pixel_format = EFI_PIXEL_BGR_RESERVED_8,
        .pixels_per_scan_line = 1024,
    };
    h->gop_base = 0x80000000;
    h->gop_size = 0x300000;
}

static int run(uint64_t kernel_base, uint64_t kernel_size)
{
    struct shim_env env = {
        .kernel_base = kernel_base,
        .kernel_size = kernel_size,
        .entry_state = BI_X86_LONG64,
        .phys_ptr = phys,
    };
    return shim_uefi(handoff(), ARENA_PA + HANDOFF_OFF, &env, &bi);
}

/* The normalised range that holds [base, base + size), or NULL. */
static const struct bi_mem_range *range_at(uint64_t base, uint64_t size)
{
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        const struct bi_mem_range *r = &bi.mem[i];
        if (r->base <= base && base + size <= r->base + r->size) {
            return r;
        }
    }
    return NULL;
}

static void good_boot(void)
{
    good_handoff();
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_OK);
    CHECK(bi.protocol == BI_PROTO_UEFI && bi.entry_state == BI_X86_LONG64);
    CHECK(bi.version == BOOT_INFO_VERSION && strcmp(bi.loader, "EDK II") == 0);
    CHECK(strcmp(bi.cmdline, "console=ttyS0 keel-test") == 0);
    CHECK(bi.efi.system_table == 0x1f5eb018 && bi.efi.exit_attempts == 2);
    CHECK(bi.info_base == ARENA_PA && bi.info_size == sizeof(struct efi_handoff));
    CHECK(bi.module_count == 3);
    CHECK(strcmp(bi.modules[0].name, "alpha.bin") == 0 &&
          strcmp(bi.modules[0].cmdline, "a=1") == 0);
    CHECK(strcmp(bi.modules[1].name, "beta.txt") == 0 && bi.modules[1].cmdline[0] == '\0');
    CHECK(bi.modules[1].size == 65539 && bi.modules[2].base == ARENA_PA + DATA_OFF + 0x12000);
    for (uint32_t i = 0; i < bi.module_count; i++) {
        const struct bi_mem_range *r = range_at(bi.modules[i].base, bi.modules[i].size);
        CHECK(r != NULL && r->type == BI_MEM_MODULE && r->source == BI_SRC_EFI_MODULE);
    }
    const struct bi_mem_range *r = range_at(ARENA_PA, sizeof(struct efi_handoff));
    CHECK(r != NULL && r->type == BI_MEM_BOOT_INFO && r->source == BI_SRC_EFI_HANDOFF);
    r = range_at(ARENA_PA + MAP_OFF, ovmf_map_size);
    CHECK(r != NULL && r->type == BI_MEM_BOOT_INFO);
    r = range_at(ARENA_PA + MODS_OFF, 3 * sizeof(struct efi_handoff_module));
    CHECK(r != NULL && r->type == BI_MEM_BOOT_INFO);
    /* The strings are copied: their page stays the loader's. */
    r = range_at(ARENA_PA + STR_OFF, 1);
    CHECK(r != NULL && r->type == BI_MEM_BOOTLOADER_RECLAIMABLE && r->source == BI_SRC_EFI_MMAP);
    r = range_at(KERNEL_BASE, KERNEL_SIZE);
    CHECK(r != NULL && r->type == BI_MEM_KERNEL);
    r = range_at(0x1eaa0000, 0x102000);
    CHECK(r != NULL && r->type == BI_MEM_EFI_RUNTIME && r->source == BI_SRC_EFI_MMAP);
    r = range_at(0x1f76c000, 0x12000);
    CHECK(r != NULL && r->type == BI_MEM_ACPI_RECLAIMABLE);
    r = range_at(0xffc00000, 0x400000);
    CHECK(r != NULL && r->type == BI_MEM_RESERVED);
    /* GOP's BGRX: blue in byte 0, red in byte 2. */
    const struct bi_framebuffer *fb = &bi.framebuffer;
    CHECK(fb->source == BI_FB_GOP && fb->base == 0x80000000 && fb->width == 1024 &&
          fb->height == 768 && fb->pitch == 4096 && fb->bpp == 32);
    CHECK(fb->red_pos == 16 && fb->green_pos == 8 && fb->blue_pos == 0 && fb->red_size == 8);
    r = range_at(0x80000000, 4096 * 768);
    CHECK(r != NULL && r->type == BI_MEM_FRAMEBUFFER);
    /* QEMU's q35 tables with an XSDT and two CPUs, reached through the RSDP. */
    CHECK(bi.rsdp == ACPI_PA && bi.rsdp_revision == 2);
    CHECK(bi.cpu_count == 2 && bi.cpu_method == BI_CPU_METHOD_ACPI_MADT);

    /* The handoff may be a static of the entry's, inside the image: no range of its own. */
    good_handoff();
    CHECK_ERR(run(ARENA_PA, 0x1000), KEEL_OK);
    r = range_at(ARENA_PA, sizeof(struct efi_handoff));
    CHECK(r != NULL && r->type == BI_MEM_KERNEL);
    /* No modules, no command line, no RSDP, an empty vendor. */
    good_handoff();
    handoff()->module_count = 0;
    handoff()->cmdline_len = 0;
    handoff()->rsdp = 0;
    handoff()->vendor[0] = '\0';
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_OK);
    CHECK(bi.module_count == 0 && bi.cmdline[0] == '\0' && bi.rsdp == 0 && bi.cpu_count == 1);
    CHECK(strcmp(bi.loader, "unknown") == 0);
}

/* One GOP mode: its framebuffer, or none and why; the boot goes on either way. */
static void gop_case(uint32_t format, uint32_t masks[4], uint32_t ppsl, uint64_t base,
                     uint32_t height, int want_error)
{
    good_handoff();
    struct efi_gop_mode_info *g = &handoff()->gop_info;
    g->pixel_format = format;
    g->red_mask = masks[0];
    g->green_mask = masks[1];
    g->blue_mask = masks[2];
    g->reserved_mask = masks[3];
    g->pixels_per_scan_line = ppsl;
    g->vertical_resolution = height;
    handoff()->gop_base = base;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_OK);
    CHECK_ERR((int)bi.framebuffer_error, want_error);
    CHECK((bi.framebuffer.source == BI_FB_GOP) ==
          (want_error == KEEL_OK && format != EFI_PIXEL_BLT_ONLY));
}

static void gop(void)
{
    uint32_t none[4] = {0, 0, 0, 0};
    /* RGBX: red in byte 0. */
    gop_case(EFI_PIXEL_RGB_RESERVED_8, none, 1024, 0x80000000, 768, KEEL_OK);
    CHECK(bi.framebuffer.red_pos == 0 && bi.framebuffer.blue_pos == 16 && bi.framebuffer.bpp == 32);
    /* A padded scanline: the pitch is PixelsPerScanLine x 4. */
    gop_case(EFI_PIXEL_BGR_RESERVED_8, none, 1280, 0x80000000, 768, KEEL_OK);
    CHECK(bi.framebuffer.pitch == 5120 && bi.framebuffer.width == 1024);
    /* PixelBitMask, 24 bits packed: bpp and the fields from the masks. */
    uint32_t packed[4] = {0xff0000, 0xff00, 0xff, 0};
    gop_case(EFI_PIXEL_BIT_MASK, packed, 1024, 0x80000000, 768, KEEL_OK);
    CHECK(bi.framebuffer.bpp == 24 && bi.framebuffer.pitch == 3072 &&
          bi.framebuffer.red_pos == 16 && bi.framebuffer.red_size == 8 &&
          bi.framebuffer.blue_pos == 0);
    /* PixelBitMask, x2r10g10b10: 10-bit fields, 32 bpp. */
    uint32_t deep[4] = {0x3ff00000, 0xffc00, 0x3ff, 0xc0000000};
    gop_case(EFI_PIXEL_BIT_MASK, deep, 1024, 0x80000000, 768, KEEL_OK);
    CHECK(bi.framebuffer.bpp == 32 && bi.framebuffer.green_pos == 10 &&
          bi.framebuffer.green_size == 10);
    /* BltOnly: no framebuffer, and nothing wrong. */
    gop_case(EFI_PIXEL_BLT_ONLY, none, 1024, 0, 768, KEEL_OK);
    CHECK(bi.framebuffer.source == BI_FB_NONE);
    good_handoff();
    handoff()->gop_present = 0;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_OK);
    CHECK(bi.framebuffer.source == BI_FB_NONE && bi.framebuffer_error == 0);

    /* Modes Keel cannot draw on: serial only, with the reason. */
    uint32_t gap[4] = {0xf0f000, 0xff00, 0xff, 0};
    gop_case(EFI_PIXEL_BIT_MASK, gap, 1024, 0x80000000, 768, KEEL_E_FB_FORMAT);
    uint32_t empty[4] = {0xff0000, 0, 0xff, 0};
    gop_case(EFI_PIXEL_BIT_MASK, empty, 1024, 0x80000000, 768, KEEL_E_FB_FORMAT);
    gop_case(4, none, 1024, 0x80000000, 768, KEEL_E_FB_FORMAT);
    /* pitch x height past 2^64 from the base, a pitch beyond 32 bits, a short scanline. */
    gop_case(EFI_PIXEL_BGR_RESERVED_8, none, 1024, UINT64_MAX - 0xfffff, 768, KEEL_E_FB_OVERFLOW);
    gop_case(EFI_PIXEL_BGR_RESERVED_8, none, 0x40000000, 0x80000000, 768, KEEL_E_FB_OVERFLOW);
    gop_case(EFI_PIXEL_BGR_RESERVED_8, none, 1000, 0x80000000, 768, KEEL_E_FB_OVERFLOW);
    /* A GOP framebuffer over usable RAM. */
    gop_case(EFI_PIXEL_BGR_RESERVED_8, none, 1024, 0x1000000, 768, KEEL_E_FB_PLACEMENT);
}

/* The good handoff with one field of module `index` set to `value`: refused with `err`. */
static void bad_module(unsigned index, size_t field, uint64_t value, int err)
{
    good_handoff();
    uint8_t *m = arena + MODS_OFF + index * sizeof(struct efi_handoff_module);
    memcpy(m + field, &value, sizeof(value));
    int got = run(KERNEL_BASE, KERNEL_SIZE);
    if (got != err) {
        fprintf(stderr, "module %u, field at %zu = 0x%llx\n", index, field,
                (unsigned long long)value);
    }
    CHECK_ERR(got, err);
}

static void bad(void)
{
    good_handoff();
    handoff()->magic ^= 1;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_EFI_HANDOFF_MAGIC);
    struct shim_env env = {.phys_ptr = phys};
    CHECK_ERR(shim_uefi(NULL, 0, &env, &bi), KEEL_E_EFI_HANDOFF_MAGIC);

    /* The memory map, by each of its rules. */
    struct {
        uint64_t desc_size, size;
        uint32_t version;
        int err;
    } maps[] = {
        {32, 0, 1, KEEL_E_EFI_DESC_SIZE},    {44, 0, 1, KEEL_E_EFI_DESC_SIZE},
        {48, 0, 2, KEEL_E_EFI_DESC_VERSION}, {48, 47, 1, KEEL_E_EFI_MAP_PARTIAL},
        {48, 1, 1, KEEL_E_EFI_MAP_EMPTY},    {48, 4097 * 48, 1, KEEL_E_EFI_MAP_TOO_MANY},
        {48, 2, 1, KEEL_E_EFI_UNREACHABLE},
    };
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        good_handoff();
        struct efi_handoff *h = handoff();
        h->descriptor_size = maps[i].desc_size;
        h->descriptor_version = maps[i].version;
        /* size: 0 keeps the real map's, 1 means none, 2 a map outside reachable memory. */
        h->memmap_size = maps[i].size == 0   ? h->memmap_size
                         : maps[i].size == 1 ? 0
                         : maps[i].size == 2 ? h->memmap_size
                                             : maps[i].size;
        if (maps[i].size == 2) {
            h->memmap_pa = 0x1000;
        }
        CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), maps[i].err);
    }
    /* Descriptors that overlap, or whose pages overflow, in the real map. */
    good_handoff();
    memcpy(arena + MAP_OFF + 5 * 48 + 8, arena + MAP_OFF + 4 * 48 + 8, 8);
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_EFI_OVERLAP);
    good_handoff();
    uint64_t pages = UINT64_C(1) << 52;
    memcpy(arena + MAP_OFF + 5 * 48 + 24, &pages, 8);
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_EFI_PAGES);

    /* Modules. */
    good_handoff();
    handoff()->module_count = BI_MODULE_MAX + 1;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_MODULE_TOO_MANY);
    good_handoff();
    handoff()->modules_pa = 0x1000;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_EFI_UNREACHABLE);
#define MOD_FIELD(f) offsetof(struct efi_handoff_module, f)
    bad_module(1, MOD_FIELD(name_pa), 0x2000, KEEL_E_EFI_UNREACHABLE);
    bad_module(2, MOD_FIELD(args_len), ARENA_SIZE, KEEL_E_EFI_UNREACHABLE);
    bad_module(0, MOD_FIELD(name_len), 0, KEEL_E_EFI_MODULE_NAME);
    bad_module(0, MOD_FIELD(name_len), BI_NAME_MAX, KEEL_E_TOO_LONG_MODULE_NAME);
    bad_module(0, MOD_FIELD(args_len), BI_MOD_CMDLINE_MAX, KEEL_E_TOO_LONG_MODULE_ARGS);
    /* Above the 512 MiB of RAM; in runtime-services data; over the kernel, another
     * module, the memory map. */
    bad_module(1, MOD_FIELD(base), 0x600000000, KEEL_E_MODULE_NOT_IN_RAM);
    bad_module(1, MOD_FIELD(base), 0x1eaa0000, KEEL_E_MODULE_NOT_IN_RAM);
    bad_module(1, MOD_FIELD(base), KERNEL_BASE + 0x1000, KEEL_E_MODULE_OVERLAPS_KERNEL);
    bad_module(1, MOD_FIELD(base), ARENA_PA + DATA_OFF, KEEL_E_OVERLAP_MODULES);
    bad_module(1, MOD_FIELD(base), ARENA_PA + MAP_OFF, KEEL_E_OVERLAP_MODULE_INFO);
#undef MOD_FIELD

    /* Strings that do not fit, and an RSDP that is not one. */
    good_handoff();
    handoff()->cmdline_len = BI_CMDLINE_MAX;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_TOO_LONG_CMDLINE);
    good_handoff();
    memset(handoff()->vendor, 'v', sizeof(handoff()->vendor));
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_TOO_LONG_LOADER);
    good_handoff();
    handoff()->rsdp = ACPI_PA + 0x100;
    CHECK_ERR(run(KERNEL_BASE, KERNEL_SIZE), KEEL_E_ACPI_RSDP);
    /* The kernel image over runtime-services memory. */
    good_handoff();
    CHECK_ERR(run(0x1eaa0000, 0x1000), KEEL_E_OVERLAP_KERNEL_RESERVED);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_shim_uefi MB2_GRUB_EFI_FIXTURE ACPI_TABLES\n");
        return 2;
    }
    /* OVMF's memory map, from GRUB EFI's tag 17. */
    size_t size;
    uint8_t *raw = test_read_file(argv[1], &size);
    uint64_t *aligned = calloc(1, size + 8);
    memcpy(aligned, raw, size);
    free(raw);
    struct mb2_info mb;
    CHECK_ERR(mb2_parse(MB2_BOOTLOADER_MAGIC, aligned, size, &mb), KEEL_OK);
    ovmf_map = (uint8_t *)mb.efi_mmap.map;
    ovmf_map_size = (uint64_t)mb.efi_mmap.count * mb.efi_mmap.desc_size;
    acpi = test_read_file(argv[2], &acpi_size);
    arena = calloc(1, ARENA_SIZE);

    good_boot();
    gop();
    bad();
    free(arena);
    free(aligned);
    return test_finish("test_shim_uefi");
}

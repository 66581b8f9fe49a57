/* SPDX-License-Identifier: MIT */
/* fb_check: each class of bad framebuffer record, and the placements it accepts. */
#include <stdint.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/fb_check.h>

#include "../test_util.h"

#define MIB (UINT64_C(1) << 20)

static struct boot_info bi;

static void add_range(uint64_t base, uint64_t size, uint32_t type)
{
    struct bi_mem_range *r = &bi.mem[bi.mem_count++];
    r->base = base;
    r->size = size;
    r->type = type;
    r->source = BI_SRC_MB2_MMAP;
}

/* A PC-like map: RAM, ACPI tables, a framebuffer range, a hole, reserved firmware. */
static void make_map(void)
{
    bi_init(&bi);
    add_range(0x1000, 0x9f000, BI_MEM_USABLE);
    add_range(0x100000, 0x100000, BI_MEM_KERNEL);
    add_range(0x200000, 0x7dd0000, BI_MEM_USABLE);
    add_range(0x7fd0000, 0x30000, BI_MEM_ACPI_RECLAIMABLE);
    add_range(0xd0000000, 16 * MIB, BI_MEM_FRAMEBUFFER);
    add_range(0xd1000000, 16 * MIB, BI_MEM_RESERVED);
    /* a hole from 0xd2000000 to 0xfd000000 */
    add_range(0xfd000000, 16 * MIB, BI_MEM_RESERVED);
    add_range(0x100000000, 0x40000000, BI_MEM_USABLE);
    bi.kernel_base = 0x100000;
    bi.kernel_size = 0x100000;
}

static struct bi_framebuffer fb_at(uint64_t base)
{
    struct bi_framebuffer fb = {0};
    fb.base = base;
    fb.width = 1024;
    fb.height = 768;
    fb.pitch = 4096;
    fb.bpp = 32;
    fb.red_pos = 16;
    fb.red_size = 8;
    fb.green_pos = 8;
    fb.green_size = 8;
    fb.blue_pos = 0;
    fb.blue_size = 8;
    fb.source = BI_FB_MULTIBOOT2;
    return fb;
}

static void test_format(void)
{
    make_map();
    struct bi_framebuffer fb = fb_at(0xd0000000);
    CHECK_ERR(fb_format_check(&fb), KEEL_OK);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);

    fb.width = 0;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_SIZE);
    fb = fb_at(0xd0000000);
    fb.height = 0;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_SIZE);

    static const uint8_t bad_bpp[] = {0, 8, 15, 16, 30, 31, 33, 64, 255};
    for (size_t i = 0; i < sizeof(bad_bpp); i++) {
        fb = fb_at(0xd0000000);
        fb.bpp = bad_bpp[i];
        CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    }

    fb = fb_at(0xd0000000); /* overlapping fields */
    fb.green_pos = 4;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    fb = fb_at(0xd0000000); /* a field of zero bits */
    fb.blue_size = 0;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    fb = fb_at(0xd0000000); /* a field past bpp */
    fb.red_pos = 25;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    fb = fb_at(0xd0000000);
    fb.red_pos = 250;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    fb = fb_at(0xd0000000); /* fits 32 bits, not 24 */
    fb.bpp = 24;
    fb.pitch = 3072;
    fb.red_pos = 24;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    fb.red_pos = 16;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(0xd0000000); /* wider than 16 bits */
    fb.red_pos = 0;
    fb.red_size = 17;
    fb.green_pos = 17;
    fb.green_size = 7;
    fb.blue_pos = 24;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_FORMAT);
    fb = fb_at(0xd0000000); /* BGR and 10-bit layouts are fine */
    fb.red_pos = 0;
    fb.blue_pos = 16;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb.red_pos = 20;
    fb.red_size = 10;
    fb.green_pos = 10;
    fb.green_size = 10;
    fb.blue_pos = 0;
    fb.blue_size = 10;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
}

static void test_overflow(void)
{
    make_map();
    struct bi_framebuffer fb = fb_at(0xd0000000);
    fb.pitch = 4095;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_OVERFLOW);
    fb.pitch = 4100; /* wider than needed is fine */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb.bpp = 24;
    fb.pitch = 3071;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_OVERFLOW);
    fb.pitch = 3072;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);

    /* width * 4 does not fit a 32-bit pitch. */
    fb = fb_at(0xd0000000);
    fb.width = 0x40000000;
    fb.pitch = 0xffffffff;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_OVERFLOW);

    /* base + pitch * height wraps past 2^64. */
    fb = fb_at(UINT64_C(0xffffffffffe00000));
    fb.height = 0x100000;
    CHECK_ERR(fb_format_check(&fb), KEEL_E_FB_OVERFLOW);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_OVERFLOW);
    /* The largest record ends below 2^64: an overflow check, not a placement check. */
    fb = fb_at(0x1000);
    fb.width = 0x3fffffff;
    fb.pitch = 0xfffffffc;
    fb.height = 0xffffffff;
    CHECK_ERR(fb_format_check(&fb), KEEL_OK);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
}

static void test_placement(void)
{
    make_map();
    struct bi_framebuffer fb;
    /* 3 MiB at 1024x768x32 */
    fb = fb_at(0xd0000000); /* inside the framebuffer range */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(0xd1000000); /* inside a reserved range */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(0xd0f00000); /* across adjacent framebuffer and reserved ranges */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(0xe0000000); /* in the hole: MMIO the map does not mention */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(0xfcd00000); /* ends exactly where the reserved range starts */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(0xfce00000); /* half in the hole, half in the reserved range */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0xd1f00000); /* half in reserved, half in the hole */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);

    fb = fb_at(0x1000000); /* usable RAM */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0x100000); /* the kernel */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0x7f00000); /* RAM into ACPI tables */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0xcff00000); /* the hole into the framebuffer range */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0xffe00000); /* the hole into RAM above 4 GiB */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0x13ff00000); /* from RAM into the hole above it */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(0); /* a null base is no framebuffer */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);

    /* Each other range type refuses it too. */
    static const uint32_t refused[] = {
        BI_MEM_USABLE, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_MEM_BOOT_INFO, BI_MEM_MODULE,
        BI_MEM_KERNEL, BI_MEM_ACPI_RECLAIMABLE,       BI_MEM_ACPI_NVS,  BI_MEM_BAD};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        make_map();
        bi.mem[4].type = refused[i];
        fb = fb_at(0xd0000000);
        CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    }

    /* Ranges boot_info names refuse it even when the map calls them framebuffer (the
     * shim's own framebuffer range wins over them in the normaliser). */
    make_map();
    fb = fb_at(0xd0000000);
    bi.kernel_base = 0xd0100000;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    make_map();
    bi.module_count = 1;
    bi.modules[0].base = 0xd02ff000;
    bi.modules[0].size = 0x2000;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    bi.modules[0].base = 0xd0300000; /* just past the end */
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    make_map();
    bi.info_base = 0xd0000000;
    bi.info_size = 0x1000;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    make_map();
    bi.initrd_base = 0xd0000000 - 0x1000;
    bi.initrd_size = 0x1001;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    make_map();
    bi.dtb_base = 0xd0000800;
    bi.dtb_size = 0x100;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    make_map();
    bi.rsdp = 0xd0000010;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);

    /* Up to 2^48 in a hole is fine; past it is not, not even partly. */
    make_map();
    uint64_t size = 4096ull * 768;
    fb = fb_at(FB_PHYS_LIMIT - size);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);
    fb = fb_at(FB_PHYS_LIMIT - size + 0x1000);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    fb = fb_at(FB_PHYS_LIMIT);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);
    bi.mem[bi.mem_count - 1].base = FB_PHYS_LIMIT; /* even inside a reserved range */
    bi.mem[bi.mem_count - 1].type = BI_MEM_RESERVED;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_FB_PLACEMENT);

    /* An empty map: everything is a hole. */
    bi_init(&bi);
    fb = fb_at(0x80000000);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);

    /* Counts beyond the arrays are a broken boot_info, not a placement. */
    make_map();
    bi.mem_count = BI_MEM_MAX + 1;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_INVALID);
    make_map();
    bi.module_count = BI_MODULE_MAX + 1;
    CHECK_ERR(fb_check(&bi, &fb), KEEL_E_INVALID);

    /* A range ending at 2^64 does not wrap the overlap arithmetic. */
    make_map();
    add_range(UINT64_C(0xfffffffffff00000), 0x100000, BI_MEM_RESERVED);
    fb = fb_at(0xe0000000);
    CHECK_ERR(fb_check(&bi, &fb), KEEL_OK);

    /* The messages say which class it was. */
    CHECK(strstr(keel_strerror(KEEL_E_FB_OVERFLOW), "framebuffer: pitch x height") != NULL);
    CHECK(strncmp(keel_strerror(KEEL_E_FB_PLACEMENT), "framebuffer:", 12) == 0);
}

int main(void)
{
    test_format();
    test_overflow();
    test_placement();
    return test_finish("fb_check");
}

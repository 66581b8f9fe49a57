/* SPDX-License-Identifier: MIT */
/* bi_reserve_framebuffer on hand-made maps, and the shim's fw_cfg and framebuffer fields. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/memmap.h>
#include <keel/shim.h>

#include "test_util.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define FB_SIZE (UINT64_C(1024) * 768 * 4) /* what ramfb asks for: 3 MiB */

static struct boot_info bi;
static struct boot_info before;

/* Builds bi->mem from raw ranges through the normaliser, as a shim would. */
static void map_of(const struct bi_mem_range *in, size_t n)
{
    size_t count = 0;
    bi_init(&bi);
    CHECK_ERR(memmap_normalise(in, n, bi.mem, BI_MEM_MAX, &count), KEEL_OK);
    bi.mem_count = (uint32_t)count;
}

static uint64_t bytes_of(uint32_t type)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        if (bi.mem[i].type == type) {
            total += bi.mem[i].size;
        }
    }
    return total;
}

static const struct bi_mem_range *range_at(uint64_t addr)
{
    for (uint32_t i = 0; i < bi.mem_count; i++) {
        if (bi.mem[i].base <= addr && addr - bi.mem[i].base < bi.mem[i].size) {
            return &bi.mem[i];
        }
    }
    return NULL;
}

/* Reserves and checks the invariants every success must keep; returns the base. */
static uint64_t reserve_ok(uint64_t size, uint64_t align)
{
    uint64_t usable = bytes_of(BI_MEM_USABLE);
    uint64_t fb_before = bytes_of(BI_MEM_FRAMEBUFFER);
    uint64_t rounded = (size + 4095) & ~UINT64_C(4095);
    uint64_t pa = 0;

    CHECK_ERR(bi_reserve_framebuffer(&bi, size, align, &pa), KEEL_OK);
    CHECK(pa % 4096 == 0 && pa + rounded <= 4 * GIB);
    CHECK(bytes_of(BI_MEM_USABLE) == usable - rounded);
    CHECK(bytes_of(BI_MEM_FRAMEBUFFER) == fb_before + rounded);
    const struct bi_mem_range *r = range_at(pa);
    CHECK(r != NULL && r->type == BI_MEM_FRAMEBUFFER && r->source == BI_SRC_FRAMEBUFFER);
    CHECK(r != NULL && r->base <= pa && pa + rounded <= r->base + r->size);
    for (uint32_t i = 1; i < bi.mem_count; i++) {
        CHECK(bi.mem[i - 1].base + bi.mem[i - 1].size <= bi.mem[i].base);
    }
    return pa;
}

/* A failure must leave boot_info exactly as it was. */
static void reserve_fails(uint64_t size, uint64_t align, int want)
{
    uint64_t pa = 0x1234;
    before = bi;
    CHECK_ERR(bi_reserve_framebuffer(&bi, size, align, &pa), want);
    CHECK(pa == 0x1234);
    CHECK(memcmp(&before, &bi, sizeof(bi)) == 0);
}

#define R(b, s, t, src)                                                                            \
    {                                                                                              \
        (b), (s), (t), (src)                                                                       \
    }

static void hand_cases(void)
{
    const uint32_t U = BI_MEM_USABLE, S = BI_SRC_FDT_MEMORY;

    /* virt with 512 MiB: the top of RAM, 2 MiB-aligned, leaves a 1 MiB usable tail. */
    struct bi_mem_range virt[] = {R(0x40000000, 512 * MIB, U, S),
                                  R(0x40000000, 0x100000, BI_MEM_BOOT_INFO, BI_SRC_DTB),
                                  R(0x40200000, 0x200000, BI_MEM_KERNEL, BI_SRC_KERNEL)};
    map_of(virt, 3);
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x5fc00000);
    CHECK(range_at(0x5fbfffff)->type == U && range_at(0x5ff00000)->type == U);
    CHECK(range_at(0x5ff00000)->base == 0x5ff00000 && range_at(0x5ff00000)->size == MIB);
    /* A second one goes below the first. */
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x5f800000);

    /* Page alignment only: the block ends at the top of the range. */
    map_of(virt, 3);
    CHECK(reserve_ok(FB_SIZE, 4096) == 0x60000000 - FB_SIZE);
    map_of(virt, 3);
    CHECK(reserve_ok(FB_SIZE, 0) == 0x60000000 - FB_SIZE);
    /* Sizes round up to whole pages. */
    map_of(virt, 3);
    CHECK(reserve_ok(5000, 4096) == 0x60000000 - 0x2000);

    /* The highest range below 4 GiB wins; RAM above 4 GiB is never used. */
    struct bi_mem_range two[] = {R(0x40000000, GIB, U, S), R(0x100000000, 4 * GIB, U, S)};
    map_of(two, 2);
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x7fc00000);

    /* A range that crosses 4 GiB is cut there. */
    struct bi_mem_range cross[] = {R(0x80000000, 4 * GIB, U, S)};
    map_of(cross, 1);
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0xffc00000);

    /* A higher range that is too small is passed over. */
    struct bi_mem_range small_top[] = {R(0x40000000, 256 * MIB, U, S), R(0xf0000000, MIB, U, S)};
    map_of(small_top, 2);
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x4fc00000);
    CHECK(range_at(0xf0000000)->type == U);

    /* 2 MiB alignment fits nowhere: page alignment in the one range that has room. */
    struct bi_mem_range tight[] = {R(0x40001000, FB_SIZE + 0x1000, U, S)};
    map_of(tight, 1);
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x40002000);

    /* 2 MiB alignment is preferred to height: a lower range that allows it wins. */
    struct bi_mem_range prefer[] = {R(0x40000000, 64 * MIB, U, S),
                                    R(0x90001000, FB_SIZE + 0x1000, U, S)};
    map_of(prefer, 2);
    CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x43c00000);

    /* Exactly the size of a range: the whole range changes type. */
    struct bi_mem_range exact[] = {R(0x40000000, 16 * MIB, U, S),
                                   R(0x41000000, 0x1000, BI_MEM_RESERVED, S),
                                   R(0x41001000, FB_SIZE, U, S)};
    map_of(exact, 3);
    CHECK(reserve_ok(FB_SIZE, 4096) == 0x41001000);
    CHECK(bi.mem_count == 3 && bi.mem[2].type == BI_MEM_FRAMEBUFFER && bi.mem[2].size == FB_SIZE);

    /* Only non-usable memory or usable memory above 4 GiB: no room. */
    struct bi_mem_range high[] = {R(0x100000000, 4 * GIB, U, S),
                                  R(0x40000000, 64 * MIB, BI_MEM_RESERVED, S)};
    map_of(high, 2);
    reserve_fails(FB_SIZE, 2 * MIB, KEEL_E_FB_NO_ROOM);
    map_of(virt, 3);
    reserve_fails(GIB, 2 * MIB, KEEL_E_FB_NO_ROOM);

    /* Bad arguments. */
    map_of(virt, 3);
    reserve_fails(0, 2 * MIB, KEEL_E_INVALID);
    reserve_fails(FB_SIZE, 3 * MIB, KEEL_E_INVALID);
    reserve_fails(5 * GIB, 2 * MIB, KEEL_E_INVALID);

    /* A full map: splitting a range needs one entry more than there is. */
    static struct bi_mem_range full[BI_MEM_MAX];
    for (uint32_t i = 0; i < BI_MEM_MAX; i++) {
        uint64_t base = 0x40000000 + (uint64_t)i * 8 * MIB;
        full[i] = (struct bi_mem_range)R(base, 8 * MIB, i % 2 == 0 ? U : BI_MEM_RESERVED, S);
    }
    map_of(full, BI_MEM_MAX);
    CHECK(bi.mem_count == BI_MEM_MAX);
    reserve_fails(FB_SIZE, 2 * MIB, KEEL_E_MEM_TOO_MANY);
}

/* Every 4 KiB-multiple size and several alignments on a map with holes. */
static void sweep(void)
{
    const uint32_t U = BI_MEM_USABLE, S = BI_SRC_MB2_MMAP;
    struct bi_mem_range holes[] = {R(0x1000, 0x9f000, U, S), R(0x100000, 0x3ff00000, U, S),
                                   R(0x3fe00000, 0x200000, BI_MEM_ACPI_NVS, S),
                                   R(0xfec00000, 0x1000, BI_MEM_RESERVED, S),
                                   R(0x100000000, GIB, U, S)};
    uint64_t state = 0x6b65656c;
    for (int n = 0; n < 500; n++) {
        uint64_t size = 1 + test_rand(&state) % (64 * MIB);
        uint64_t align = UINT64_C(1) << (test_rand(&state) % 24);
        map_of(holes, 5);
        uint64_t pa = reserve_ok(size, align);
        if (align >= 4096) {
            CHECK(pa % align == 0); /* a 1 GiB range below the hole always allows it */
        }
    }
}

/* shim_fdt with the DTB at DTB_PA and nothing else reachable. */
#define DTB_PA 0x44000000u

struct host_mem {
    const uint8_t *dtb;
    size_t len;
};

static const void *host_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    const struct host_mem *m = ctx;
    if (pa >= DTB_PA && pa - DTB_PA <= m->len && len <= m->len - (pa - DTB_PA)) {
        return m->dtb + (pa - DTB_PA);
    }
    return NULL;
}

static void shim(const char *path)
{
    size_t len;
    uint8_t *dtb = test_read_file(path, &len);
    struct host_mem mem = {dtb, len};
    struct shim_env env = {
        .kernel_base = 0x40200000,
        .kernel_size = 0x200000,
        .entry_state = 1,
        .phys_ptr = host_phys_ptr,
        .ctx = &mem,
    };
    CHECK_ERR(shim_fdt(dtb, DTB_PA, len, "qemu", &env, &bi), KEEL_OK);

    if (strstr(path, "fwcfg.dtb") != NULL) {
        CHECK(bi.fw_cfg_base == 0x9020000);
        CHECK(bi.console.kind == BI_CONSOLE_PL011 && bi.console.base == 0x9000000);
        const struct bi_framebuffer *fb = &bi.framebuffer;
        CHECK(fb->source == BI_FB_SIMPLE_FRAMEBUFFER && fb->base == 0x5f800000);
        CHECK(fb->width == 800 && fb->height == 600 && fb->pitch == 3200 && fb->bpp == 32);
        CHECK(fb->red_pos == 16 && fb->green_pos == 8 && fb->blue_pos == 0);
        CHECK(fb->red_size == 8 && fb->green_size == 8 && fb->blue_size == 8);
        /* The /reserved-memory region holding the pixels outranks the framebuffer type. */
        const struct bi_mem_range *r = range_at(0x5f800000);
        CHECK(r != NULL && r->type == BI_MEM_RESERVED && r->size == 0x300000);
        /* Keel's own block: above the reserved one, in the 5 MiB of usable RAM left on top. */
        CHECK(reserve_ok(FB_SIZE, 2 * MIB) == 0x5fc00000);
    } else if (strstr(path, "virt-") != NULL) {
        /* QEMU's virt board: fw-cfg@9020000, reg 0x18 bytes (with the DMA register). */
        CHECK(bi.fw_cfg_base == 0x9020000);
        CHECK(bi.framebuffer.source == BI_FB_NONE);
        uint64_t pa = reserve_ok(FB_SIZE, 2 * MIB);
        /* RAM starts at 1 GiB: the top of it below 4 GiB, 2 MiB-aligned, 1 MiB left above. */
        uint64_t ram = test_qemu_dtb_ram(path);
        uint64_t top = GIB + ram < 4 * GIB ? GIB + ram : 4 * GIB;
        CHECK(pa == ((top - FB_SIZE) & ~(2 * MIB - 1)));
    } else {
        CHECK(bi.fw_cfg_base == 0);
    }
    printf("%s: fw_cfg 0x%llx, framebuffer %s\n", path, (unsigned long long)bi.fw_cfg_base,
           bi_fb_source_name(bi.framebuffer.source));
    free(dtb);
}

int main(int argc, char **argv)
{
    hand_cases();
    sweep();
    for (int i = 1; i < argc; i++) {
        shim(argv[i]);
    }
    return test_finish("fb_reserve");
}

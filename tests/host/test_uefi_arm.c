/* SPDX-License-Identifier: MIT */
/*
 * The UEFI shim on what AAVMF and U-Boot's EFI really handed Keel's EFI entry (captured by
 * tools/capture-efi.py, tests/host/fixtures/README.md): their memory maps, AAVMF's ACPI
 * tables (SPCR, MADT GICC, FADT PSCI) and U-Boot's DTB configuration table; the result
 * must be the map and devices the kernel's own report of that boot gave. Then the bad
 * inputs of those readers, made from the real tables.
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
#include <keel/shim.h>

#include "acpi.h"
#include "efi_memmap.h"
#include "test_util.h"

/* Keel's image in each captured boot (the report's kernel range): the handoff and the
 * command line the EFI entry kept lie in it. */
#define KERNEL_SIZE 0xea000u

struct want_range {
    uint64_t base, size;
    uint32_t type, source;
};

/* One captured boot: its files, where Keel's image was, and what its report said. */
struct capture {
    const char *name;
    uint64_t kernel_base;
    const struct want_range *mem;
    uint32_t mem_count;
    uint32_t cpu_count;
    uint32_t cpu_method;
    uint32_t desc_count;
};

/* The reports' memory maps (NAME-report.json), as the shim alone gives them. */
static const struct want_range aavmf_512m[] = {
    {0x4000000, 0x4000000, BI_MEM_RESERVED, BI_SRC_EFI_MMAP}, /* the flash */
    {0x9010000, 0x1000, BI_MEM_RESERVED, BI_SRC_EFI_MMAP},    /* the RTC, runtime MMIO */
    {0x40000000, 0x1bd5a000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5bd5a000, 0x1000, BI_MEM_BOOT_INFO, BI_SRC_EFI_HANDOFF}, /* the memory map */
    {0x5bd5b000, 0xa5000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x5be00000, 0xea000, BI_MEM_KERNEL, BI_SRC_KERNEL},
    {0x5beea000, 0x246000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x5c130000, 0x10000, BI_MEM_ACPI_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x5c140000, 0x2f0000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x5c430000, 0x300000, BI_MEM_RESERVED, BI_SRC_EFI_MMAP}, /* GOP's framebuffer */
    {0x5c730000, 0x34d0000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5fc00000, 0x3e0000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x5ffe0000, 0x20000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
};

static const struct want_range aavmf_4g[] = {
    {0x4000000, 0x4000000, BI_MEM_RESERVED, BI_SRC_EFI_MMAP},
    {0x9010000, 0x1000, BI_MEM_RESERVED, BI_SRC_EFI_MMAP},
    {0x40000000, 0xbfd14000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0xffd14000, 0x1000, BI_MEM_BOOT_INFO, BI_SRC_EFI_HANDOFF},
    {0xffd15000, 0xeb000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0xffe00000, 0xea000, BI_MEM_KERNEL, BI_SRC_KERNEL},
    {0xffeea000, 0x116000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x100000000, 0x3c046000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x13c046000, 0xea000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x13c130000, 0x10000, BI_MEM_ACPI_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x13c140000, 0x2f0000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x13c430000, 0x300000, BI_MEM_RESERVED, BI_SRC_EFI_MMAP},
    {0x13c730000, 0x34d0000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x13fc00000, 0x3e0000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x13ffe0000, 0x20000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
};

/*
 * U-Boot's report also has the ramfb framebuffer Keel set up after the shim
 * (0x5fa00000, 3 MiB): the shim alone leaves that usable, one range with its neighbours.
 * U-Boot's DTB lies in its ACPI-reclaim range (0x47f00000), which keeps the map's type.
 */
static const struct want_range uboot_512m[] = {
    {0x40000000, 0x7f00000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x47f00000, 0x103000, BI_MEM_ACPI_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x48003000, 0x159c7000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5d9ca000, 0x1000, BI_MEM_BOOT_INFO, BI_SRC_EFI_HANDOFF},
    {0x5d9cb000, 0x35000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x5da00000, 0xea000, BI_MEM_KERNEL, BI_SRC_KERNEL},
    {0x5daea000, 0x2b6000, BI_MEM_BOOTLOADER_RECLAIMABLE, BI_SRC_EFI_MMAP},
    {0x5dda0000, 0x5000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5dda5000, 0x2000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x5dda7000, 0x1000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5dda8000, 0x2000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x5ddaa000, 0x1000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5ddab000, 0x4000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x5ddaf000, 0x2141000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
    {0x5fef0000, 0x10000, BI_MEM_EFI_RUNTIME, BI_SRC_EFI_MMAP},
    {0x5ff00000, 0x100000, BI_MEM_USABLE, BI_SRC_EFI_MMAP},
};

#define COUNT(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static const struct capture captures[] = {
    {"aarch64-uefi-512m-smp1", 0x5be00000, aavmf_512m, COUNT(aavmf_512m), 1, BI_CPU_METHOD_PSCI,
     28},
    {"aarch64-uefi-4g-smp4", 0xffe00000, aavmf_4g, COUNT(aavmf_4g), 4, BI_CPU_METHOD_PSCI, 32},
    /* QEMU's DTB names enable-method "psci" only with more than one CPU. */
    {"aarch64-uboot-efi-512m-smp1", 0x5da00000, uboot_512m, COUNT(uboot_512m), 1,
     BI_CPU_METHOD_NONE, 15},
};

/* The captured boot being run: its files, as physical memory at their addresses. */
static struct efi_handoff handoff;
static uint8_t *memmap, *acpi, *dtb, *kernel;
static size_t memmap_size, acpi_size, dtb_size;
static uint64_t kernel_base, memmap_pa, acpi_pa, dtb_pa; /* where the capture found them */
static struct boot_info bi;

static const void *phys(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    struct test_blob blobs[] = {
        {memmap, memmap_size, memmap_pa},
        {acpi, acpi_size, acpi_pa},
        {dtb, dtb_size, dtb_pa},
        {kernel, KERNEL_SIZE, kernel_base},
    };
    for (unsigned i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++) {
        const void *p = blobs[i].data != NULL ? test_blob_ptr(&blobs[i], pa, len) : NULL;
        if (p != NULL) {
            return p;
        }
    }
    return NULL;
}

static uint8_t *read_fixture(const char *dir, const char *name, const char *suffix, size_t *size,
                             bool required)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s-%s", dir, name, suffix);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (required) {
            perror(path);
            exit(2);
        }
        *size = 0;
        return NULL;
    }
    fclose(f);
    return test_read_file(path, size);
}

static void load(const char *dir, const struct capture *c)
{
    size_t size;
    uint8_t *h = read_fixture(dir, c->name, "handoff.bin", &size, true);
    if (size != sizeof(handoff)) {
        fprintf(stderr, "%s: the handoff is %zu bytes, struct efi_handoff %zu\n", c->name, size,
                sizeof(handoff));
        exit(2);
    }
    memcpy(&handoff, h, sizeof(handoff));
    free(h);
    free(memmap);
    free(acpi);
    free(dtb);
    memmap = read_fixture(dir, c->name, "memmap.bin", &memmap_size, true);
    acpi = read_fixture(dir, c->name, "acpi.bin", &acpi_size, handoff.rsdp != 0);
    dtb = read_fixture(dir, c->name, "dtb.dtb", &dtb_size, handoff.dtb != 0);
    /* The ACPI image starts at the RSDP, the lowest of AAVMF's tables (capture-efi.py). */
    memmap_pa = handoff.memmap_pa;
    acpi_pa = handoff.rsdp;
    dtb_pa = handoff.dtb;
    CHECK(acpi == NULL || memcmp(acpi, "RSD PTR ", 8) == 0);
    /* Keel's image: only the command line the EFI entry kept there is read. */
    kernel_base = c->kernel_base;
    memset(kernel, 0, KERNEL_SIZE);
    if (handoff.cmdline_len != 0) {
        CHECK(handoff.cmdline_pa >= kernel_base &&
              handoff.cmdline_pa + handoff.cmdline_len <= kernel_base + KERNEL_SIZE);
        memcpy(kernel + (handoff.cmdline_pa - kernel_base), "keel.dump-info keel.hold",
               handoff.cmdline_len);
    }
}

static int run(void)
{
    struct shim_env env = {
        .kernel_base = kernel_base,
        .kernel_size = KERNEL_SIZE,
        .entry_state = 1,
        .phys_ptr = phys,
    };
    /* The handoff is a static of the entry's, inside the image. */
    return shim_uefi(&handoff, kernel_base + 0x4c000, &env, &bi);
}

/* The boot as captured: the report's map, CPUs, console and command line. */
static void good_boot(const struct capture *c)
{
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.protocol == BI_PROTO_UEFI && bi.entry_state == 1);
    CHECK(strcmp(bi.cmdline, "keel.dump-info keel.hold") == 0);
    CHECK(bi.mem_count == c->mem_count);
    for (uint32_t i = 0; i < c->mem_count && i < bi.mem_count; i++) {
        const struct bi_mem_range *r = &bi.mem[i];
        const struct want_range *w = &c->mem[i];
        if (r->base != w->base || r->size != w->size || r->type != w->type ||
            r->source != w->source) {
            fprintf(stderr, "%s: range %u: %#llx+%#llx type %u source %u, want %#llx+%#llx %u %u\n",
                    c->name, i, (unsigned long long)r->base, (unsigned long long)r->size, r->type,
                    r->source, (unsigned long long)w->base, (unsigned long long)w->size, w->type,
                    w->source);
            CHECK(false);
        }
    }
    CHECK(bi.cpu_count == c->cpu_count && bi.cpu_method == c->cpu_method);
    for (uint32_t i = 0; i < bi.cpu_count; i++) {
        CHECK(bi.cpus[i].id == i); /* QEMU virt's MPIDRs: Aff0 0, 1, 2, 3 */
    }
    /* Both firmwares name QEMU virt's PL011, one through SPCR, one through its DTB. */
    CHECK(bi.console.kind == BI_CONSOLE_PL011 && bi.console.base == 0x9000000);
    if (handoff.rsdp != 0) {
        CHECK(strcmp(bi.loader, "EDK II") == 0);
        CHECK(bi.rsdp == handoff.rsdp && bi.rsdp_revision == 2 && bi.dtb_base == 0);
    } else {
        CHECK(strcmp(bi.loader, "Das U-Boot") == 0);
        CHECK(bi.dtb_base == handoff.dtb && bi.dtb_size == dtb_size && bi.rsdp == 0);
        /* The DTB's /memory node gives nothing: every RAM range is the firmware map's. */
        for (uint32_t i = 0; i < bi.mem_count; i++) {
            CHECK(bi.mem[i].source != BI_SRC_FDT_MEMORY);
        }
    }

    /* The map alone: the parser takes the firmware's DescriptorSize (U-Boot's is 40). */
    struct efi_memmap m;
    CHECK_ERR(efi_memmap_parse(memmap, memmap_size, handoff.descriptor_size,
                               handoff.descriptor_version, &m),
              KEEL_OK);
    CHECK(m.count == c->desc_count);
    CHECK(handoff.descriptor_size == (handoff.rsdp != 0 ? 48u : 40u));
    /* A stride the firmware did not use breaks the map into the wrong pieces. */
    CHECK(efi_memmap_parse(memmap, memmap_size, handoff.descriptor_size + 8,
                           handoff.descriptor_version, &m) != KEEL_OK);
}

/* An ACPI table of the capture by signature, or NULL. */
static uint8_t *table(const char *sig)
{
    for (size_t off = 0; off + 36 <= acpi_size; off += 4) {
        uint32_t len;
        memcpy(&len, acpi + off + 4, 4);
        if (memcmp(acpi + off, sig, 4) == 0 && len >= 36 && len <= acpi_size - off) {
            uint8_t sum = 0;
            for (uint32_t i = 0; i < len; i++) {
                sum = (uint8_t)(sum + acpi[off + i]);
            }
            if (sum == 0) {
                return acpi + off;
            }
        }
    }
    return NULL;
}

static uint32_t length_of(const uint8_t *t)
{
    uint32_t len;
    memcpy(&len, t + 4, 4);
    return len;
}

static void set_length(uint8_t *t, uint32_t len)
{
    memcpy(t + 4, &len, 4);
}

static void fix_checksum(uint8_t *t)
{
    uint8_t sum = 0;
    t[9] = 0;
    for (uint32_t i = 0; i < length_of(t); i++) {
        sum = (uint8_t)(sum + t[i]);
    }
    t[9] = (uint8_t)(0x100 - sum);
}

/* The SPCR reader on AAVMF's real table, then on each bad variant of it. */
static void spcr(const char *dir, const struct capture *c)
{
    load(dir, c);
    uint8_t *t = table("SPCR");
    CHECK(t != NULL && t[36] == 3 && t[40] == 0); /* PL011 in memory space */
    if (t == NULL) {
        return;
    }
    struct shim_env env = {.phys_ptr = phys};
    struct bi_console con;
    /* Shorter than its base address's end (52 bytes): a table error, the boot stops. */
    set_length(t, 51);
    fix_checksum(t);
    CHECK_ERR(acpi_spcr_console(handoff.rsdp, &env, &con), KEEL_E_ACPI_TABLE);
    CHECK_ERR(run(), KEEL_E_ACPI_TABLE);
    /* The RSDP is not where the handoff says: no ACPI, no console, the boot goes on. */
    load(dir, c);
    handoff.rsdp = 0x30000000;
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.console.kind == BI_CONSOLE_NONE && bi.cpu_count == 1);
    load(dir, c);
    t = table("SPCR");
    t[9] ^= 1; /* a wrong checksum */
    CHECK_ERR(run(), KEEL_E_ACPI_TABLE);
    /* An interface type Keel has no driver for: no console from SPCR, the boot goes on. */
    load(dir, c);
    t = table("SPCR");
    t[36] = 0x10;
    fix_checksum(t);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.console.kind == BI_CONSOLE_NONE);
    /* A PL011 in I/O space cannot be: none either. */
    load(dir, c);
    t = table("SPCR");
    t[40] = 1;
    fix_checksum(t);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.console.kind == BI_CONSOLE_NONE);
    /* A 16550 with 32-bit registers in memory space; one in I/O space. */
    load(dir, c);
    t = table("SPCR");
    t[36] = 0x12;
    t[43] = 3;
    fix_checksum(t);
    CHECK_ERR(acpi_spcr_console(handoff.rsdp, &env, &con), KEEL_OK);
    CHECK(con.kind == BI_CONSOLE_NS16550_MMIO && con.base == 0x9000000 && con.reg_shift == 2 &&
          con.reg_io_width == 4);
    t[36] = 0;
    t[40] = 1;
    fix_checksum(t);
    CHECK_ERR(acpi_spcr_console(handoff.rsdp, &env, &con), KEEL_OK);
    CHECK(con.kind == BI_CONSOLE_NS16550_PIO);
    /* No SPCR at all (its signature gone): no console from ACPI, and no error. */
    t[0] = 'X';
    fix_checksum(t);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.console.kind == BI_CONSOLE_NONE);
}

/* The MADT's first GICC entry (type 0x0b) of the capture, or NULL. */
static uint8_t *gicc(uint8_t *madt, unsigned index)
{
    for (uint32_t off = 44; off + 2 <= length_of(madt); off += madt[off + 1]) {
        if (madt[off + 1] == 0) {
            return NULL;
        }
        if (madt[off] == 0x0b && index-- == 0) {
            return madt + off;
        }
    }
    return NULL;
}

/* The MADT GICC and FADT PSCI readers on AAVMF's four-CPU tables, then bad variants. */
static void madt_fadt(const char *dir, const struct capture *c)
{
    load(dir, c);
    uint8_t *madt = table("APIC");
    CHECK(madt != NULL && gicc(madt, 3) != NULL && gicc(madt, 4) == NULL);
    if (madt == NULL || gicc(madt, 3) == NULL) {
        return;
    }
    /* A CPU neither enabled nor online-capable is not counted. */
    uint8_t *g = gicc(madt, 2);
    memset(g + 12, 0, 4);
    fix_checksum(madt);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.cpu_count == 3 && bi.cpus[2].id == 3);
    /* Online-capable only (bit 3) is counted. */
    g[12] = 8;
    fix_checksum(madt);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.cpu_count == 4);
    /* MPIDR bits outside the affinity fields (U, MT, RES1 bit 31) are dropped. */
    load(dir, c);
    madt = table("APIC");
    g = gicc(madt, 1);
    g[68 + 3] |= 0x80;
    g[68 + 2] = 0x01; /* Aff2 1 */
    fix_checksum(madt);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.cpu_count == 4 && bi.cpus[1].id == 0x10001);
    /* A GICC entry shorter than its 76 bytes, or of length 0: a table error. */
    load(dir, c);
    madt = table("APIC");
    g = gicc(madt, 3);
    g[1] = 75;
    fix_checksum(madt);
    CHECK_ERR(run(), KEEL_E_ACPI_TABLE);
    g[1] = 0;
    fix_checksum(madt);
    CHECK_ERR(run(), KEEL_E_ACPI_TABLE);
    /* The table cut in the middle of the last GICC entry: the entry runs past it. */
    load(dir, c);
    madt = table("APIC");
    g = gicc(madt, 3);
    set_length(madt, (uint32_t)(g - madt) + 40);
    fix_checksum(madt);
    CHECK_ERR(run(), KEEL_E_ACPI_TABLE);

    /* FADT: PSCI compliant (ARM_BOOT_ARCH bit 0) gives PSCI; without it, the MADT alone. */
    load(dir, c);
    uint8_t *fadt = table("FACP");
    CHECK(fadt != NULL && length_of(fadt) >= 131 && (fadt[129] & 1) != 0);
    if (fadt == NULL) {
        return;
    }
    /* AAVMF's says PSCI through HVC (bit 1); without bit 1 it is SMC. */
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.cpu_method == BI_CPU_METHOD_PSCI && bi.psci_conduit == BI_PSCI_HVC);
    fadt[129] &= (uint8_t)~2u;
    fix_checksum(fadt);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.psci_conduit == BI_PSCI_SMC);
    fadt[129] &= (uint8_t)~1u;
    fix_checksum(fadt);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.cpu_count == 4 && bi.cpu_method == BI_CPU_METHOD_ACPI_MADT);
    /* A FADT too short to hold ARM_BOOT_ARCH (an ACPI 1.0 one): the same, no error. */
    load(dir, c);
    fadt = table("FACP");
    set_length(fadt, 116);
    fix_checksum(fadt);
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.cpu_method == BI_CPU_METHOD_ACPI_MADT);
    /* A FADT whose checksum is wrong: a table error. */
    load(dir, c);
    table("FACP")[9] ^= 0x40;
    CHECK_ERR(run(), KEEL_E_ACPI_TABLE);
}

/* U-Boot's DTB configuration table: unreachable, cut short, or not a DTB. */
static void dtb_table(const char *dir, const struct capture *c)
{
    load(dir, c);
    uint64_t at = handoff.dtb;
    handoff.dtb = 0x30000000; /* in no memory the test serves */
    CHECK_ERR(run(), KEEL_E_EFI_UNREACHABLE);
    handoff.dtb = at;
    /* A totalsize past what the firmware's table holds: unreachable as a whole. */
    uint32_t big = __builtin_bswap32((uint32_t)dtb_size + 0x1000);
    memcpy(dtb + 4, &big, 4);
    CHECK_ERR(run(), KEEL_E_EFI_UNREACHABLE);
    load(dir, c);
    dtb[0] ^= 0xff;
    CHECK_ERR(run(), KEEL_E_FDT_MAGIC);
    /* Without the DTB and without ACPI: no console, the boot CPU alone, the same map. */
    load(dir, c);
    handoff.dtb = 0;
    CHECK_ERR(run(), KEEL_OK);
    CHECK(bi.console.kind == BI_CONSOLE_NONE && bi.cpu_count == 1 && bi.dtb_base == 0);
    /* The DTB lay in ACPI-reclaim memory: the map is the same without it. */
    CHECK(bi.mem_count == c->mem_count);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    kernel = calloc(1, KERNEL_SIZE);
    for (unsigned i = 0; i < COUNT(captures); i++) {
        load(argv[1], &captures[i]);
        good_boot(&captures[i]);
    }
    spcr(argv[1], &captures[0]);
    madt_fadt(argv[1], &captures[1]);
    dtb_table(argv[1], &captures[2]);
    free(kernel);
    free(memmap);
    free(acpi);
    free(dtb);
    return test_finish("test_uefi_arm");
}

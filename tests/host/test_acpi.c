/* SPDX-License-Identifier: MIT */
/* The ACPI walk (RSDP, RSDT/XSDT, MADT) on synthetic tables in a fake physical memory. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>
#include <keel/shim.h>

#include "acpi.h"
#include "test_util.h"

#define MEM_PA 0xe0000u
#define MEM_SIZE 0x10000u
#define RSDP_PA (MEM_PA + 0x0)
#define XSDT_PA (MEM_PA + 0x1000)
#define RSDT_PA (MEM_PA + 0x2000)
#define MADT_PA (MEM_PA + 0x3000)
#define FACP_PA (MEM_PA + 0x4000)

static uint8_t mem[MEM_SIZE];
static struct boot_info bi;

static const void *fake_phys_ptr(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    if (pa < MEM_PA || pa - MEM_PA > MEM_SIZE || len > MEM_SIZE - (pa - MEM_PA)) {
        return NULL;
    }
    return mem + (pa - MEM_PA);
}

static uint8_t *at(uint64_t pa)
{
    return mem + (pa - MEM_PA);
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static void fix_checksum(uint8_t *p, uint32_t len, uint32_t sum_at)
{
    uint8_t sum = 0;
    p[sum_at] = 0;
    for (uint32_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    p[sum_at] = (uint8_t)(0x100 - sum);
}

static void sdt(uint64_t pa, const char *sig, uint32_t len)
{
    uint8_t *t = at(pa);
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = 1;
    memcpy(t + 10, "KEELTS", 6);
    fix_checksum(t, len, 9);
}

static void rsdp(uint8_t revision)
{
    uint8_t *r = at(RSDP_PA);
    memset(r, 0, 36);
    memcpy(r, "RSD PTR ", 8);
    r[15] = revision;
    put32(r + 16, RSDT_PA);
    put32(r + 20, 36);
    put64(r + 24, XSDT_PA);
    fix_checksum(r, 20, 8);
    if (revision >= 2) {
        fix_checksum(r, 36, 32);
    }
}

/* MADT entries: LAPIC (id, flags) and x2APIC (id, flags). */
struct cpu {
    uint8_t type;
    uint32_t id;
    uint32_t flags;
};

static uint32_t madt(const struct cpu *cpus, unsigned count)
{
    uint8_t *t = at(MADT_PA);
    memset(t, 0, 0x1000);
    put32(t + 36, 0xfee00000);
    put32(t + 40, 1);
    uint32_t off = 44;
    /* An I/O APIC entry first, which the walk must step over. */
    t[off] = 1;
    t[off + 1] = 12;
    off += 12;
    for (unsigned i = 0; i < count; i++) {
        if (cpus[i].type == 0) {
            t[off] = 0;
            t[off + 1] = 8;
            t[off + 2] = (uint8_t)i;
            t[off + 3] = (uint8_t)cpus[i].id;
            put32(t + off + 4, cpus[i].flags);
            off += 8;
        } else {
            t[off] = 9;
            t[off + 1] = 16;
            put32(t + off + 4, cpus[i].id);
            put32(t + off + 8, cpus[i].flags);
            put32(t + off + 12, i);
            off += 16;
        }
    }
    sdt(MADT_PA, "APIC", off);
    return off;
}

static void roots(void)
{
    put64(at(XSDT_PA) + 36, FACP_PA);
    put64(at(XSDT_PA) + 44, MADT_PA);
    sdt(XSDT_PA, "XSDT", 52);
    put32(at(RSDT_PA) + 36, FACP_PA);
    put32(at(RSDT_PA) + 40, MADT_PA);
    sdt(RSDT_PA, "RSDT", 44);
    sdt(FACP_PA, "FACP", 116);
}

static int scan(void)
{
    struct shim_env env = {.phys_ptr = fake_phys_ptr, .ctx = NULL};
    memset(&bi, 0, sizeof(bi));
    return acpi_scan(RSDP_PA, &env, &bi);
}

/*
 * QEMU's own tables, captured by tools/capture-acpi.py and laid out from MEM_PA on
 * (tests/fuzz/corpus/acpi): the file name says how many CPUs QEMU was given ("smpN")
 * and, for SeaBIOS's x86 tables, whether the RSDP is revision 2 with an XSDT ("xsdt").
 * "aavmf-" files are AAVMF's on the arm64 virt machine (always revision 2): a GICC per
 * CPU, MPIDRs from 0, PSCI by HVC, or by SMC with virtualization=on ("el2"), and an
 * SPCR naming the PL011 at 0x9000000.
 */
static void qemu_tables(const char *path)
{
    size_t len;
    uint8_t *data = test_read_file(path, &len);
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    const char *smp = strstr(base, "smp");
    bool arm = strncmp(base, "aavmf-", 6) == 0;

    CHECK(len <= MEM_SIZE && smp != NULL);
    memset(mem, 0, MEM_SIZE);
    memcpy(mem, data, len <= MEM_SIZE ? len : MEM_SIZE);
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.cpu_method == (arm ? BI_CPU_METHOD_PSCI : BI_CPU_METHOD_ACPI_MADT));
    CHECK(smp != NULL && bi.cpu_count == (uint32_t)atoi(smp + 3));
    CHECK(bi.rsdp_revision == (arm || strstr(base, "xsdt") != NULL ? 2u : 0u));
    for (uint32_t i = 0; i < bi.cpu_count; i++) {
        CHECK(bi.cpus[i].id == i); /* QEMU numbers its APIC IDs and (up to 8) MPIDRs from 0 */
        CHECK(bi.cpus[i].flags == BI_CPU_ENABLED && bi.cpus[i].error == 0);
        CHECK(bi.cpus[i].method == (arm ? BI_CPU_METHOD_PSCI : BI_CPU_METHOD_ACPI_MADT));
    }
    /* "maxcpus" lists the hot-pluggable slots too, with neither Enabled nor Online Capable. */
    CHECK(bi.cpu_total == bi.cpu_count);
    if (arm) {
        struct shim_env env = {.phys_ptr = fake_phys_ptr, .ctx = NULL};
        struct bi_console con;
        CHECK(bi.psci_conduit == (strstr(base, "el2") != NULL ? BI_PSCI_SMC : BI_PSCI_HVC));
        CHECK_ERR(acpi_spcr_console(RSDP_PA, &env, &con), KEEL_OK);
        CHECK(con.kind == BI_CONSOLE_PL011 && con.base == 0x9000000);
    } else {
        CHECK(bi.intc_base == 0xfee00000);
    }
    printf("%s: %u cpus, RSDP revision %u\n", path, bi.cpu_count, bi.rsdp_revision);
    free(data);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        qemu_tables(argv[i]);
    }
    const struct cpu cpus[] = {
        {0, 0, 1}, {0, 1, 1}, {0, 2, 0}, {0, 3, 2}, {9, 300, 1}, {9, 0, 1}, {9, 301, 0},
    };
    roots();
    madt(cpus, 7);

    rsdp(2);
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.cpu_count == 4 && bi.cpu_method == BI_CPU_METHOD_ACPI_MADT);
    CHECK(bi.cpus[0].id == 0 && bi.cpus[1].id == 1 && bi.cpus[2].id == 3 && bi.cpus[3].id == 300);
    CHECK(bi.rsdp_revision == 2 && bi.intc_base == 0xfee00000);
    /* Enabled, and Online Capable without Enabled (kept, never started); x2APIC marked. */
    CHECK(bi.cpus[0].flags == BI_CPU_ENABLED && bi.cpus[1].flags == BI_CPU_ENABLED);
    CHECK(bi.cpus[2].flags == BI_CPU_ONLINE_CAPABLE && bi.cpus[2].error == KEEL_E_CPU_DISABLED);
    CHECK(bi.cpus[3].flags == (BI_CPU_ENABLED | BI_CPU_X2APIC) && bi.cpus[3].error == 0);
    CHECK(bi.cpu_total == 4); /* the x2APIC entry for APIC ID 0 is the same CPU again */

    /* The Local APIC Address Override, and a Local APIC entry with ID 0xff (skipped). */
    uint32_t mlen = madt(cpus, 7);
    uint8_t *o = at(MADT_PA) + mlen;
    o[0] = 5;
    o[1] = 12;
    put64(o + 4, 0x1fee00000ull);
    o[12] = 0;
    o[13] = 8;
    o[15] = 0xff;
    put32(o + 16, 1);
    sdt(MADT_PA, "APIC", mlen + 20);
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.intc_base == 0x1fee00000ull && bi.cpu_count == 4);
    o[1] = 11; /* an override too short for its address */
    sdt(MADT_PA, "APIC", mlen + 20);
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    madt(cpus, 7);

    /* Revision 0 goes through the RSDT; break the XSDT to prove it is not read. */
    rsdp(0);
    at(XSDT_PA)[0] = 'Y';
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.cpu_count == 4);
    rsdp(2);
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    roots();

    /* RSDP damage. */
    at(RSDP_PA)[0] = 'X';
    CHECK_ERR(scan(), KEEL_E_ACPI_RSDP);
    rsdp(2);
    at(RSDP_PA)[9] ^= 1;
    CHECK_ERR(scan(), KEEL_E_ACPI_RSDP);
    rsdp(2);
    at(RSDP_PA)[33] ^= 1;
    CHECK_ERR(scan(), KEEL_E_ACPI_RSDP);
    rsdp(2);
    put32(at(RSDP_PA) + 20, 8);
    fix_checksum(at(RSDP_PA), 36, 32);
    CHECK_ERR(scan(), KEEL_E_ACPI_RSDP);
    rsdp(2);

    /* Table damage: checksum, length, MADT entries. */
    at(MADT_PA)[50] ^= 0x40;
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    uint32_t len = madt(cpus, 7);
    at(MADT_PA)[len - 15] = 0; /* the last x2APIC entry gets length 0 */
    fix_checksum(at(MADT_PA), len, 9);
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    len = madt(cpus, 7);
    at(MADT_PA)[len - 15] = 40; /* ... or runs past the table */
    fix_checksum(at(MADT_PA), len, 9);
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    len = madt(cpus, 7);
    at(MADT_PA)[len - 15] = 6; /* an x2APIC entry too short for its fields */
    fix_checksum(at(MADT_PA), len, 9);
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    madt(cpus, 7);
    put32(at(XSDT_PA) + 4, 20);
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    roots();
    sdt(XSDT_PA, "XSDT", 50); /* not a whole number of 8-byte entries */
    CHECK_ERR(scan(), KEEL_E_ACPI_TABLE);
    roots();

    /* Unreachable tables: the count is unknown, which is no error. */
    put64(at(XSDT_PA) + 44, 0x10000000);
    sdt(XSDT_PA, "XSDT", 52);
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.cpu_count == 0 && bi.cpu_method == BI_CPU_METHOD_NONE);
    put64(at(RSDP_PA) + 24, 0x10000000);
    fix_checksum(at(RSDP_PA), 36, 32);
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.cpu_count == 0);
    struct shim_env env = {.phys_ptr = fake_phys_ptr};
    CHECK_ERR(acpi_scan(0x1000, &env, &bi), KEEL_OK);
    roots();
    rsdp(2);

    /* More CPUs than boot_info holds: the first BI_CPU_MAX are kept, the rest counted. */
    static struct cpu many[BI_CPU_MAX + 20];
    for (unsigned i = 0; i < BI_CPU_MAX + 20; i++) {
        many[i] = (struct cpu){9, 1000 + i, 1};
    }
    madt(many, BI_CPU_MAX + 20); /* 8.6 KiB: over the FACP, which the walk skips */
    CHECK_ERR(scan(), KEEL_OK);
    CHECK(bi.cpu_count == BI_CPU_MAX && bi.cpus[BI_CPU_MAX - 1].id == 1000 + BI_CPU_MAX - 1);
    CHECK(bi.cpu_total == BI_CPU_MAX + 20);
    memset(at(MADT_PA), 0, 0x3000);
    roots();

    /* Random damage to every table must never read out of bounds. */
    madt(cpus, 7);
    static uint8_t saved[MEM_SIZE];
    memcpy(saved, mem, MEM_SIZE);
    uint64_t seed = 99;
    for (int i = 0; i < 20000; i++) {
        memcpy(mem, saved, MEM_SIZE);
        uint64_t pa = MEM_PA + (test_rand(&seed) % 5) * 0x1000 + test_rand(&seed) % 160;
        at(pa)[0] ^= (uint8_t)(1u << (test_rand(&seed) % 8));
        (void)scan();
    }
    return test_finish("test_acpi");
}

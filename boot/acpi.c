/* SPDX-License-Identifier: MIT */
/* ACPI RSDP, RSDT/XSDT and MADT reader: checksums and lengths first, then CPU entries. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>

#include "acpi.h"
#include "bytes.h"
#include "cpus.h"

#define RSDP_V1_SIZE 20u
#define RSDP_V2_MIN 36u
#define SDT_HEADER_SIZE 36u
#define MADT_FIXED 44u /* header, local APIC address, flags */
#define MADT_LOCAL_APIC 0u
#define MADT_LAPIC_OVERRIDE 5u
#define MADT_X2APIC 9u
#define MADT_LAPIC_SIZE 8u
#define MADT_OVERRIDE_SIZE 12u
#define MADT_X2APIC_SIZE 16u
#define LAPIC_ID_NONE 0xffu /* a Local APIC entry with ID 0xff stands for an x2APIC one */
#define MADT_ENABLED 1u
#define MADT_ONLINE_CAPABLE 2u
/* Arm's GIC CPU interface entry (ACPI 5.1 on): flags at 12, MPIDR at 68. */
#define MADT_GICC 0x0bu
#define MADT_GICC_SIZE 76u
#define MADT_GICC_ONLINE_CAPABLE 8u
#define MPIDR_AFFINITY UINT64_C(0xff00ffffff)

/* FADT: ARM_BOOT_ARCH (ACPI 5.1 on), bit 0 PSCI compliant, bit 1 PSCI through HVC. */
#define FADT_ARM_BOOT_ARCH 129u
#define FADT_PSCI_COMPLIANT 1u
#define FADT_PSCI_USE_HVC 2u

/* SPCR (Microsoft's Serial Port Console Redirection table): interface type, base GAS. */
#define SPCR_INTERFACE 36u
#define SPCR_BASE_GAS 40u
#define SPCR_MIN 52u
#define SPCR_16550 0x00u
#define SPCR_16450 0x01u
#define SPCR_PL011 0x03u
#define SPCR_SBSA_32BIT 0x0du
#define SPCR_SBSA 0x0eu
#define SPCR_16550_GAS 0x12u
#define GAS_MEMORY 0u
#define GAS_IO 1u

/* An SDT longer than this is refused: real tables are kilobytes, not megabytes. */
#define SDT_MAX_LENGTH (1u << 20)

static uint8_t checksum(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    return sum;
}

/*
 * Maps the SDT at `pa` and checks its length and checksum. Returns KEEL_OK with
 * *table NULL when phys_ptr cannot reach it.
 */
static int map_sdt(const struct shim_env *env, uint64_t pa, const uint8_t **table, uint32_t *length)
{
    *table = NULL;
    const uint8_t *h = env->phys_ptr(env->ctx, pa, SDT_HEADER_SIZE);
    if (h == NULL) {
        return KEEL_OK;
    }
    uint32_t len = load_le32(h + 4);
    if (len < SDT_HEADER_SIZE || len > SDT_MAX_LENGTH) {
        return KEEL_E_ACPI_TABLE;
    }
    const uint8_t *t = env->phys_ptr(env->ctx, pa, len);
    if (t == NULL) {
        return KEEL_OK;
    }
    if (checksum(t, len) != 0) {
        return KEEL_E_ACPI_TABLE;
    }
    *table = t;
    *length = len;
    return KEEL_OK;
}

/*
 * One processor entry's flags (ACPI 6.5, 5.2.12.2): Enabled means usable now; Online
 * Capable, meaningful only without Enabled, means the OS may bring it up later. A CPU
 * with neither is not there and is skipped.
 */
static void add_cpu(struct boot_info *bi, uint64_t id, uint32_t madt_flags, uint32_t x2apic,
                    uint32_t method)
{
    if (madt_flags & MADT_ENABLED) {
        cpus_add(bi, id, method, BI_CPU_ENABLED | x2apic);
    } else if (madt_flags & MADT_ONLINE_CAPABLE) {
        struct bi_cpu *c = cpus_add(bi, id, method, BI_CPU_ONLINE_CAPABLE | x2apic);
        if (c != NULL) {
            c->error = KEEL_E_CPU_DISABLED;
        }
    }
}

static int scan_madt(const uint8_t *madt, uint32_t len, struct boot_info *bi)
{
    if (len < MADT_FIXED) {
        return KEEL_E_ACPI_TABLE;
    }
    uint64_t lapic = load_le32(madt + 36);
    uint32_t off = MADT_FIXED;
    while (off < len) {
        if (len - off < 2) {
            return KEEL_E_ACPI_TABLE;
        }
        uint8_t type = madt[off];
        uint8_t entry_len = madt[off + 1];
        if (entry_len < 2 || entry_len > len - off) {
            return KEEL_E_ACPI_TABLE;
        }
        const uint8_t *e = madt + off;
        if (type == MADT_LOCAL_APIC) {
            if (entry_len < MADT_LAPIC_SIZE) {
                return KEEL_E_ACPI_TABLE;
            }
            if (e[3] != LAPIC_ID_NONE) {
                add_cpu(bi, e[3], load_le32(e + 4), 0, BI_CPU_METHOD_ACPI_MADT);
            }
        } else if (type == MADT_X2APIC) {
            if (entry_len < MADT_X2APIC_SIZE) {
                return KEEL_E_ACPI_TABLE;
            }
            add_cpu(bi, load_le32(e + 4), load_le32(e + 8), BI_CPU_X2APIC, BI_CPU_METHOD_ACPI_MADT);
        } else if (type == MADT_LAPIC_OVERRIDE) {
            if (entry_len < MADT_OVERRIDE_SIZE) {
                return KEEL_E_ACPI_TABLE;
            }
            lapic = load_le64(e + 4); /* the 64-bit address replaces the 32-bit one */
        } else if (type == MADT_GICC) {
            if (entry_len < MADT_GICC_SIZE) {
                return KEEL_E_ACPI_TABLE;
            }
            /* Arm's CPUs start through PSCI; the FADT says how (acpi_scan). */
            uint32_t flags = load_le32(e + 12);
            add_cpu(bi, load_le64(e + 68) & MPIDR_AFFINITY,
                    (flags & MADT_ENABLED) |
                        ((flags & MADT_GICC_ONLINE_CAPABLE) != 0 ? MADT_ONLINE_CAPABLE : 0),
                    0, BI_CPU_METHOD_PSCI);
        }
        off += entry_len;
    }
    bi->intc_base = lapic;
    bi->cpu_method = BI_CPU_METHOD_ACPI_MADT;
    return KEEL_OK;
}

/*
 * The SDT whose signature is `sig`, found through the RSDP's XSDT (or RSDT), checked.
 * KEEL_OK with *table NULL when there is none or it cannot be reached.
 */
static int find_table(uint64_t rsdp_pa, const struct shim_env *env, const char *sig,
                      const uint8_t **table, uint32_t *table_len, uint8_t *revision_out)
{
    *table = NULL;
    const uint8_t *rsdp = env->phys_ptr(env->ctx, rsdp_pa, RSDP_V1_SIZE);
    if (rsdp == NULL) {
        return KEEL_OK;
    }
    if (memcmp(rsdp, "RSD PTR ", 8) != 0 || checksum(rsdp, RSDP_V1_SIZE) != 0) {
        return KEEL_E_ACPI_RSDP;
    }
    uint8_t revision = rsdp[15];
    if (revision_out != NULL) {
        *revision_out = revision;
    }

    uint64_t root_pa = load_le32(rsdp + 16);
    uint32_t entry_size = 4;
    const char *root_sig = "RSDT";
    if (revision >= 2) {
        const uint8_t *v2 = env->phys_ptr(env->ctx, rsdp_pa, RSDP_V2_MIN);
        if (v2 == NULL) {
            return KEEL_OK;
        }
        uint32_t length = load_le32(v2 + 20);
        if (length < RSDP_V2_MIN || length > SDT_MAX_LENGTH) {
            return KEEL_E_ACPI_RSDP;
        }
        const uint8_t *full = env->phys_ptr(env->ctx, rsdp_pa, length);
        if (full == NULL) {
            return KEEL_OK;
        }
        if (checksum(full, length) != 0) {
            return KEEL_E_ACPI_RSDP;
        }
        uint64_t xsdt = load_le64(v2 + 24);
        if (xsdt != 0) {
            root_pa = xsdt;
            entry_size = 8;
            root_sig = "XSDT";
        }
    }

    const uint8_t *root;
    uint32_t root_len;
    int err = map_sdt(env, root_pa, &root, &root_len);
    if (err != KEEL_OK || root == NULL) {
        return err;
    }
    if (memcmp(root, root_sig, 4) != 0 || (root_len - SDT_HEADER_SIZE) % entry_size != 0) {
        return KEEL_E_ACPI_TABLE;
    }
    for (uint32_t off = SDT_HEADER_SIZE; off < root_len; off += entry_size) {
        uint64_t pa = entry_size == 8 ? load_le64(root + off) : load_le32(root + off);
        const uint8_t *h = env->phys_ptr(env->ctx, pa, SDT_HEADER_SIZE);
        if (h != NULL && memcmp(h, sig, 4) == 0) {
            return map_sdt(env, pa, table, table_len);
        }
    }
    return KEEL_OK;
}

int acpi_scan(uint64_t rsdp_pa, const struct shim_env *env, struct boot_info *bi)
{
    const uint8_t *madt, *fadt;
    uint32_t madt_len, fadt_len;
    uint8_t revision = 0;
    int err = find_table(rsdp_pa, env, "APIC", &madt, &madt_len, &revision);
    bi->rsdp_revision = revision;
    if (err == KEEL_OK && madt != NULL) {
        err = scan_madt(madt, madt_len, bi);
    }
    if (err == KEEL_OK) {
        err = find_table(rsdp_pa, env, "FACP", &fadt, &fadt_len, NULL);
    }
    /* Arm: secondary CPUs start through PSCI when the FADT says so, by HVC or by SMC. */
    if (err == KEEL_OK && fadt != NULL && fadt_len >= FADT_ARM_BOOT_ARCH + 2 &&
        (fadt[FADT_ARM_BOOT_ARCH] & FADT_PSCI_COMPLIANT) != 0) {
        bi->cpu_method = BI_CPU_METHOD_PSCI;
        bi->psci_conduit =
            (fadt[FADT_ARM_BOOT_ARCH] & FADT_PSCI_USE_HVC) != 0 ? BI_PSCI_HVC : BI_PSCI_SMC;
    }
    return err;
}

int acpi_spcr_console(uint64_t rsdp_pa, const struct shim_env *env, struct bi_console *out)
{
    const uint8_t *t;
    uint32_t len;
    int err = find_table(rsdp_pa, env, "SPCR", &t, &len, NULL);

    memset(out, 0, sizeof(*out));
    if (err != KEEL_OK || t == NULL) {
        return err;
    }
    if (len < SPCR_MIN) {
        return KEEL_E_ACPI_TABLE;
    }
    uint8_t space = t[SPCR_BASE_GAS];
    uint8_t access = t[SPCR_BASE_GAS + 3]; /* 1, 2, 3 = byte, word, dword; 0 = legacy */
    uint64_t base = load_le64(t + SPCR_BASE_GAS + 4);
    switch (t[SPCR_INTERFACE]) {
    case SPCR_PL011:
    case SPCR_SBSA:
    case SPCR_SBSA_32BIT:
        if (space == GAS_MEMORY) {
            out->kind = BI_CONSOLE_PL011;
        }
        break;
    case SPCR_16550:
    case SPCR_16450:
    case SPCR_16550_GAS:
        if (space == GAS_IO) {
            out->kind = BI_CONSOLE_NS16550_PIO;
        } else if (space == GAS_MEMORY) {
            out->kind = BI_CONSOLE_NS16550_MMIO;
            out->reg_shift = access >= 1 && access <= 3 ? (uint8_t)(access - 1) : 0;
            out->reg_io_width = (uint8_t)(1u << out->reg_shift);
        }
        break;
    default:
        break;
    }
    if (out->kind != BI_CONSOLE_NONE) {
        out->base = base;
        out->size = 0x1000;
    }
    return KEEL_OK;
}

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
static void add_cpu(struct boot_info *bi, uint64_t id, uint32_t madt_flags, uint32_t x2apic)
{
    if (madt_flags & MADT_ENABLED) {
        cpus_add(bi, id, BI_CPU_METHOD_ACPI_MADT, BI_CPU_ENABLED | x2apic);
    } else if (madt_flags & MADT_ONLINE_CAPABLE) {
        struct bi_cpu *c =
            cpus_add(bi, id, BI_CPU_METHOD_ACPI_MADT, BI_CPU_ONLINE_CAPABLE | x2apic);
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
                add_cpu(bi, e[3], load_le32(e + 4), 0);
            }
        } else if (type == MADT_X2APIC) {
            if (entry_len < MADT_X2APIC_SIZE) {
                return KEEL_E_ACPI_TABLE;
            }
            add_cpu(bi, load_le32(e + 4), load_le32(e + 8), BI_CPU_X2APIC);
        } else if (type == MADT_LAPIC_OVERRIDE) {
            if (entry_len < MADT_OVERRIDE_SIZE) {
                return KEEL_E_ACPI_TABLE;
            }
            lapic = load_le64(e + 4); /* the 64-bit address replaces the 32-bit one */
        }
        off += entry_len;
    }
    bi->intc_base = lapic;
    bi->cpu_method = BI_CPU_METHOD_ACPI_MADT;
    return KEEL_OK;
}

int acpi_scan(uint64_t rsdp_pa, const struct shim_env *env, struct boot_info *bi)
{
    const uint8_t *rsdp = env->phys_ptr(env->ctx, rsdp_pa, RSDP_V1_SIZE);
    if (rsdp == NULL) {
        return KEEL_OK;
    }
    if (memcmp(rsdp, "RSD PTR ", 8) != 0 || checksum(rsdp, RSDP_V1_SIZE) != 0) {
        return KEEL_E_ACPI_RSDP;
    }
    uint8_t revision = rsdp[15];
    bi->rsdp_revision = revision;

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
        if (h == NULL || memcmp(h, "APIC", 4) != 0) {
            continue;
        }
        const uint8_t *madt;
        uint32_t madt_len;
        err = map_sdt(env, pa, &madt, &madt_len);
        if (err != KEEL_OK || madt == NULL) {
            return err;
        }
        return scan_madt(madt, madt_len, bi);
    }
    return KEEL_OK;
}

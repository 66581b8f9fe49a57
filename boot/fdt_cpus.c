/* SPDX-License-Identifier: MIT */
/* The DTB's /cpus and /psci: one CPU record per cpu node, and how each is started. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>

#include "cpus.h"
#include "devicetree.h"

/* /psci's method: the conduit every PSCI call takes (the Devicetree binding arm,psci). */
static uint32_t psci_conduit(const struct fdt *fdt)
{
    struct fdt_path psci;
    struct fdt_prop prop;
    const char *method;

    if (fdt_find_path(fdt, "/psci", 5, &psci) != KEEL_OK ||
        !fdt_get_prop(fdt, psci.node[1], "method", &prop) ||
        (method = fdt_prop_string(&prop)) == NULL) {
        return BI_PSCI_NONE;
    }
    if (strcmp(method, "hvc") == 0) {
        return BI_PSCI_HVC;
    }
    return strcmp(method, "smc") == 0 ? BI_PSCI_SMC : BI_PSCI_NONE;
}

/* A status of "fail" or "fail-sss": the CPU is not operational. "disabled" CPUs are parked. */
static bool cpu_failed(const struct fdt *fdt, uint32_t node)
{
    struct fdt_prop prop;
    const char *status;

    return fdt_get_prop(fdt, node, "status", &prop) && (status = fdt_prop_string(&prop)) != NULL &&
           strncmp(status, "fail", 4) == 0;
}

/* The node's enable-method as a method, and the error that keeps it from being started. */
static uint32_t cpu_method(const struct fdt *fdt, uint32_t node, uint32_t conduit,
                           uint64_t *release, uint32_t *error)
{
    struct fdt_prop prop;
    const char *method = NULL;

    *release = 0;
    *error = KEEL_OK;
    if (fdt_get_prop(fdt, node, "enable-method", &prop)) {
        method = fdt_prop_string(&prop);
    }
    if (method != NULL && strcmp(method, "psci") == 0) {
        *error = conduit == BI_PSCI_NONE ? KEEL_E_PSCI_METHOD : KEEL_OK;
        return BI_CPU_METHOD_PSCI;
    }
    if (method != NULL && strcmp(method, "spin-table") == 0) {
        /* cpu-release-addr is a 64-bit value (one cell is read too); 0 is no address. */
        if (!fdt_get_prop(fdt, node, "cpu-release-addr", &prop) ||
            fdt_prop_u64(&prop, release) != KEEL_OK || *release == 0 || (*release & 7) != 0) {
            *release = 0;
            *error = KEEL_E_CPU_RELEASE_ADDR;
        }
        return BI_CPU_METHOD_SPIN_TABLE;
    }
    /*
     * The RISC-V cpus binding has no enable-method: a hart (compatible "riscv") is
     * started through the SBI's hart state management extension, whose presence the
     * arch asks the SBI at the start.
     */
    if (method == NULL && fdt_get_prop(fdt, node, "compatible", &prop) &&
        fdt_prop_has_string(&prop, "riscv")) {
        return BI_CPU_METHOD_SBI_HSM;
    }
    *error = KEEL_E_CPU_ENABLE_METHOD;
    return BI_CPU_METHOD_NONE;
}

int fdt_cpus_scan(const struct fdt *fdt, struct boot_info *bi)
{
    struct fdt_path cpus, path;
    uint32_t child, ac, sc;

    bi->psci_conduit = psci_conduit(fdt);
    if (fdt_find_path(fdt, "/cpus", 5, &cpus) != KEEL_OK) {
        return KEEL_OK;
    }
    int err = fdt_cells(fdt, cpus.node[1], &ac, &sc);
    if (err != KEEL_OK) {
        return err;
    }
    for (bool ok = fdt_first_child(fdt, cpus.node[1], &child); ok;
         ok = fdt_next_sibling(fdt, child, &child)) {
        struct fdt_prop prop;
        const char *type;
        if (!fdt_get_prop(fdt, child, "device_type", &prop) ||
            (type = fdt_prop_string(&prop)) == NULL || strcmp(type, "cpu") != 0) {
            continue;
        }
        uint64_t mpidr, size, release;
        uint32_t count, error;
        fdt_path_child(&path, 2, &cpus, child);
        err = fdt_reg(fdt, &path, 0, &mpidr, &size, &count);
        if (err == KEEL_OK && count != 1) {
            err = KEEL_E_FDT_PROP; /* a cpu node names one CPU (no SMT threads on arm64) */
        }
        if (err != KEEL_OK) {
            return err == KEEL_E_FDT_NOT_FOUND ? KEEL_E_FDT_PROP : err;
        }
        uint32_t method = cpu_method(fdt, child, bi->psci_conduit, &release, &error);
        bool failed = cpu_failed(fdt, child);
        struct bi_cpu *c = cpus_add(bi, mpidr, method, failed ? 0 : BI_CPU_ENABLED);
        if (c != NULL) {
            c->release_addr = release;
            c->error = failed ? KEEL_E_CPU_DISABLED : error;
        }
    }
    return KEEL_OK;
}

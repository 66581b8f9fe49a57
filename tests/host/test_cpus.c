/* SPDX-License-Identifier: MIT */
/* The /cpus and /psci reader (boot/fdt_cpus.c) on QEMU's DTBs and on trees libfdt edits. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <keel/boot_info.h>
#include <keel/errors.h>

#include "cpus.h"
#include "devicetree.h"
#include "test_util.h"

static struct boot_info bi;

/* Reads the CPUs of `dtb` as the FDT shim does, with the boot CPU's MPIDR `boot_id`. */
static int scan(const void *dtb, uint64_t boot_id)
{
    struct fdt fdt;
    memset(&bi, 0, sizeof(bi));
    int err = fdt_init(&fdt, dtb, fdt_totalsize(dtb));
    if (err == KEEL_OK) {
        err = fdt_cpus_scan(&fdt, &bi);
    }
    if (err == KEEL_OK) {
        cpus_finish(&bi, boot_id);
    }
    return err;
}

/* A copy of `dtb` with room to grow, for libfdt to edit. */
static void *edit_copy(const void *dtb, int room)
{
    int size = (int)fdt_totalsize(dtb) + room;
    void *c = malloc((size_t)size);
    CHECK(c != NULL && fdt_open_into(dtb, c, size) == 0);
    return c;
}

static int cpu_node(void *c, const char *name)
{
    char path[64];
    snprintf(path, sizeof(path), "/cpus/%s", name);
    return fdt_path_offset(c, path);
}

/*
 * QEMU virt at -smp 1, 4 and 8 (the name says "smpN"): one PSCI CPU per node, MPIDR
 * 0..N-1 as QEMU numbers them (up to 8 in one cluster), the conduit /psci names: HVC at
 * EL1, SMC with virtualization=on.
 */
static void qemu_virt(const char *path)
{
    size_t len;
    uint8_t *dtb = test_read_file(path, &len);
    const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    const char *smp = strstr(base, "-smp");
    uint32_t want = smp != NULL ? (uint32_t)atoi(smp + 4) : 0;

    CHECK_ERR(scan(dtb, 0), KEEL_OK);
    CHECK(want >= 1 && bi.cpu_count == want && bi.cpu_total == want);
    CHECK(bi.psci_conduit == (strstr(base, "el2") != NULL ? BI_PSCI_SMC : BI_PSCI_HVC));
    /* At -smp 1 QEMU gives its one CPU no enable-method: nothing to start, and no error. */
    uint32_t method = want > 1 ? BI_CPU_METHOD_PSCI : BI_CPU_METHOD_NONE;
    CHECK(bi.boot_cpu == 0 && bi.cpu_error == 0 && bi.cpu_method == method);
    for (uint32_t i = 0; i < bi.cpu_count; i++) {
        CHECK(bi.cpus[i].id == i && bi.cpus[i].method == method);
        CHECK(bi.cpus[i].error == 0 && (bi.cpus[i].flags & BI_CPU_ENABLED));
        CHECK(((bi.cpus[i].flags & BI_CPU_BOOT) != 0) == (i == 0));
    }
    /* The boot CPU found by MPIDR wherever it sits: the last one. */
    CHECK_ERR(scan(dtb, want - 1), KEEL_OK);
    CHECK(bi.boot_cpu == want - 1 && bi.cpu_count == want && bi.cpu_error == 0);
    printf("%s: %u cpus, conduit %s\n", path, bi.cpu_count, bi_psci_conduit_name(bi.psci_conduit));

    if (want < 4) {
        free(dtb);
        return;
    }
    /* Bad input, each a record that says why its CPU cannot start; the others still can. */
    void *c = edit_copy(dtb, 4096);
    fdt_setprop_string(c, fdt_path_offset(c, "/psci"), "method", "svc");
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.psci_conduit == BI_PSCI_NONE && bi.cpu_count == want);
    CHECK(bi.cpus[1].error == KEEL_E_PSCI_METHOD && bi.cpus[0].error == 0); /* boot CPU */
    fdt_del_node(c, fdt_path_offset(c, "/psci"));
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.psci_conduit == BI_PSCI_NONE && bi.cpus[2].error == KEEL_E_PSCI_METHOD);
    free(c);

    c = edit_copy(dtb, 4096);
    fdt_setprop_string(c, cpu_node(c, "cpu@1"), "enable-method", "spin-table");
    fdt_setprop_string(c, cpu_node(c, "cpu@2"), "enable-method", "spin-table");
    fdt_setprop_u64(c, cpu_node(c, "cpu@2"), "cpu-release-addr", 0x8000fff8);
    fdt_setprop_string(c, cpu_node(c, "cpu@3"), "enable-method", "parked");
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.cpus[1].method == BI_CPU_METHOD_SPIN_TABLE &&
          bi.cpus[1].error == KEEL_E_CPU_RELEASE_ADDR && bi.cpus[1].release_addr == 0);
    CHECK(bi.cpus[2].method == BI_CPU_METHOD_SPIN_TABLE && bi.cpus[2].error == 0 &&
          bi.cpus[2].release_addr == 0x8000fff8);
    CHECK(bi.cpus[3].method == BI_CPU_METHOD_NONE && bi.cpus[3].error == KEEL_E_CPU_ENABLE_METHOD);
    /*
     * A RISC-V hart: no enable-method, compatible "riscv": the SBI's HSM starts it. Any
     * other compatible without an enable-method is still no method.
     */
    fdt_delprop(c, cpu_node(c, "cpu@3"), "enable-method");
    fdt_setprop_string(c, cpu_node(c, "cpu@3"), "compatible", "riscv");
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.cpus[3].method == BI_CPU_METHOD_SBI_HSM && bi.cpus[3].error == 0);
    fdt_setprop_string(c, cpu_node(c, "cpu@3"), "compatible", "arm,cortex-a72");
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.cpus[3].method == BI_CPU_METHOD_NONE && bi.cpus[3].error == KEEL_E_CPU_ENABLE_METHOD);
    /* A release address of 0, or not 8-byte aligned, is no address. */
    fdt_setprop_u64(c, cpu_node(c, "cpu@2"), "cpu-release-addr", 0x8000fff4);
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.cpus[2].error == KEEL_E_CPU_RELEASE_ADDR);
    fdt_setprop_u64(c, cpu_node(c, "cpu@2"), "cpu-release-addr", 0);
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.cpus[2].error == KEEL_E_CPU_RELEASE_ADDR);
    free(c);

    /* status "fail": not operational; "disabled" CPUs are parked and can be started. */
    c = edit_copy(dtb, 4096);
    fdt_setprop_string(c, cpu_node(c, "cpu@1"), "status", "fail");
    fdt_setprop_string(c, cpu_node(c, "cpu@2"), "status", "disabled");
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(!(bi.cpus[1].flags & BI_CPU_ENABLED) && bi.cpus[1].error == KEEL_E_CPU_DISABLED);
    CHECK((bi.cpus[2].flags & BI_CPU_ENABLED) && bi.cpus[2].error == 0);
    free(c);

    /* An MPIDR with Aff3 through #address-cells 2; a duplicate reg counts once. */
    c = edit_copy(dtb, 4096);
    int cpus = fdt_path_offset(c, "/cpus");
    fdt_setprop_u32(c, cpus, "#address-cells", 2);
    for (uint32_t i = 0; i < want; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%x", i);
        fdt_setprop_u64(c, cpu_node(c, name), "reg", i == 3 ? 0x100000000ull : i);
    }
    fdt_setprop_u64(c, cpu_node(c, "cpu@2"), "reg", 1);
    CHECK_ERR(scan(c, 0x100000000ull), KEEL_OK);
    CHECK(bi.cpu_count == want - 1 && bi.cpus[2].id == 0x100000000ull && bi.boot_cpu == 2);
    /* #address-cells 3, a reg of two CPUs, a cpu without reg: a malformed tree. */
    fdt_setprop_u32(c, cpus, "#address-cells", 3);
    CHECK_ERR(scan(c, 0), KEEL_E_FDT_CELLS);
    fdt_setprop_u32(c, cpus, "#address-cells", 2);
    uint64_t two[2] = {cpu_to_fdt64(5), cpu_to_fdt64(6)};
    fdt_setprop(c, cpu_node(c, "cpu@1"), "reg", two, sizeof(two));
    CHECK_ERR(scan(c, 0), KEEL_E_FDT_PROP);
    fdt_delprop(c, cpu_node(c, "cpu@1"), "reg");
    CHECK_ERR(scan(c, 0), KEEL_E_FDT_PROP);
    free(c);

    /* A boot CPU the list lacks is added and said; a full list gives it the last slot. */
    CHECK_ERR(scan(dtb, 0x80000000), KEEL_OK);
    CHECK(bi.cpu_count == want + 1 && bi.cpu_total == want + 1 && bi.boot_cpu == want);
    CHECK(bi.cpu_error == KEEL_E_CPU_BOOT_UNLISTED && bi.cpus[want].id == 0x80000000);
    c = edit_copy(dtb, 1 << 20);
    cpus = fdt_path_offset(c, "/cpus");
    for (uint32_t i = 0; i < BI_CPU_MAX + 10; i++) {
        char name[16];
        snprintf(name, sizeof(name), "cpu@%x", 0x10000 + i);
        int n = fdt_add_subnode(c, cpus, name);
        CHECK(n >= 0);
        fdt_setprop_string(c, n, "device_type", "cpu");
        fdt_setprop_u32(c, n, "reg", 0x10000 + i);
        fdt_setprop_string(c, n, "enable-method", "psci");
    }
    /* libfdt adds subnodes before the others: QEMU's CPUs, the boot CPU too, are left out. */
    CHECK_ERR(scan(c, 0), KEEL_OK);
    CHECK(bi.cpu_count == BI_CPU_MAX && bi.cpu_total == want + BI_CPU_MAX + 10);
    CHECK(cpus_left_out(&bi) == want + 10 && bi.cpus[0].id == 0x10000 + BI_CPU_MAX + 9);
    CHECK(bi.boot_cpu == BI_CPU_MAX - 1 && bi.cpus[BI_CPU_MAX - 1].id == 0);
    CHECK(bi.cpu_error == KEEL_E_CPU_BOOT_UNLISTED);
    fdt_del_node(c, fdt_path_offset(c, "/cpus/cpu@10000"));
    for (uint32_t i = 1; i < want + 10; i++) {
        char name[24];
        snprintf(name, sizeof(name), "/cpus/cpu@%x", 0x10000 + i);
        fdt_del_node(c, fdt_path_offset(c, name));
    }
    CHECK_ERR(scan(c, 0), KEEL_OK); /* exactly full: nothing left out */
    CHECK(bi.cpu_count == BI_CPU_MAX && bi.cpu_total == BI_CPU_MAX && cpus_left_out(&bi) == 0);
    CHECK(bi.boot_cpu == BI_CPU_MAX - want && bi.cpu_error == 0);
    free(c);
    free(dtb);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_cpus virt-...-smpN-....dtb...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        qemu_virt(argv[i]);
    }
    return test_finish("test_cpus");
}

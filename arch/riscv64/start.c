/* SPDX-License-Identifier: MIT */
/* The riscv64 C entry: the DTB's facts the arch itself needs, then keel_main; the small hooks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/arch.h>
#include <keel/board.h>
#include <keel/errors.h>
#include <keel/fmt.h>
#include <keel/init.h>
#include <keel/layout.h>
#include <keel/memory.h>
#include <keel/smp.h>

#include "board_fdt.h"
#include "devicetree.h"

#include <rv/csr.h>
#include <rv/rv.h>

_Static_assert(KERNEL_VBASE == 0xffffffff80000000, "entry.S maps KERNEL_VBASE at 511/510/0");
_Static_assert(KERNEL_MAX_SIZE == RV_KERNEL_2M_LEAVES * RV_BLOCK_2M_SIZE,
               "entry.S maps KERNEL_MAX_SIZE in 2 MiB leaves");
_Static_assert(BOOT_STACK_SIZE % 16 == 0, "the RISC-V psABI stack is 16-byte aligned");

/* The most of a DTB the entry maps for the shim; a larger totalsize is the shim's to refuse. */
#define DTB_MAP_MAX UINT64_C(0x2000000)
#define FDT_MAGIC 0xd00dfeedu

/* entry_state on riscv64: the privilege mode the loader entered in, always S (1). */
#define RV_ENTRY_SUPERVISOR 1u

const char arch_name[] = "riscv64";

uint64_t rv_entry_cycles_value;
uint64_t rv_phys_base;
uint64_t rv_boot_hart;
uint64_t rv_boot_satp;
uint64_t rv_timebase_hz;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The DTB's pages, as normal memory: the header's page first, then as much as
 * totalsize says (capped), so that the shim can read the tree or report what is wrong
 * with it. A DTB address of 0 or one that is not 8-byte aligned maps nothing: the shim
 * then says so.
 */
static const void *map_dtb(uint64_t dtb_pa, uint32_t *size)
{
    uint64_t page = dtb_pa & ~(uint64_t)(PAGE_SIZE - 1);

    *size = 0;
    if (dtb_pa == 0 || (dtb_pa & 7) != 0 || arch_early_map(page, PAGE_SIZE, PT_MEM_NORMAL) != 0) {
        return NULL;
    }
    const uint8_t *head = arch_early_phys_ptr(dtb_pa, 8);
    if (head == NULL || be32(head) != FDT_MAGIC) {
        return NULL;
    }
    uint64_t len = be32(head + 4);
    len = len < 8 ? 8 : len > DTB_MAP_MAX ? DTB_MAP_MAX : len;
    uint64_t end = (dtb_pa + len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
    if (arch_early_map(page, end - page, PT_MEM_NORMAL) != 0) {
        return NULL;
    }
    *size = (uint32_t)len;
    return arch_early_phys_ptr(dtb_pa, len);
}

/* A sifive,test0 finisher the DTB names: the first enabled node with a reg. */
static uint64_t dtb_finisher(const struct fdt *fdt)
{
    struct fdt_path path = {.depth = 0};
    struct fdt_prop prop;
    uint64_t base, len;
    uint32_t count;

    while (fdt_walk_next(fdt, &path)) {
        uint32_t node = path.node[path.depth - 1];
        if (fdt_node_enabled(fdt, node) && fdt_get_prop(fdt, node, "compatible", &prop) &&
            fdt_prop_has_string(&prop, "sifive,test0") &&
            fdt_reg(fdt, &path, 0, &base, &len, &count) == KEEL_OK && base != 0) {
            return base;
        }
    }
    return 0;
}

/* The board table's finisher: the DTB's board's, or, with no DTB to read, this arch's. */
static uint64_t board_finisher(const struct fdt *fdt)
{
    if (fdt != NULL) {
        return board_lookup(fdt)->test_finisher;
    }
    for (size_t i = 0; i < board_count; i++) {
        if (board_table[i].arch != NULL && strcmp(board_table[i].arch, arch_name) == 0 &&
            board_table[i].test_finisher != 0) {
            return board_table[i].test_finisher;
        }
    }
    return 0;
}

/*
 * Whether an enabled hart's mmu-type (the RISC-V CPU binding's "riscv,sv39",
 * "riscv,sv48", "riscv,sv57") rules Sv48 out. One table serves every hart, so it takes
 * the mode they all have: a hart with Sv57 has Sv48, one with Sv48 has Sv39.
 */
static bool dtb_sv39_only(const struct fdt *fdt)
{
    struct fdt_path path;
    struct fdt_prop prop;
    uint32_t cpu;

    if (fdt_find_path(fdt, "/cpus", 5, &path) != KEEL_OK ||
        !fdt_first_child(fdt, path.node[path.depth - 1], &cpu)) {
        return false;
    }
    do {
        if (fdt_node_enabled(fdt, cpu) && fdt_get_prop(fdt, cpu, "mmu-type", &prop) &&
            fdt_prop_has_string(&prop, "riscv,sv39")) {
            return true;
        }
    } while (fdt_next_sibling(fdt, cpu, &cpu));
    return false;
}

/*
 * What the arch reads from the DTB itself, before the shim: the paging mode of Keel's
 * own table (Sv48 unless the entry fell back to Sv39 or a hart's mmu-type says Sv39),
 * the timebase (the time CSR's frequency, /cpus/timebase-frequency) and the exit
 * device, a sifive,test0 finisher, which carries an exit code out of QEMU where the
 * SBI's reset cannot (the DTB's, else the board table's, which also serves a DTB that
 * does not parse: the shim's one error line must still leave with its code).
 */
static void read_arch_facts(const void *dtb, uint32_t size)
{
    static struct fdt fdt;
    const struct fdt *parsed = NULL;
    struct fdt_path path;
    struct fdt_prop prop;
    uint64_t finisher = 0;

    if (rv_boot_satp >> RV_SATP_MODE_SHIFT == RV_SATP_MODE_SV39) {
        rv_va_bits = RV_SV39_VA_BITS;
    }
    if (dtb != NULL && fdt_init(&fdt, dtb, size) == KEEL_OK) {
        parsed = &fdt;
        if (dtb_sv39_only(&fdt)) {
            rv_va_bits = RV_SV39_VA_BITS;
        }
        if (fdt_find_path(&fdt, "/cpus", 5, &path) == KEEL_OK &&
            fdt_get_prop(&fdt, path.node[path.depth - 1], "timebase-frequency", &prop)) {
            (void)fdt_prop_u64(&prop, &rv_timebase_hz);
        }
        finisher = dtb_finisher(&fdt);
    }
    if (finisher == 0) {
        finisher = board_finisher(parsed);
    }
    if (finisher != 0 && arch_early_map(finisher & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE,
                                        PT_MEM_DEVICE) == KEEL_OK) {
        rv_exit_init(finisher);
    }
}

noreturn void rv_start(uint64_t dtb_pa, uint64_t hart)
{
    uint32_t size;

    (void)hart;
    read_arch_facts(map_dtb(dtb_pa, &size), size);
    keel_main(&(struct keel_entry){.protocol = BI_PROTO_FDT,
                                   .entry_state = RV_ENTRY_SUPERVISOR,
                                   .info_pa = dtb_pa,
                                   .loader = "qemu"});
}

uint64_t arch_entry_cycles(void)
{
    return rv_entry_cycles_value;
}

uint64_t arch_cycles(void)
{
    uint64_t v;
    __asm__ volatile("rdtime %0" : "=r"(v) : : "memory");
    return v;
}

uint64_t arch_cycles_per_second(void)
{
    return rv_timebase_hz;
}

/*
 * The hart id: S-mode cannot read mhartid. The boot hart's is what the loader passed in
 * a0; a secondary hart's tp points at its per-CPU area, which holds the id it was
 * started with (the boot hart's tp stays 0).
 */
uint64_t arch_cpu_id(void)
{
    const struct percpu *pc = (const struct percpu *)(uintptr_t)arch_percpu();

    return pc != NULL ? pc->cpu.id : rv_boot_hart;
}

uint64_t arch_kernel_phys_base(void)
{
    return rv_phys_base;
}

void arch_report_entry(const struct sink *s, uint32_t entry_state)
{
    sink_printf(s, "\"entry_mode\": \"%s\"", entry_state == RV_ENTRY_SUPERVISOR ? "S" : "?");
}

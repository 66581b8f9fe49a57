/* SPDX-License-Identifier: MIT */
/* Golden values: the real entries against the SDM, Arm ARM and RISC-V privileged layouts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <keel/addr.h>
#include <keel/page_table.h>

#include <arch/pte.h>

#include "fake_phys.h"

static int failures;

#define EXPECT_EQ(got, want)                                                                       \
    do {                                                                                           \
        uint64_t got_ = (uint64_t)(got);                                                           \
        uint64_t want_ = (uint64_t)(want);                                                         \
        if (got_ != want_) {                                                                       \
            fprintf(stderr, "%s:%d: %s = 0x%016" PRIx64 ", want 0x%016" PRIx64 "\n", __FILE__,     \
                    __LINE__, #got, got_, want_);                                                  \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define RW (PT_READ | PT_WRITE)
#define RX (PT_READ | PT_EXEC)

/*
 * Every real encoding has the same index bits; where a table's address sits is the
 * hardware's: bits 47:12 of the entry on x86_64 and aarch64, the PPN in bits 53:10 on
 * RISC-V. The raw walk below uses no primitive of arch/pte.h: it follows the manuals.
 */
#if defined(PT_GOLDEN_RISCV64)
#define RAW_ADDR UINT64_C(0x003ffffffffffc00)
#define RAW_TABLE_PA(e) ((((e)&RAW_ADDR) >> 10) << 12)
#else
#define RAW_ADDR UINT64_C(0x0000fffffffff000)
#define RAW_TABLE_PA(e) ((e)&RAW_ADDR)
#endif

/* The raw entry at `level` (the builder's numbering) on the way to va, from the root. */
static uint64_t raw_entry(const struct page_table *pt, uint64_t va, int level)
{
    uint64_t table = pt->root.pa;

    for (int l = pt->root_level;; l++) {
        const uint64_t *t = pt->ops.phys_to_virt(pt->ops.ctx, pa_init(table));
        uint64_t e = t[(va >> (39 - 9 * l)) & 511];
        if (l == level) {
            return e;
        }
        table = RAW_TABLE_PA(e);
    }
}

#if defined(PT_GOLDEN_X86_64)
/* Intel SDM vol. 3A, tables 4-15 to 4-20; PAT index 1 = WC, 3 = UC (arch/pte.h). */
static void golden_entries(void)
{
    /* 2 MiB, RW, NX: P | R/W | A | D | PS, XD (bit 63). */
    EXPECT_EQ(pte_leaf(2, pa_init(0x200000), RW), 0x80000000002000e3);
    /* 4 KiB, read-only, executable: P | A | D, XD clear, bit 7 (PAT) clear. */
    EXPECT_EQ(pte_leaf(3, pa_init(0x1234000), RX), 0x0000000001234061);
    /* 1 GiB, RW, uncached device: PWT | PCD (PAT index 3). */
    EXPECT_EQ(pte_leaf(1, pa_init(0x40000000), RW | PT_MEM_DEVICE), 0x80000000400000fb);
    /* 4 KiB, RW, write-combining: PWT only (PAT index 1). */
    EXPECT_EQ(pte_leaf(3, pa_init(0xfd000000), RW | PT_MEM_WC), 0x80000000fd00006b);
    /* A table entry: P | R/W, no XD, U/S clear. */
    EXPECT_EQ(pte_table(0, pa_init(0x5000)), 0x5003);
    EXPECT_EQ(pte_table(2, pa_init(0xfffffffff000)), 0x0000fffffffff003);
    /* Decoding: PAT bit 12 of a large leaf is not address; PAT bit 7 of a PTE is not PS. */
    EXPECT_EQ(pte_addr(2, 0x80000000002010e3).pa, 0x200000);
    EXPECT_EQ(pte_addr(1, 0x800000004000108b).pa, 0x40000000);
    EXPECT_EQ(pte_addr(3, 0x0000000001235081).pa, 0x1235000);
    EXPECT_EQ(pte_is_table(3, 0x0000000001235003), 0);
    EXPECT_EQ(pte_is_table(2, 0x00000000002000e3), 0);
    EXPECT_EQ(pte_is_table(0, 0x0000000000005083), 1); /* PS is reserved in a PML4E */
    EXPECT_EQ(pte_flags(3, 0x8000000001235089), PT_READ | PT_MEM_DEVICE); /* PAT index 5 */
    EXPECT_EQ(pte_flags(2, 0x80000000002000e3), RW | PT_MEM_NORMAL);
    EXPECT_EQ(pte_flags(3, 0x80000000fd00006b), RW | PT_MEM_WC);
    EXPECT_EQ(pte_is_valid(0, 0x5002), 0);
    EXPECT_EQ(PTE_X86_PAT_VALUE, 0x0007040600070106);
}

static const uint64_t want_table_low = 0x003;
static const uint64_t want_kernel_2m = 0x80000000002000e3;
#define KERNEL_PA 0x200000
#elif defined(PT_GOLDEN_AARCH64)
/* Arm ARM (DDI 0487) VMSAv8-64 descriptors; AttrIndx 0 device, 1 normal, 2 normal NC. */
static void golden_entries(void)
{
    /* Level-2 block, RW, PXN + UXN: 0b01 | AttrIndx 1 | SH 0b11 | AF. */
    EXPECT_EQ(pte_leaf(2, pa_init(0x200000), RW), 0x0060000000200705);
    /* Level-3 page, text: 0b11 | AttrIndx 1 | AP[2] (read-only) | SH | AF, UXN only. */
    EXPECT_EQ(pte_leaf(3, pa_init(0x40081000), RX), 0x0040000040081787);
    /* Level-3 page, PL011: AttrIndx 0 (Device-nGnRnE), SH 0b00, AF, PXN + UXN. */
    EXPECT_EQ(pte_leaf(3, pa_init(0x09000000), RW | PT_MEM_DEVICE), 0x0060000009000403);
    /* Level-1 block, read-only framebuffer-style: AttrIndx 2 (Normal NC). */
    EXPECT_EQ(pte_leaf(1, pa_init(0x40000000), PT_READ | PT_MEM_WC), 0x0060000040000789);
    /* A table descriptor: 0b11 and the address; PXNTable, XNTable, APTable all zero. */
    EXPECT_EQ(pte_table(0, pa_init(0x5000)), 0x5003);
    /* The entry code's own block encoding (a64/sysreg.h) is the same bit pattern. */
    EXPECT_EQ(pte_leaf(2, pa_init(0x40200000), RW),
              0x40200000 | A64_PTE_BLOCK | A64_PTE_ATTR(A64_ATTR_NORMAL) | A64_PTE_SH_INNER |
                  A64_PTE_AF | A64_PTE_PXN | A64_PTE_UXN);
    /* 0b01 is a block at levels 1 and 2 only: invalid at level 0 and at level 3. */
    EXPECT_EQ(pte_is_valid(0, 0x40000705), 0);
    EXPECT_EQ(pte_is_valid(3, 0x40000705), 0);
    EXPECT_EQ(pte_is_valid(1, 0x40000705), 1);
    EXPECT_EQ(pte_is_table(3, 0x40000707), 0);
    EXPECT_EQ(pte_addr(1, 0x0060000040000789).pa, 0x40000000);
    EXPECT_EQ(pte_flags(3, 0x0040000040081787), RX | PT_MEM_NORMAL);
    EXPECT_EQ(pte_flags(3, 0x0060000009000403), RW | PT_MEM_DEVICE);
    EXPECT_EQ(A64_MAIR_EL1_VALUE, 0x44ff00);
}

static const uint64_t want_table_low = 0x3;
static const uint64_t want_kernel_2m = 0x0060000040200705;
#define KERNEL_PA 0x40200000
#elif defined(PT_GOLDEN_RISCV64)
/*
 * RISC-V privileged architecture, Sv48 entries: V R W X U G A D in bits 0-7, RSW in 9:8
 * (Keel's memory type: 0 normal, 1 device, 2 write-combining), the PPN in 53:10.
 */
static void golden_entries(void)
{
    /* 2 MiB leaf, RW: PPN 0x80200 | V R W A D G. */
    EXPECT_EQ(pte_leaf(2, pa_init(0x80200000), RW), 0x00000000200800e7);
    /* 4 KiB page, text: V R X A D G. */
    EXPECT_EQ(pte_leaf(3, pa_init(0x80201000), RX), 0x00000000200804eb);
    /* 4 KiB page, the ns16550a: RSW 1 (device), no X. */
    EXPECT_EQ(pte_leaf(3, pa_init(0x10000000), RW | PT_MEM_DEVICE), 0x00000000040001e7);
    /* 1 GiB leaf, read-only, write-combining: RSW 2. */
    EXPECT_EQ(pte_leaf(1, pa_init(0x40000000), PT_READ | PT_MEM_WC), 0x00000000100002e3);
    /* A table entry: V alone (R, W, X, A, D, U clear) and the PPN. */
    EXPECT_EQ(pte_table(0, pa_init(0x5000)), 0x1401);
    EXPECT_EQ(pte_table(1, pa_init(0xfffffffff000)), 0x00003ffffffffc01);
    /* The entry code's kernel leaves (entry.S): the same bits with W and X both set. */
    EXPECT_EQ(pte_leaf(2, pa_init(0x80200000), RW | PT_EXEC), 0x20080000 | RV_PTE_V | RV_PTE_R |
                                                                  RV_PTE_W | RV_PTE_X | RV_PTE_A |
                                                                  RV_PTE_D | RV_PTE_G);
    /* A table at level 3 is invalid, and so is W without R at any level. */
    EXPECT_EQ(pte_is_valid(3, 0x1401), 0);
    EXPECT_EQ(pte_is_valid(2, 0x20080005), 0);
    EXPECT_EQ(pte_is_valid(0, 0x1401), 1);
    EXPECT_EQ(pte_is_table(2, 0x200800e7), 0);
    EXPECT_EQ(pte_is_table(0, 0x1401), 1);
    /* A large leaf's PPN below its size is not address (it must be zero, else a fault). */
    EXPECT_EQ(pte_addr(2, 0x200804e7).pa, 0x80200000);
    EXPECT_EQ(pte_addr(3, 0x200804eb).pa, 0x80201000);
    EXPECT_EQ(pte_flags(3, 0x200804eb), RX | PT_MEM_NORMAL);
    EXPECT_EQ(pte_flags(3, 0x040001e7), RW | PT_MEM_DEVICE);
    EXPECT_EQ(pte_flags(1, 0x100002e3), PT_READ | PT_MEM_WC);
    EXPECT_EQ(pte_flags(3, 0x040003e7), RW | PT_MEM_DEVICE); /* RSW 3 is not Keel's */
}

static const uint64_t want_table_low = 0x1;
static const uint64_t want_kernel_2m = 0x00000000200800e7;
#define KERNEL_PA 0x80200000
#else
#error "pt_golden.c is built for a real arch: define PT_GOLDEN_X86_64, _AARCH64 or _RISCV64"
#endif

/* The builder's own output, read back raw: the kernel text's 2 MiB at KERNEL_VBASE + 2 MiB. */
static void golden_tree(void)
{
    struct fake_phys fp;
    struct page_table pt;
    uint64_t va = 0xffffffff80200000;

    fake_phys_init(&fp, 0x10000000, 64, 1);
    struct pt_ops ops = fake_phys_ops(&fp, true, false);
    EXPECT_EQ(pt_create(&pt, &ops), 0);
    EXPECT_EQ(pt_map(&pt, va_init(va), pa_init(KERNEL_PA), 0x200000, RW), 0);
    EXPECT_EQ(raw_entry(&pt, va, 0) & ~RAW_ADDR, want_table_low);
    EXPECT_EQ(raw_entry(&pt, va, 1) & ~RAW_ADDR, want_table_low);
    EXPECT_EQ(raw_entry(&pt, va, 2), want_kernel_2m);
    /* Every other root entry is zero: the hardware's "not present" / "invalid". */
    const uint64_t *root = pt.ops.phys_to_virt(pt.ops.ctx, pt.root);
    for (int i = 0; i < 511; i++) {
        EXPECT_EQ(root[i], 0);
    }
    pt_destroy(&pt);
    fake_phys_fini(&fp);
}

#if defined(PT_GOLDEN_RISCV64)
/*
 * Sv39 (privileged architecture, "Sv39: Page-Based 39-bit Virtual-Memory System"): the
 * root indexes VA[38:30], so KERNEL_VBASE + 2 MiB is root entry 510, then level-2 entry
 * 1, with the same entries as Sv48's lower levels; every other root entry is zero.
 */
static void golden_tree_sv39(void)
{
    struct fake_phys fp;
    struct page_table pt;
    uint64_t va = 0xffffffff80200000;

    fake_phys_init(&fp, 0x10000000, 64, 1);
    struct pt_ops ops = fake_phys_ops(&fp, true, false);
    ops.va_bits = 39;
    EXPECT_EQ(pt_create(&pt, &ops), 0);
    EXPECT_EQ(pt.root_level, 1);
    EXPECT_EQ(pt_map(&pt, va_init(va), pa_init(KERNEL_PA), 0x200000, RW), 0);
    const uint64_t *root = pt.ops.phys_to_virt(pt.ops.ctx, pt.root);
    EXPECT_EQ(root[510] & ~RAW_ADDR, want_table_low);
    const uint64_t *l2 = pt.ops.phys_to_virt(pt.ops.ctx, pa_init(RAW_TABLE_PA(root[510])));
    EXPECT_EQ(l2[1], want_kernel_2m);
    for (int i = 0; i < 512; i++) {
        EXPECT_EQ(i == 510 || root[i] == 0, 1);
    }
    /* A 1 GiB leaf in the root: the first gigabyte of the 39-bit upper half, entry 256. */
    EXPECT_EQ(pt_map(&pt, va_init(0xffffffc000000000), pa_init(0x80000000), 0x40000000, RW), 0);
    EXPECT_EQ(root[256], pte_leaf(1, pa_init(0x80000000), RW));
    EXPECT_EQ(root[256], 0x00000000200000e7);
    pt_destroy(&pt);
    fake_phys_fini(&fp);
}
#endif

int main(void)
{
    golden_entries();
    golden_tree();
#if defined(PT_GOLDEN_RISCV64)
    golden_tree_sv39();
#endif
    if (failures != 0) {
        printf("FAIL: %d golden values differ\n", failures);
        return 1;
    }
    printf("PASS\n");
    return 0;
}

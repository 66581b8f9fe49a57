/* SPDX-License-Identifier: MIT */
/* The one structure every boot shim fills and the common init sequence reads. */
#ifndef KEEL_BOOT_INFO_H
#define KEEL_BOOT_INFO_H

#include <stdint.h>

#include <keel/cdefs.h>

/*
 * Every field is fixed-width and every array has an explicit count, so that the
 * layout is the same in the kernel, in the host tools and in the tests. Strings are
 * NUL-terminated inside their arrays; a shim refuses input that does not fit rather
 * than truncating it.
 */

#define BOOT_INFO_MAGIC UINT64_C(0x4f464e494c45454b) /* "KEELINFO" in memory order */
#define BOOT_INFO_VERSION 6u

#define BI_MEM_MAX 1024u
#define BI_MODULE_MAX 256u
#define BI_CPU_MAX 512u
#define BI_CMDLINE_MAX 4096u
#define BI_LOADER_MAX 64u
#define BI_NAME_MAX 256u
#define BI_MOD_CMDLINE_MAX 1024u

/* How the kernel was entered. */
enum bi_protocol {
    BI_PROTO_NONE = 0,
    BI_PROTO_MULTIBOOT2 = 1,
    BI_PROTO_FDT = 2,
    BI_PROTO_UEFI = 3,
};

/* x86_64 entry_state values: the CPU mode the loader handed over. */
enum bi_x86_mode {
    BI_X86_PROTECTED32 = 1, /* multiboot2 on BIOS: 32-bit protected mode, paging off */
    BI_X86_LONG64 = 2,      /* already in long mode (UEFI) */
};

/*
 * Memory types in increasing precedence: where input ranges overlap, the type with
 * the larger value wins. Usable loses to everything; reserved and bad win over
 * everything the loader or Keel itself claimed.
 */
enum bi_mem_type {
    BI_MEM_USABLE = 1,
    BI_MEM_BOOTLOADER_RECLAIMABLE = 2,
    BI_MEM_BOOT_INFO = 3,
    BI_MEM_MODULE = 4,
    BI_MEM_KERNEL = 5,
    BI_MEM_FRAMEBUFFER = 6,
    BI_MEM_ACPI_RECLAIMABLE = 7,
    BI_MEM_ACPI_NVS = 8,
    /*
     * UEFI runtime-services code and data: RAM the firmware keeps after ExitBootServices,
     * which a kernel that calls runtime services must leave alone and keep mapped.
     */
    BI_MEM_EFI_RUNTIME = 9,
    BI_MEM_RESERVED = 10,
    BI_MEM_BAD = 11,
    BI_MEM_TYPE_MAX = BI_MEM_BAD,
};

/* Where a memory range came from. */
enum bi_mem_source {
    BI_SRC_NONE = 0,
    BI_SRC_MB2_MMAP = 1,       /* multiboot2 memory map tag (e820) */
    BI_SRC_MB2_EFI_MMAP = 2,   /* multiboot2 EFI memory map tag */
    BI_SRC_MB2_INFO = 3,       /* the multiboot2 information structure itself */
    BI_SRC_MB2_MODULE = 4,     /* a multiboot2 module */
    BI_SRC_FDT_MEMORY = 5,     /* a /memory node */
    BI_SRC_FDT_MEMRESERVE = 6, /* the DTB's /memreserve/ block */
    BI_SRC_FDT_RESERVED = 7,   /* a /reserved-memory child with reg */
    BI_SRC_DTB = 8,            /* the DTB blob itself */
    BI_SRC_INITRD = 9,         /* /chosen linux,initrd-start..end */
    BI_SRC_KERNEL = 10,        /* Keel's own image */
    BI_SRC_FRAMEBUFFER = 11,   /* the framebuffer the loader reported */
    BI_SRC_EFI_MMAP = 12,      /* a UEFI GetMemoryMap result */
    BI_SRC_EFI_HANDOFF = 13,   /* what Keel's EFI entry handed the UEFI shim, and its map */
    BI_SRC_EFI_MODULE = 14,    /* a file Keel's EFI entry loaded (keel.cfg's module) */
    BI_SRC_MAX = BI_SRC_EFI_MODULE,
};

struct bi_mem_range {
    uint64_t base;
    uint64_t size;
    uint32_t type;   /* enum bi_mem_type */
    uint32_t source; /* enum bi_mem_source */
};

struct bi_module {
    uint64_t base; /* physical */
    uint64_t size;
    char name[BI_NAME_MAX];
    char cmdline[BI_MOD_CMDLINE_MAX];
};

enum bi_fb_source {
    BI_FB_NONE = 0,
    BI_FB_MULTIBOOT2 = 1,
    BI_FB_RAMFB = 2,
    BI_FB_SIMPLE_FRAMEBUFFER = 3,
    BI_FB_GOP = 4,
    BI_FB_RPI_MAILBOX = 5, /* the Raspberry Pi's VideoCore, through its mailbox */
    BI_FB_BOCHS_PCI = 6,   /* QEMU's bochs-display (or standard VGA) on a PCI bus Keel sets up */
};

/* A linear RGB framebuffer. */
struct bi_framebuffer {
    uint64_t base; /* physical */
    uint32_t width;
    uint32_t height;
    uint32_t pitch; /* bytes per scanline */
    uint8_t bpp;
    uint8_t red_pos, red_size;
    uint8_t green_pos, green_size;
    uint8_t blue_pos, blue_size;
    uint8_t reserved0;
    uint32_t source; /* enum bi_fb_source; BI_FB_NONE when there is none */
    uint32_t reserved1;
};

/*
 * A framebuffer device that Keel programs itself: which driver of drivers/fb/ serves it
 * (its source id) and where its registers are. The FDT shim records the one it matched
 * (ramfb: QEMU's fw_cfg), and separately a bus whose devices a driver looks through (a
 * PCI host bridge: its configuration space, and the memory window the driver may place
 * a device's BARs in); the platform fix-ups at the end of the shim stage run the
 * device's setup, then, while there is still no framebuffer, the bus's, each of which
 * fills `framebuffer` when no loader did. driver BI_FB_NONE: none.
 */
struct bi_fb_device {
    uint32_t driver; /* enum bi_fb_source */
    uint32_t reserved;
    uint64_t base;        /* physical MMIO address of its registers (a bus's: its config space) */
    uint64_t size;        /* bytes of the register window the DTB gives (reg's size) */
    uint64_t window_base; /* a bus's memory window, CPU address = bus address; 0 for a device */
    uint64_t window_size;
};

/*
 * The serial console: which driver serves it (drivers/uart/, one kind per driver) and
 * where its registers are. The FDT shim fills it from the device the DTB names
 * (docs/console.md); the multiboot2 shim leaves it NONE, and the console stays on the
 * arch's fixed UART.
 */
enum bi_console_kind {
    BI_CONSOLE_NONE = 0,
    BI_CONSOLE_NS16550_PIO = 1,  /* a 16550 behind I/O ports; base is the first port */
    BI_CONSOLE_PL011 = 2,        /* an Arm PL011; base is a physical MMIO address */
    BI_CONSOLE_NS16550_MMIO = 3, /* a 16550 in MMIO space, reg_shift and reg_io_width apply */
    BI_CONSOLE_BCM2835_AUX = 4,  /* the Raspberry Pi's aux mini-UART; base is its MMIO address */
    BI_CONSOLE_FIRMWARE = 5,     /* the firmware's console call (riscv64: the SBI's); no base */
};

struct bi_console {
    uint32_t kind;        /* enum bi_console_kind: the driver's id */
    uint8_t reg_shift;    /* register n lies at base + (n << reg_shift) */
    uint8_t reg_io_width; /* bytes per register access: 1, 2 or 4 */
    uint16_t reserved;
    uint64_t base; /* physical MMIO address, or the I/O port */
    uint64_t size; /* bytes of the register window the DTB gives (reg's size) */
};

/*
 * What a kernel needs of UEFI after ExitBootServices. system_table is 0 when the boot
 * did not come through UEFI firmware (or the loader did not say: a multiboot2 loader
 * passes it in its EFI64 system-table tag).
 */
struct bi_efi {
    uint64_t system_table;  /* physical address of the EFI_SYSTEM_TABLE */
    uint32_t exit_attempts; /* Keel's ExitBootServices calls until one succeeded; 0: not Keel's */
    uint32_t reserved;
};

/* How a CPU is started (its record's method). NONE: Keel knows no way to start it. */
enum bi_cpu_method {
    BI_CPU_METHOD_NONE = 0,
    BI_CPU_METHOD_ACPI_MADT = 1,  /* x86_64: INIT-SIPI-SIPI to the APIC ID the MADT lists */
    BI_CPU_METHOD_PSCI = 2,       /* aarch64: PSCI CPU_ON through boot_info.psci_conduit */
    BI_CPU_METHOD_SPIN_TABLE = 3, /* aarch64: the entry written to release_addr, then sev */
    BI_CPU_METHOD_SBI_HSM = 4,    /* riscv64: the SBI's HSM hart_start (no enable-method) */
};

/* The PSCI conduit, from the /psci node's method (never guessed from the exception level). */
enum bi_psci_conduit {
    BI_PSCI_NONE = 0, /* no /psci node, or a method that is neither "hvc" nor "smc" */
    BI_PSCI_HVC = 1,
    BI_PSCI_SMC = 2,
};

/* bi_cpu.flags */
#define BI_CPU_ENABLED 1u        /* usable at boot: MADT Enabled, or a cpu node not "fail" */
#define BI_CPU_ONLINE_CAPABLE 2u /* MADT: not enabled, but may be brought online later */
#define BI_CPU_X2APIC 4u         /* MADT: listed by a Local x2APIC entry */
#define BI_CPU_BOOT 8u           /* the CPU the boot runs on (boot_info.boot_cpu) */

/* One CPU the firmware describes. */
struct bi_cpu {
    uint64_t id;           /* x86_64: the APIC ID; aarch64: the MPIDR affinity (reg) */
    uint64_t release_addr; /* spin-table: cpu-release-addr (physical); 0 otherwise */
    uint32_t method;       /* enum bi_cpu_method */
    uint32_t flags;        /* BI_CPU_* */
    uint32_t error;        /* keel_err: why this CPU cannot be started, 0 when it can */
    uint32_t reserved;
};

struct boot_info {
    uint64_t magic;   /* BOOT_INFO_MAGIC */
    uint32_t version; /* BOOT_INFO_VERSION */
    uint32_t size;    /* sizeof(struct boot_info) */

    uint32_t protocol;    /* enum bi_protocol */
    uint32_t entry_state; /* aarch64: exception level at entry; x86_64: enum bi_x86_mode */

    char loader[BI_LOADER_MAX];
    char cmdline[BI_CMDLINE_MAX];

    uint64_t kernel_base; /* physical range of Keel's image */
    uint64_t kernel_size;
    uint64_t info_base; /* the loader's own structure: multiboot2 info or DTB */
    uint64_t info_size;
    uint64_t dtb_base; /* 0 when the loader gave no DTB */
    uint64_t dtb_size;
    uint64_t initrd_base; /* 0 when there is no initrd */
    uint64_t initrd_size;
    uint64_t rsdp; /* physical address of the ACPI RSDP (or its copy), 0 if none */
    uint32_t rsdp_revision;

    /*
     * The CPUs, in the order the MADT or /cpus lists them. cpu_total counts every CPU
     * the firmware described; when it is larger than cpu_count, cpus[] was full and the
     * rest are left offline (the boot's summary says how many, never silently).
     */
    uint32_t cpu_count;    /* records in cpus[], the boot CPU included */
    uint32_t cpu_total;    /* CPUs described, recorded or not */
    uint32_t boot_cpu;     /* index in cpus[] of the CPU the boot runs on */
    uint32_t cpu_method;   /* enum bi_cpu_method of the machine: the first CPU's with one */
    uint32_t psci_conduit; /* enum bi_psci_conduit (aarch64) */
    uint32_t psci_version; /* aarch64: PSCI_VERSION's answer, major << 16 | minor; 0 if none */
    uint32_t reserved2;
    uint32_t cpu_error; /* keel_err of a CPU list problem the boot survives (a warning), 0 */
    uint64_t intc_base; /* x86_64: the local APIC's physical base (MADT); 0 otherwise */
    struct bi_cpu cpus[BI_CPU_MAX];

    struct bi_console console;
    /* QEMU's fw_cfg registers, 0 if none: the ramfb driver's device (drivers/fb/ramfb.c). */
    uint64_t fw_cfg_base;
    struct bi_framebuffer framebuffer;
    uint32_t framebuffer_error; /* keel_err why the loader's framebuffer was refused, or 0 */
    uint32_t reserved1;
    struct bi_fb_device framebuffer_device; /* the device a driver's setup programs, if any */
    struct bi_fb_device framebuffer_bus;    /* the bus a driver's setup looks through, if any */
    struct bi_efi efi;

    uint32_t mem_count;
    uint32_t module_count;
    struct bi_mem_range mem[BI_MEM_MAX]; /* sorted, disjoint, merged */
    struct bi_module modules[BI_MODULE_MAX];
};

KEEL_STATIC_ASSERT(sizeof(struct bi_mem_range) == 24, "bi_mem_range layout");
KEEL_STATIC_ASSERT(sizeof(struct bi_framebuffer) == 40, "bi_framebuffer layout");
KEEL_STATIC_ASSERT(sizeof(struct bi_console) == 24, "bi_console layout");
KEEL_STATIC_ASSERT(sizeof(struct bi_fb_device) == 40, "bi_fb_device layout");
KEEL_STATIC_ASSERT(sizeof(struct bi_efi) == 16, "bi_efi layout");
KEEL_STATIC_ASSERT(sizeof(struct bi_cpu) == 32, "bi_cpu layout");
KEEL_STATIC_ASSERT(sizeof(struct boot_info) % 8 == 0, "boot_info is a whole number of words");

KEEL_BEGIN_DECLS

/* Names used by the boot report and keel-bootinfo. Never NULL. */
const char *bi_mem_type_name(uint32_t type);
const char *bi_mem_source_name(uint32_t source);
const char *bi_protocol_name(uint32_t protocol);
const char *bi_fb_source_name(uint32_t source);
const char *bi_cpu_method_name(uint32_t method);
const char *bi_psci_conduit_name(uint32_t conduit);

/* Resets *bi to an empty, valid boot_info (magic, version and size set). */
void bi_init(struct boot_info *bi);

KEEL_END_DECLS

#endif

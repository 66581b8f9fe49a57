/* SPDX-License-Identifier: MIT */
/* Names for boot_info enums and error codes, as the boot report and the tools print them. */
#include <string.h>

#include <keel/boot_info.h>
#include <keel/errors.h>

static const char *const mem_type_names[] = {
    [BI_MEM_USABLE] = "usable",
    [BI_MEM_BOOTLOADER_RECLAIMABLE] = "bootloader_reclaimable",
    [BI_MEM_BOOT_INFO] = "boot_info",
    [BI_MEM_MODULE] = "module",
    [BI_MEM_KERNEL] = "kernel",
    [BI_MEM_FRAMEBUFFER] = "framebuffer",
    [BI_MEM_ACPI_RECLAIMABLE] = "acpi_reclaimable",
    [BI_MEM_ACPI_NVS] = "acpi_nvs",
    [BI_MEM_EFI_RUNTIME] = "efi_runtime",
    [BI_MEM_RESERVED] = "reserved",
    [BI_MEM_BAD] = "bad",
};

static const char *const mem_source_names[] = {
    [BI_SRC_NONE] = "none",
    [BI_SRC_MB2_MMAP] = "multiboot2-mmap",
    [BI_SRC_MB2_EFI_MMAP] = "multiboot2-efi-mmap",
    [BI_SRC_MB2_INFO] = "multiboot2-info",
    [BI_SRC_MB2_MODULE] = "multiboot2-module",
    [BI_SRC_FDT_MEMORY] = "dtb-memory",
    [BI_SRC_FDT_MEMRESERVE] = "dtb-memreserve",
    [BI_SRC_FDT_RESERVED] = "dtb-reserved-memory",
    [BI_SRC_DTB] = "dtb",
    [BI_SRC_INITRD] = "initrd",
    [BI_SRC_KERNEL] = "kernel",
    [BI_SRC_FRAMEBUFFER] = "framebuffer",
    [BI_SRC_EFI_MMAP] = "efi-mmap",
    [BI_SRC_EFI_HANDOFF] = "efi-handoff",
    [BI_SRC_EFI_MODULE] = "efi-module",
};

static const char *const protocol_names[] = {
    [BI_PROTO_NONE] = "none",
    [BI_PROTO_MULTIBOOT2] = "multiboot2",
    [BI_PROTO_FDT] = "fdt",
    [BI_PROTO_UEFI] = "uefi",
};

static const char *const fb_source_names[] = {
    [BI_FB_NONE] = "none",
    [BI_FB_MULTIBOOT2] = "multiboot2",
    [BI_FB_RAMFB] = "ramfb",
    [BI_FB_SIMPLE_FRAMEBUFFER] = "simple-framebuffer",
    [BI_FB_GOP] = "gop",
    [BI_FB_RPI_MAILBOX] = "rpi-mailbox",
    [BI_FB_BOCHS_PCI] = "bochs-pci",
};

static const char *const error_messages[] = {
#define KEEL_ERR_MESSAGE(name, msg) [name] = msg,
    KEEL_ERRORS(KEEL_ERR_MESSAGE)
#undef KEEL_ERR_MESSAGE
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const cpu_method_names[] = {
    [BI_CPU_METHOD_NONE] = "none",       [BI_CPU_METHOD_ACPI_MADT] = "acpi-madt",
    [BI_CPU_METHOD_PSCI] = "psci",       [BI_CPU_METHOD_SPIN_TABLE] = "spin-table",
    [BI_CPU_METHOD_SBI_HSM] = "sbi-hsm",
};

static const char *const psci_conduit_names[] = {
    [BI_PSCI_NONE] = "none",
    [BI_PSCI_HVC] = "hvc",
    [BI_PSCI_SMC] = "smc",
};

/* Looks `i` up in a sparse table of names; out-of-range and holes read as "unknown". */
static const char *name_of(const char *const *table, size_t len, uint64_t i)
{
    return i < len && table[i] != NULL ? table[i] : "unknown";
}

const char *bi_mem_type_name(uint32_t type)
{
    return name_of(mem_type_names, ARRAY_LEN(mem_type_names), type);
}

const char *bi_mem_source_name(uint32_t source)
{
    return name_of(mem_source_names, ARRAY_LEN(mem_source_names), source);
}

const char *bi_protocol_name(uint32_t protocol)
{
    return name_of(protocol_names, ARRAY_LEN(protocol_names), protocol);
}

const char *bi_fb_source_name(uint32_t source)
{
    return name_of(fb_source_names, ARRAY_LEN(fb_source_names), source);
}

const char *bi_cpu_method_name(uint32_t method)
{
    return name_of(cpu_method_names, ARRAY_LEN(cpu_method_names), method);
}

const char *bi_psci_conduit_name(uint32_t conduit)
{
    return name_of(psci_conduit_names, ARRAY_LEN(psci_conduit_names), conduit);
}

const char *keel_strerror(int err)
{
    return err >= 0 ? name_of(error_messages, ARRAY_LEN(error_messages), (uint64_t)err) : "unknown";
}

void bi_init(struct boot_info *bi)
{
    memset(bi, 0, sizeof(*bi));
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;
    bi->size = sizeof(*bi);
}

/* SPDX-License-Identifier: MIT */
/*
 * UEFI: the parts of the specification Keel's EFI entry calls and reads (UEFI 2.x,
 * chapters 4, 7, 9, 12 and 13), and the handoff the entry gives the UEFI shim.
 * Only what Keel uses is declared; a slot Keel never calls is a plain pointer.
 */
#ifndef KEEL_EFI_H
#define KEEL_EFI_H

#include <stddef.h>
#include <stdint.h>

/* The calling convention of every firmware function: Microsoft x64 on x86_64, AAPCS64 on arm64. */
#if defined(__x86_64__)
#define EFIAPI __attribute__((ms_abi))
#else
#define EFIAPI
#endif

typedef uint64_t efi_status;
typedef void *efi_handle;
typedef uint16_t efi_char16;

#define EFI_ERROR_BIT (UINT64_C(1) << 63)
#define EFI_SUCCESS 0u
#define EFI_LOAD_ERROR (EFI_ERROR_BIT | 1u)
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2u)
#define EFI_UNSUPPORTED (EFI_ERROR_BIT | 3u)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5u)
#define EFI_NOT_FOUND (EFI_ERROR_BIT | 14u)

#define EFI_SYSTEM_TABLE_SIGNATURE UINT64_C(0x5453595320494249) /* "IBI SYST" */

struct efi_guid {
    uint32_t data1;
    uint16_t data2;
    uint16_t data3;
    uint8_t data4[8];
};

#define EFI_ACPI_20_TABLE_GUID                                                                     \
    {                                                                                              \
        0x8868e871, 0xe4f1, 0x11d3,                                                                \
        {                                                                                          \
            0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81                                         \
        }                                                                                          \
    }
#define EFI_ACPI_10_TABLE_GUID                                                                     \
    {                                                                                              \
        0xeb9d2d30, 0x2d88, 0x11d3,                                                                \
        {                                                                                          \
            0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d                                         \
        }                                                                                          \
    }
#define EFI_DTB_TABLE_GUID                                                                         \
    {                                                                                              \
        0xb1b621d5, 0xf19c, 0x41a5,                                                                \
        {                                                                                          \
            0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0                                         \
        }                                                                                          \
    }
#define EFI_LOADED_IMAGE_PROTOCOL_GUID                                                             \
    {                                                                                              \
        0x5b1b31a1, 0x9562, 0x11d2,                                                                \
        {                                                                                          \
            0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b                                         \
        }                                                                                          \
    }
#define EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID                                                       \
    {                                                                                              \
        0x964e5b22, 0x6459, 0x11d2,                                                                \
        {                                                                                          \
            0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b                                         \
        }                                                                                          \
    }
#define EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID                                                          \
    {                                                                                              \
        0x9042a9de, 0x23dc, 0x4a38,                                                                \
        {                                                                                          \
            0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a                                         \
        }                                                                                          \
    }

/* EFI_MEMORY_TYPE (7.2) */
enum efi_memory_type {
    EFI_RESERVED_MEMORY = 0,
    EFI_LOADER_CODE = 1,
    EFI_LOADER_DATA = 2,
    EFI_BOOT_SERVICES_CODE = 3,
    EFI_BOOT_SERVICES_DATA = 4,
    EFI_RUNTIME_SERVICES_CODE = 5,
    EFI_RUNTIME_SERVICES_DATA = 6,
    EFI_CONVENTIONAL_MEMORY = 7,
    EFI_UNUSABLE_MEMORY = 8,
    EFI_ACPI_RECLAIM_MEMORY = 9,
    EFI_ACPI_MEMORY_NVS = 10,
    EFI_MEMORY_MAPPED_IO = 11,
    EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
    EFI_PAL_CODE = 13,
    EFI_PERSISTENT_MEMORY = 14,
    EFI_UNACCEPTED_MEMORY = 15,
};

#define EFI_PAGE_SIZE 4096u
#define EFI_MEMORY_DESCRIPTOR_VERSION 1u

/* EFI_MEMORY_DESCRIPTOR: the map's stride is the firmware's DescriptorSize, never this size. */
struct efi_memory_descriptor {
    uint32_t type;
    uint32_t pad;
    uint64_t physical_start;
    uint64_t virtual_start;
    uint64_t number_of_pages;
    uint64_t attribute;
};

/* EFI_ALLOCATE_TYPE */
enum efi_allocate_type {
    EFI_ALLOCATE_ANY_PAGES = 0,
    EFI_ALLOCATE_MAX_ADDRESS = 1,
    EFI_ALLOCATE_ADDRESS = 2,
};

struct efi_table_header {
    uint64_t signature;
    uint32_t revision;
    uint32_t header_size;
    uint32_t crc32;
    uint32_t reserved;
};

struct efi_simple_text_output {
    void *reset;
    efi_status(EFIAPI *output_string)(struct efi_simple_text_output *self,
                                      const efi_char16 *string);
    void *rest[7];
};

struct efi_boot_services {
    struct efi_table_header hdr;
    void *raise_tpl;
    void *restore_tpl;
    efi_status(EFIAPI *allocate_pages)(uint32_t type, uint32_t memory_type, uint64_t pages,
                                       uint64_t *memory);
    efi_status(EFIAPI *free_pages)(uint64_t memory, uint64_t pages);
    efi_status(EFIAPI *get_memory_map)(uint64_t *map_size, void *map, uint64_t *map_key,
                                       uint64_t *descriptor_size, uint32_t *descriptor_version);
    efi_status(EFIAPI *allocate_pool)(uint32_t pool_type, uint64_t size, void **buffer);
    efi_status(EFIAPI *free_pool)(void *buffer);
    void *create_event;
    void *set_timer;
    void *wait_for_event;
    void *signal_event;
    void *close_event;
    void *check_event;
    void *install_protocol_interface;
    void *reinstall_protocol_interface;
    void *uninstall_protocol_interface;
    efi_status(EFIAPI *handle_protocol)(efi_handle handle, const struct efi_guid *protocol,
                                        void **interface);
    void *reserved;
    void *register_protocol_notify;
    void *locate_handle;
    void *locate_device_path;
    void *install_configuration_table;
    void *load_image;
    void *start_image;
    void *exit;
    void *unload_image;
    efi_status(EFIAPI *exit_boot_services)(efi_handle image, uint64_t map_key);
    void *get_next_monotonic_count;
    void *stall;
    efi_status(EFIAPI *set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t data_size,
                                           const efi_char16 *data);
    void *connect_controller;
    void *disconnect_controller;
    void *open_protocol;
    void *close_protocol;
    void *open_protocol_information;
    void *protocols_per_handle;
    void *locate_handle_buffer;
    efi_status(EFIAPI *locate_protocol)(const struct efi_guid *protocol, void *registration,
                                        void **interface);
};

struct efi_configuration_table {
    struct efi_guid vendor_guid;
    void *vendor_table;
};

struct efi_system_table {
    struct efi_table_header hdr;
    const efi_char16 *firmware_vendor;
    uint32_t firmware_revision;
    efi_handle console_in_handle;
    void *con_in;
    efi_handle console_out_handle;
    struct efi_simple_text_output *con_out;
    efi_handle standard_error_handle;
    struct efi_simple_text_output *std_err;
    void *runtime_services;
    struct efi_boot_services *boot_services;
    uint64_t number_of_table_entries;
    struct efi_configuration_table *configuration_table;
};

struct efi_loaded_image {
    uint32_t revision;
    efi_handle parent_handle;
    struct efi_system_table *system_table;
    efi_handle device_handle;
    void *file_path;
    void *reserved;
    uint32_t load_options_size;
    void *load_options;
    void *image_base;
    uint64_t image_size;
    uint32_t image_code_type;
    uint32_t image_data_type;
    void *unload;
};

#define EFI_FILE_MODE_READ UINT64_C(1)

struct efi_file {
    uint64_t revision;
    efi_status(EFIAPI *open)(struct efi_file *self, struct efi_file **new_handle,
                             const efi_char16 *file_name, uint64_t open_mode, uint64_t attributes);
    efi_status(EFIAPI *close)(struct efi_file *self);
    void *delete_file;
    efi_status(EFIAPI *read)(struct efi_file *self, uint64_t *buffer_size, void *buffer);
    void *write;
    efi_status(EFIAPI *get_position)(struct efi_file *self, uint64_t *position);
    efi_status(EFIAPI *set_position)(struct efi_file *self, uint64_t position);
};

struct efi_simple_file_system {
    uint64_t revision;
    efi_status(EFIAPI *open_volume)(struct efi_simple_file_system *self, struct efi_file **root);
};

/* EFI_GRAPHICS_PIXEL_FORMAT (12.9) */
enum efi_pixel_format {
    EFI_PIXEL_RGB_RESERVED_8 = 0, /* byte 0 red, 1 green, 2 blue, 3 reserved */
    EFI_PIXEL_BGR_RESERVED_8 = 1, /* byte 0 blue, 1 green, 2 red, 3 reserved */
    EFI_PIXEL_BIT_MASK = 2,       /* the four masks say */
    EFI_PIXEL_BLT_ONLY = 3,       /* no linear framebuffer */
};

struct efi_gop_mode_info {
    uint32_t version;
    uint32_t horizontal_resolution;
    uint32_t vertical_resolution;
    uint32_t pixel_format; /* enum efi_pixel_format */
    uint32_t red_mask;
    uint32_t green_mask;
    uint32_t blue_mask;
    uint32_t reserved_mask;
    uint32_t pixels_per_scan_line;
};

struct efi_gop_mode {
    uint32_t max_mode;
    uint32_t mode;
    struct efi_gop_mode_info *info;
    uint64_t size_of_info;
    uint64_t frame_buffer_base;
    uint64_t frame_buffer_size;
};

struct efi_gop {
    void *query_mode;
    void *set_mode;
    void *blt;
    struct efi_gop_mode *mode;
};

/*
 * The handoff: what Keel's EFI entry (common/efi_entry.c) gathered from the firmware,
 * for the UEFI shim (boot/shim_uefi.c) to check and turn into the boot_info after
 * ExitBootServices. Every address is physical; nothing in it has been checked yet, and
 * the shim trusts none of it beyond what the firmware itself vouches for.
 */
#define EFI_HANDOFF_MAGIC UINT64_C(0x314646444e414b45) /* "EKANDFF1" in memory order */
#define EFI_HANDOFF_VENDOR_MAX 64u

struct efi_handoff_module {
    uint64_t base;    /* where the entry loaded the file */
    uint64_t size;    /* its size in bytes */
    uint64_t name_pa; /* the module's name: the file's base name, ASCII, not terminated */
    uint64_t name_len;
    uint64_t args_pa; /* its arguments, ASCII, not terminated; 0 and 0 for none */
    uint64_t args_len;
};

struct efi_handoff {
    uint64_t magic;        /* EFI_HANDOFF_MAGIC */
    uint64_t system_table; /* the firmware's EFI_SYSTEM_TABLE */
    uint32_t firmware_revision;
    uint32_t exit_attempts; /* ExitBootServices calls until one succeeded (1 normally) */
    char vendor[EFI_HANDOFF_VENDOR_MAX]; /* FirmwareVendor as ASCII, NUL-terminated */
    /* The final GetMemoryMap result, the one ExitBootServices accepted. */
    uint64_t memmap_pa;
    uint64_t memmap_size;
    uint64_t descriptor_size;
    uint32_t descriptor_version;
    uint32_t module_count;
    uint64_t modules_pa; /* struct efi_handoff_module[module_count] */
    uint64_t cmdline_pa; /* ASCII, not terminated; 0 and 0 for none */
    uint64_t cmdline_len;
    uint64_t rsdp;               /* from the configuration table, ACPI 2.0 first; 0 if none */
    uint32_t rsdp_revision_hint; /* 2 when found by the ACPI 2.0 GUID, 1 by the 1.0 one */
    uint32_t gop_present;        /* 1 when a GOP was found; mode and base below are then its own */
    struct efi_gop_mode_info gop_info;
    /*
     * A keel_err the entry met once ExitBootServices had been called, when the firmware
     * may no longer print: the UEFI shim returns it, so that it is reported like any
     * other error. 0 normally.
     */
    uint32_t entry_error;
    uint64_t gop_base;
    uint64_t gop_size;
    uint64_t dtb; /* the DTB configuration table (arm64), 0 if none */
};

#endif

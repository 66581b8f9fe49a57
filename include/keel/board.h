/* SPDX-License-Identifier: MIT */
/* The board layer: boards as data keyed by the DTB's root compatible, and the early plan. */
#ifndef KEEL_BOARD_H
#define KEEL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>
#include <keel/page_table.h>

/*
 * What Keel knows about a board beyond its DTB. A board is found at run time from the
 * root node's compatible list (boot/board.c holds the table); a DTB no row names gets
 * board_generic, which knows nothing. Everything else comes from the DTB itself.
 */
struct board {
    const char *compatible; /* a root compatible string naming the board; NULL: generic */
    const char *name;
    /*
     * The console when the DTB names none a driver serves; kind NONE for none. When a
     * DTB cannot be read at all, the consoles of the running arch's rows are tried, and
     * a row of no arch's only where its driver identifies the device (docs/console.md).
     */
    struct bi_console console;
    /*
     * The arch whose board this is (arch_name), or NULL for any: a physical address
     * means another device on another arch's board (QEMU's virt machines), so when a
     * DTB cannot be read only the running arch's rows are tried.
     */
    const char *arch;
    /*
     * A sifive,test0 finisher, the device through which the board's QEMU exits with a
     * code, for a DTB that cannot be read (a DTB that can names it itself); 0 for none.
     */
    uint64_t test_finisher;
};

extern const struct board board_table[];
extern const size_t board_count;
extern const struct board board_generic;

/*
 * The early plan: what the boot identity map must hold before the shim runs, read from
 * the DTB alone (RAM, the console's registers and those of the framebuffer device that
 * a driver sets up, such as fw_cfg for ramfb). The kernel carries it out
 * (common/board_early.c); it is a function of its own so that the host tests can check
 * it on any tree.
 */
#define BOARD_EARLY_MAX 32u

struct board_range {
    uint64_t base;
    uint64_t size;
    pt_flags_t mem; /* PT_MEM_NORMAL for RAM, PT_MEM_WC for a framebuffer outside it */
    uint32_t reserved;
};

struct board_early {
    const struct board *board; /* NULL: the DTB could not be read, dtb_error says why */
    int dtb_error;
    struct bi_console console;     /* board_find_console's answer: what the shim will say */
    int console_error;             /* why the UART the DTB names was not taken, or KEEL_OK */
    struct bi_fb_device fb_device; /* the framebuffer device a driver's setup programs */
    uint64_t fw_cfg_base;          /* 0: none (the ramfb driver's device) */
    uint32_t range_count;
    uint32_t ranges_dropped; /* pieces of RAM that did not fit ranges[] */
    /*
     * The /memory ranges less /reserved-memory's no-map children (firmware's own memory
     * that may not even be readable), then a simple-framebuffer that lies outside them.
     */
    struct board_range ranges[BOARD_EARLY_MAX];
};

/* Never fails: a DTB that cannot be read gives board NULL and dtb_error. */
void board_early_plan(const void *dtb, size_t avail, struct board_early *plan);

/*
 * The kernel side (common/board_early.c), keel_main's first stage for an entry that
 * brings a DTB, before the shim: reads the DTB through the entry code's mapping of it,
 * fills the boot identity map through arch_early_map (the console's and the framebuffer
 * device's pages as device memory first, then RAM), and starts the console: the board's
 * default first, then the UART the DTB names. When the DTB cannot be read, each board's
 * default console is tried, and only a driver that identifies its device there is taken.
 * Prints a "keel: warning:" line for what it could not do; never fails.
 */
void board_early_setup(uint64_t dtb_pa);

/*
 * board_early_setup without RAM: the console and the framebuffer device's page, for a
 * boot whose RAM comes from elsewhere (a UEFI memory map, board_efi_setup).
 */
void board_early_devices(uint64_t dtb_pa);

/* Maps a UART's registers as device memory and starts the console on it. */
int board_early_start_uart(const struct bi_console *dev);

/*
 * keel_main's first stage for a UEFI boot (common/board_efi.c): the boot identity map
 * from the handoff of Keel's EFI entry at `handoff_pa` (RAM from the firmware's memory
 * map, never from a DTB), then the console: from the DTB the configuration table gave,
 * as board_early_devices, or else from the ACPI SPCR table. Where the arch's boot map
 * already reaches everything (x86_64), arch_early_map has nothing to add. Never fails:
 * the shim reports a handoff it cannot read.
 */
void board_efi_setup(uint64_t handoff_pa);

#endif

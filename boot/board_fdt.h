/* SPDX-License-Identifier: MIT */
/* The board layer's device-tree side: which board a DTB is, and which UART it names. */
#ifndef KEEL_BOOT_BOARD_FDT_H
#define KEEL_BOOT_BOARD_FDT_H

#include <keel/board.h>
#include <keel/boot_info.h>

#include "devicetree.h"

/* The row whose compatible the root node lists first, or &board_generic. Never NULL. */
const struct board *board_lookup(const struct fdt *fdt);

/*
 * The console a DTB names, in this order: /chosen's stdout-path, then its
 * linux,stdout-path, then the serial0 alias, then the first enabled node some UART
 * driver serves, then the board's default. A stdout path that resolves to a node
 * decides: when no driver can use that node, the board's default is taken and the
 * return value says why (KEEL_E_CONSOLE_NO_DRIVER or KEEL_E_CONSOLE_REG); otherwise
 * KEEL_OK. *out is always set; kind NONE when nothing is left.
 */
int board_find_console(const struct fdt *fdt, const struct board *board, struct bi_console *out);

#endif

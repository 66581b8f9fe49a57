/* SPDX-License-Identifier: MIT */
/* The board layer: boards as data keyed by the DTB's root compatible, and the early plan. */
#ifndef KEEL_BOARD_H
#define KEEL_BOARD_H

#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>

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
     * DTB cannot be read at all, these are the addresses tried, and only a driver that
     * identifies its device there is used.
     */
    struct bi_console console;
};

extern const struct board board_table[];
extern const size_t board_count;
extern const struct board board_generic;

#endif

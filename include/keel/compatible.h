/* SPDX-License-Identifier: MIT */
/* Reading a device-tree compatible property against the drivers' tables (drivers/compatible.c). */
#ifndef KEEL_COMPATIBLE_H
#define KEEL_COMPATIBLE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The next string of a compatible property (`len` bytes of NUL-separated strings),
 * starting at *at, which it then moves past it; NULL at the end. Only whole
 * NUL-terminated strings count: a last string without its NUL is ignored. A node
 * lists its most specific string first, so a table look-up takes them in this order
 * and the first string some driver serves decides.
 */
const char *compatible_next(const char *list, size_t len, size_t *at);

/* True when `s` is one of `names` (NULL-terminated; NULL itself names nothing). */
bool compatible_listed(const char *const *names, const char *s);

/*
 * A driver table's look-up: the index of the entry (of `count`, whose strings
 * names(i) gives) that serves the first string of `list` any entry serves, or
 * `count` when none does.
 */
size_t compatible_match(const char *list, size_t len, size_t count,
                        const char *const *(*names)(size_t i));

#endif

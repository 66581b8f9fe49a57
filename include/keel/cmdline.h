/* SPDX-License-Identifier: MIT */
/* Reading Keel's own switches (keel.NAME or keel.NAME=VALUE) from the kernel command line. */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

/* True when the space-separated word `key` (e.g. "keel.dump-info") is on the line. */
bool cmdline_flag(const char *cmdline, const char *key);

/*
 * Copies the value of "key=VALUE" into buf (NUL-terminated) and returns true; false
 * when the key is absent or its value does not fit in `len` bytes.
 */
bool cmdline_value(const char *cmdline, const char *key, char *buf, size_t len);

#endif

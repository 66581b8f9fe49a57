/* SPDX-License-Identifier: MIT */
/* keel.cfg: the file next to Keel's EFI image that names the command line and the modules. */
#ifndef KEEL_KEEL_CFG_H
#define KEEL_KEEL_CFG_H

#include <stddef.h>
#include <stdint.h>

#include <keel/boot_info.h>

/*
 * The format (docs/targets.md), one statement a line, for a user to write by hand:
 *
 *     # a comment; blank lines are fine too
 *     cmdline console=ttyS0 quiet
 *     module \EFI\keel\initrd.img root=/dev/ram0
 *     module /EFI/keel/font.psf
 *
 * UTF-8 without a byte-order mark (ASCII is UTF-8), LF or CRLF line ends. A keyword and
 * its words are separated by spaces or tabs; the text after `cmdline` and after a
 * module's path runs to the end of the line with the blanks around it dropped. `cmdline`
 * at most once; `module PATH [ARGS...]` any number of times up to BI_MODULE_MAX, PATH an
 * absolute path on the partition Keel was loaded from, with `\` or `/` separators and no
 * blanks; the module's name is PATH's last component.
 */
#define KEEL_CFG_SIZE_MAX (64u * 1024u)
#define KEEL_CFG_PATH_MAX 255u

/* A piece of the file's text: not NUL-terminated. */
struct keel_cfg_str {
    const char *s;
    size_t len;
};

struct keel_cfg_module {
    struct keel_cfg_str path; /* as written, separators and all */
    struct keel_cfg_str name; /* the path's last component, inside path */
    struct keel_cfg_str args; /* len 0 when there are none */
    uint32_t line;            /* where it was named, for the entry's messages */
};

struct keel_cfg {
    struct keel_cfg_str cmdline; /* len 0 (s NULL) without a cmdline line */
    uint32_t module_count;
    struct keel_cfg_module modules[BI_MODULE_MAX];
};

/*
 * Parses the `len` bytes at `text` into *out, whose pieces point into `text`. Allocates
 * nothing and keeps no state, so Keel's EFI entry can call it before ExitBootServices.
 * Each violation has its own error, and keel_err_detail() then says on which line and
 * what was read there: KEEL_E_CFG_TOO_LONG (more than KEEL_CFG_SIZE_MAX bytes),
 * KEEL_E_CFG_BOM, KEEL_E_CFG_ENCODING (invalid UTF-8, a NUL or another control
 * character but tab, a CR that does not end a line), KEEL_E_CFG_KEYWORD,
 * KEEL_E_CFG_CMDLINE_TWICE, KEEL_E_CFG_CMDLINE_LONG (BI_CMDLINE_MAX bytes or more),
 * KEEL_E_CFG_NO_PATH, KEEL_E_CFG_PATH_RELATIVE, KEEL_E_CFG_PATH_LONG (more than
 * KEEL_CFG_PATH_MAX bytes), KEEL_E_CFG_PATH_NO_NAME (ends in a separator),
 * KEEL_E_CFG_ARGS_LONG (BI_MOD_CMDLINE_MAX bytes or more), KEEL_E_CFG_TOO_MANY (more
 * than BI_MODULE_MAX modules). On error *out is unspecified.
 */
int keel_cfg_parse(const char *text, size_t len, struct keel_cfg *out);

#endif

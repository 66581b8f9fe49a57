/* SPDX-License-Identifier: MIT */
/* keel.cfg's parser: the format, every limit and every malformed line, each with its error. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/keel_cfg.h>

#include "test_util.h"

static struct keel_cfg cfg;

static bool str_is(struct keel_cfg_str s, const char *want)
{
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.s, want, s.len) == 0);
}

static int parse(const char *text)
{
    return keel_cfg_parse(text, strlen(text), &cfg);
}

/* A bad file: its error, and the detail the error line carries. */
static void expect(const char *text, size_t len, int want, const char *detail)
{
    int err = keel_cfg_parse(text, len, &cfg);
    if (err != want || strcmp(keel_err_detail(), detail) != 0) {
        fprintf(stderr, "case %.40s: detail '%s', want '%s'\n", text, keel_err_detail(), detail);
    }
    CHECK_ERR(err, want);
    CHECK(strcmp(keel_err_detail(), detail) == 0);
}

static void expect_str(const char *text, int want, const char *detail)
{
    expect(text, strlen(text), want, detail);
}

static void good(void)
{
    CHECK_ERR(parse("# Keel on a USB stick\r\n"
                    "\r\n"
                    "cmdline  console=ttyS0   quiet \t\r\n"
                    "module \\EFI\\keel\\initrd.img root=/dev/ram0 x=\"a b\"\r\n"
                    "\tmodule /EFI/keel/font.psf\n"
                    "module \\EFI/keel\\caf\xc3\xa9.bin \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82\n"
                    "   # indented comment\n"
                    "module /m"),
              KEEL_OK);
    CHECK(str_is(cfg.cmdline, "console=ttyS0   quiet"));
    CHECK(cfg.module_count == 4);
    CHECK(str_is(cfg.modules[0].path, "\\EFI\\keel\\initrd.img"));
    CHECK(str_is(cfg.modules[0].name, "initrd.img"));
    CHECK(str_is(cfg.modules[0].args, "root=/dev/ram0 x=\"a b\""));
    CHECK(cfg.modules[0].line == 4);
    CHECK(str_is(cfg.modules[1].name, "font.psf") && cfg.modules[1].args.len == 0);
    CHECK(cfg.modules[1].line == 5);
    CHECK(str_is(cfg.modules[2].name, "caf\xc3\xa9.bin"));
    CHECK(str_is(cfg.modules[2].args, "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x99\x82"));
    CHECK(str_is(cfg.modules[3].path, "/m") && str_is(cfg.modules[3].name, "m"));

    /* Empty files, comments only, an empty cmdline. */
    CHECK_ERR(keel_cfg_parse(NULL, 0, &cfg), KEEL_OK);
    CHECK(cfg.module_count == 0 && cfg.cmdline.len == 0);
    CHECK_ERR(parse("# nothing\n\n   \n"), KEEL_OK);
    CHECK(cfg.module_count == 0 && cfg.cmdline.s == NULL);
    CHECK_ERR(parse("cmdline\n"), KEEL_OK);
    CHECK(cfg.cmdline.len == 0);
    /* A '#' after a keyword is text, not a comment. */
    CHECK_ERR(parse("cmdline a # b\n"), KEEL_OK);
    CHECK(str_is(cfg.cmdline, "a # b"));
}

/*
 * `prefix` and `fill` `max` times is accepted, one more `fill` is refused with `err` and
 * `detail`; *cfg is left holding the accepted parse.
 */
static void at_limit(char *text, const char *prefix, char fill, size_t max, int err,
                     const char *detail)
{
    size_t n = strlen(prefix);
    memcpy(text, prefix, n);
    memset(text + n, fill, max + 1);
    expect(text, n + max + 1, err, detail);
    CHECK_ERR(keel_cfg_parse(text, n + max, &cfg), KEEL_OK);
}

static void limits(void)
{
    static char text[KEEL_CFG_SIZE_MAX + 2 * BI_CMDLINE_MAX];
    char want[64];

    /* The file's size: 64 KiB of comments are read, one byte more is refused. */
    memset(text, '#', KEEL_CFG_SIZE_MAX);
    for (size_t i = 99; i < KEEL_CFG_SIZE_MAX; i += 100) {
        text[i] = '\n';
    }
    expect(text, KEEL_CFG_SIZE_MAX, KEEL_OK, "");
    expect(text, KEEL_CFG_SIZE_MAX + 1, KEEL_E_CFG_TOO_LONG, "");

    /* The command line: 4095 bytes, not 4096; a path of 255, arguments of 1023. */
    at_limit(text, "cmdline ", 'c', BI_CMDLINE_MAX - 1, KEEL_E_CFG_CMDLINE_LONG,
             ": line 1: 'cccccccccccccccccccccccc...'");
    CHECK(cfg.cmdline.len == BI_CMDLINE_MAX - 1);
    at_limit(text, "module /", 'p', KEEL_CFG_PATH_MAX - 1, KEEL_E_CFG_PATH_LONG,
             ": line 1: '/ppppppppppppppppppppppp...'");
    CHECK(cfg.modules[0].path.len == KEEL_CFG_PATH_MAX &&
          cfg.modules[0].name.len == KEEL_CFG_PATH_MAX - 1);
    at_limit(text, "module /a ", 'a', BI_MOD_CMDLINE_MAX - 1, KEEL_E_CFG_ARGS_LONG,
             ": line 1: 'aaaaaaaaaaaaaaaaaaaaaaaa...'");
    CHECK(cfg.modules[0].args.len == BI_MOD_CMDLINE_MAX - 1);

    /* BI_MODULE_MAX modules, not one more. */
    size_t len = 0;
    for (unsigned i = 0; i < BI_MODULE_MAX; i++) {
        len += (size_t)snprintf(text + len, sizeof(text) - len, "module /m%u\n", i);
    }
    CHECK_ERR(keel_cfg_parse(text, len, &cfg), KEEL_OK);
    CHECK(cfg.module_count == BI_MODULE_MAX);
    CHECK(str_is(cfg.modules[BI_MODULE_MAX - 1].name, "m255"));
    len += (size_t)snprintf(text + len, sizeof(text) - len, "module /extra\n");
    snprintf(want, sizeof(want), ": line %u: '/extra'", BI_MODULE_MAX + 1);
    expect(text, len, KEEL_E_CFG_TOO_MANY, want);
}

static void malformed(void)
{
    expect_str("\xef\xbb\xbf"
               "cmdline x\n",
               KEEL_E_CFG_BOM, "");
    expect_str("cmdline a\ncmdline b\n", KEEL_E_CFG_CMDLINE_TWICE, ": line 2: 'cmdline'");
    expect_str("cmdline\n\ncmdline b\n", KEEL_E_CFG_CMDLINE_TWICE, ": line 3: 'cmdline'");
    expect_str("# ok\nmodul /x\n", KEEL_E_CFG_KEYWORD, ": line 2: 'modul'");
    expect_str("cmdline=x\n", KEEL_E_CFG_KEYWORD, ": line 1: 'cmdline=x'");
    expect_str("Module /x\n", KEEL_E_CFG_KEYWORD, ": line 1: 'Module'");
    expect_str("module\n", KEEL_E_CFG_NO_PATH, ": line 1");
    expect_str("module  \t \r\n", KEEL_E_CFG_NO_PATH, ": line 1");
    expect_str("module EFI\\keel\\a.bin\n", KEEL_E_CFG_PATH_RELATIVE,
               ": line 1: 'EFI\\keel\\a.bin'");
    expect_str("module \\EFI\\keel\\ x\n", KEEL_E_CFG_PATH_NO_NAME, ": line 1: '\\EFI\\keel\\'");
    expect_str("module /\n", KEEL_E_CFG_PATH_NO_NAME, ": line 1: '/'");

    /* Bytes that are no text: each on line 3 of a CRLF file. */
    static const char *const not_text[] = {
        "\xff",             /* never in UTF-8 */
        "\xc0\x80",         /* an overlong NUL */
        "\xe0\x80\xaf",     /* an overlong '/' */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xe2\x82",         /* cut short */
        "\x80",             /* a continuation byte alone */
        "a\rb",             /* a CR inside a line */
        "\x7f",             /* DEL */
        "\x1b[0m",          /* ESC */
    };
    for (size_t i = 0; i < sizeof(not_text) / sizeof(not_text[0]); i++) {
        char text[64];
        int n = snprintf(text, sizeof(text), "# a\r\ncmdline x\r\nmodule /a %s\r\n", not_text[i]);
        CHECK_ERR(keel_cfg_parse(text, (size_t)n, &cfg), KEEL_E_CFG_ENCODING);
        CHECK(strncmp(keel_err_detail(), ": line 3: 'module /a ", 21) == 0);
    }
    /* A NUL byte inside the file. */
    expect("cmdline a\0b\n", 12, KEEL_E_CFG_ENCODING, ": line 1: 'cmdline a?b'");
}

/* Random bytes and random edits of a good file: an error or a result inside the text. */
static void random_input(void)
{
    static const char base[] = "cmdline a b\r\nmodule /EFI/keel/x y\nmodule \\z\n# c\n";
    char text[256];
    uint64_t seed = 0x6b65656c;
    for (int i = 0; i < 200000; i++) {
        size_t len = sizeof(base) - 1;
        memcpy(text, base, len);
        for (int k = 0; k < 3; k++) {
            text[test_rand(&seed) % len] = (char)test_rand(&seed);
        }
        if (i % 2 == 0) {
            len = test_rand(&seed) % len;
        }
        if (keel_cfg_parse(text, len, &cfg) != KEEL_OK) {
            continue;
        }
        for (uint32_t m = 0; m < cfg.module_count; m++) {
            const struct keel_cfg_module *mod = &cfg.modules[m];
            CHECK(mod->path.s >= text && mod->path.s + mod->path.len <= text + len);
            CHECK(mod->name.len > 0 && mod->name.s + mod->name.len == mod->path.s + mod->path.len);
        }
    }
}

int main(void)
{
    good();
    limits();
    malformed();
    random_input();
    return test_finish("test_keel_cfg");
}

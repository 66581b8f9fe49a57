/* SPDX-License-Identifier: MIT */
/* keel.cfg's parser: a line format, checked byte by byte, with no allocation. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/keel_cfg.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The length of the UTF-8 sequence at p (at most `left` bytes), or 0 when it is not
 * one: shortest form only, no surrogates, nothing above U+10FFFF (RFC 3629).
 */
static size_t utf8_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (left < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0u) != 0x80u) {
            return 0;
        }
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return n;
}

/* Checks one line's bytes (without its LF, CR included) as text. */
static bool line_is_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        if (p[i] == '\r' && i + 1 == len) {
            return true;
        }
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
            return false;
        }
        size_t n = utf8_len(p + i, len - i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

/* Moves *s past blanks, and len past them from the end too. */
static struct keel_cfg_str trim(const char *s, size_t len)
{
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1])) {
        len--;
    }
    return (struct keel_cfg_str){s, len};
}

/* The first word of `rest` (blank-separated); *rest becomes what follows it, trimmed. */
static struct keel_cfg_str first_word(struct keel_cfg_str *rest)
{
    size_t n = 0;
    while (n < rest->len && !is_blank(rest->s[n])) {
        n++;
    }
    struct keel_cfg_str word = {rest->s, n};
    *rest = trim(rest->s + n, rest->len - n);
    return word;
}

static bool word_is(struct keel_cfg_str w, const char *keyword)
{
    size_t n = strlen(keyword);
    return w.len == n && memcmp(w.s, keyword, n) == 0;
}

static bool is_separator(char c)
{
    return c == '/' || c == '\\';
}

static int parse_module(struct keel_cfg_str rest, uint32_t line, struct keel_cfg *out,
                        struct keel_cfg_str *what)
{
    struct keel_cfg_str path = first_word(&rest);
    *what = path;
    if (path.len == 0) {
        return KEEL_E_CFG_NO_PATH;
    }
    if (!is_separator(path.s[0])) {
        return KEEL_E_CFG_PATH_RELATIVE;
    }
    if (path.len > KEEL_CFG_PATH_MAX) {
        return KEEL_E_CFG_PATH_LONG;
    }
    if (is_separator(path.s[path.len - 1])) {
        return KEEL_E_CFG_PATH_NO_NAME;
    }
    if (rest.len >= BI_MOD_CMDLINE_MAX) {
        *what = rest;
        return KEEL_E_CFG_ARGS_LONG;
    }
    if (out->module_count == BI_MODULE_MAX) {
        return KEEL_E_CFG_TOO_MANY;
    }
    size_t name = path.len;
    while (!is_separator(path.s[name - 1])) {
        name--;
    }
    struct keel_cfg_module *m = &out->modules[out->module_count++];
    m->path = path;
    m->name = (struct keel_cfg_str){path.s + name, path.len - name};
    m->args = rest;
    m->line = line;
    return KEEL_OK;
}

/* The parse in progress: the result, and whether a cmdline line came (it may be empty). */
struct parse {
    struct keel_cfg *out;
    bool cmdline_seen;
};

/* One line without its LF: a comment, blank, or one statement. */
static int parse_line(const char *s, size_t len, uint32_t line, struct parse *ps,
                      struct keel_cfg_str *what)
{
    *what = (struct keel_cfg_str){s, len};
    if (!line_is_text(s, len)) {
        return KEEL_E_CFG_ENCODING;
    }
    if (len > 0 && s[len - 1] == '\r') {
        len--;
    }
    struct keel_cfg_str rest = trim(s, len);
    if (rest.len == 0 || rest.s[0] == '#') {
        return KEEL_OK;
    }
    struct keel_cfg_str keyword = first_word(&rest);
    *what = keyword;
    if (word_is(keyword, "cmdline")) {
        if (ps->cmdline_seen) {
            return KEEL_E_CFG_CMDLINE_TWICE;
        }
        *what = rest;
        if (rest.len >= BI_CMDLINE_MAX) {
            return KEEL_E_CFG_CMDLINE_LONG;
        }
        ps->cmdline_seen = true;
        ps->out->cmdline = rest;
        return KEEL_OK;
    }
    if (word_is(keyword, "module")) {
        return parse_module(rest, line, ps->out, what);
    }
    return KEEL_E_CFG_KEYWORD;
}

int keel_cfg_parse(const char *text, size_t len, struct keel_cfg *out)
{
    struct parse ps = {out, false};
    memset(out, 0, sizeof(*out));
    keel_err_clear();
    if (len > KEEL_CFG_SIZE_MAX) {
        return KEEL_E_CFG_TOO_LONG;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        return KEEL_E_CFG_BOM;
    }
    uint32_t line = 1;
    for (size_t pos = 0; pos < len; line++) {
        size_t end = pos;
        while (end < len && text[end] != '\n') {
            end++;
        }
        struct keel_cfg_str what;
        int err = parse_line(text + pos, end - pos, line, &ps, &what);
        if (err != KEEL_OK) {
            keel_err_note_line(line, what.s, what.len);
            return err;
        }
        pos = end + 1;
    }
    return KEEL_OK;
}

/* SPDX-License-Identifier: MIT */
/* The detail of the last error a parser noted: what it read, so the one error line can say. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <keel/errors.h>
#include <keel/fmt.h>

/*
 * One static buffer: the parsers run one at a time, on the boot CPU or in one host
 * thread, and the error line is printed before anything else could note a detail.
 */
static char detail[128];

struct buf_sink {
    char *p;
    size_t left;
};

static void buf_write(void *ctx, const char *s, size_t len)
{
    struct buf_sink *b = ctx;
    size_t n = len < b->left ? len : b->left;

    memcpy(b->p, s, n);
    b->p += n;
    b->left -= n;
}

void keel_err_clear(void)
{
    detail[0] = '\0';
}

const char *keel_err_detail(void)
{
    return detail;
}

/* "'first bytes...'": the string's start, printable ASCII only, at most 24 bytes. */
static void quote_head(const struct sink *sink, const char *s, size_t len)
{
    char head[28];
    size_t shown = len < sizeof(head) - 4 ? len : sizeof(head) - 4;
    for (size_t i = 0; i < shown; i++) {
        head[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' ? s[i] : '?';
    }
    memcpy(head + shown, shown < len ? "...\0" : "\0", shown < len ? 4 : 1);
    sink_printf(sink, "'%s'", head);
}

void keel_err_note_string(const char *s, size_t len, size_t limit)
{
    /* The first bytes of the string, then its length and the limit. */
    struct buf_sink b = {detail, sizeof(detail) - 1};
    struct sink sink = {.write = buf_write, .ctx = &b};
    sink_printf(&sink, ": ");
    quote_head(&sink, s, len);
    sink_printf(&sink, " is %llu bytes, the limit is %llu", (unsigned long long)len,
                (unsigned long long)limit);
    *b.p = '\0';
}

void keel_err_note_name(const char *s, size_t len)
{
    struct buf_sink b = {detail, sizeof(detail) - 1};
    struct sink sink = {.write = buf_write, .ctx = &b};

    sink_printf(&sink, ": %.*s", (int)len, s);
    *b.p = '\0';
}

void keel_err_note_line(uint32_t line, const char *s, size_t len)
{
    struct buf_sink b = {detail, sizeof(detail) - 1};
    struct sink sink = {.write = buf_write, .ctx = &b};
    sink_printf(&sink, ": line %u", (unsigned)line);
    if (len != 0) {
        sink_printf(&sink, ": ");
        quote_head(&sink, s, len);
    }
    *b.p = '\0';
}

void keel_err_note_overlap(const char *a, uint64_t a_base, uint64_t a_size, const char *b_name,
                           uint64_t b_base, uint64_t b_size)
{
    struct buf_sink b = {detail, sizeof(detail) - 1};
    struct sink sink = {.write = buf_write, .ctx = &b};
    sink_printf(&sink, ": %s 0x%llx-0x%llx, %s 0x%llx-0x%llx", a, (unsigned long long)a_base,
                (unsigned long long)(a_base + a_size - 1), b_name, (unsigned long long)b_base,
                (unsigned long long)(b_base + b_size - 1));
    *b.p = '\0';
}

/* SPDX-License-Identifier: MIT */
/* A small printf over a sink; shared by the kernel console and the host tools. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <keel/fmt.h>

struct fmt_spec {
    bool left;
    char pad;
    unsigned width;
    int precision; /* -1: none */
};

static void emit(const struct sink *s, const char *buf, size_t len, int *count)
{
    s->write(s->ctx, buf, len);
    *count += (int)len;
}

static void emit_padded(const struct sink *s, const struct fmt_spec *spec, const char *buf,
                        size_t len, int *count)
{
    size_t fill = spec->width > len ? spec->width - len : 0;

    if (!spec->left && spec->pad == '0' && len > 0 && buf[0] == '-') {
        /* The sign goes before zero padding: "-0042", not "00-42". */
        emit(s, buf, 1, count);
        buf++;
        len--;
    }
    while (!spec->left && fill--) {
        emit(s, &spec->pad, 1, count);
    }
    emit(s, buf, len, count);
    while (spec->left && fill--) {
        emit(s, " ", 1, count);
    }
}

/* Writes `v` in `base` to the end of buf[24]; returns the first digit's index. */
static size_t format_unsigned(char buf[24], uint64_t v, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i = 24;

    do {
        buf[--i] = digits[v % base];
        v /= base;
    } while (v != 0);
    return i;
}

int sink_vprintf(const struct sink *s, const char *fmt, va_list ap)
{
    int count = 0;

    while (*fmt != '\0') {
        const char *start = fmt;

        while (*fmt != '\0' && *fmt != '%') {
            fmt++;
        }
        if (fmt != start) {
            emit(s, start, (size_t)(fmt - start), &count);
        }
        if (*fmt == '\0') {
            break;
        }
        fmt++; /* the '%' */

        struct fmt_spec spec = {.left = false, .pad = ' ', .width = 0, .precision = -1};
        for (;; fmt++) {
            if (*fmt == '-') {
                spec.left = true;
            } else if (*fmt == '0') {
                spec.pad = '0';
            } else {
                break;
            }
        }
        while (*fmt >= '0' && *fmt <= '9') {
            spec.width = spec.width * 10 + (unsigned)(*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            spec.precision = 0;
            if (*fmt == '*') {
                spec.precision = va_arg(ap, int);
                fmt++;
            }
            while (*fmt >= '0' && *fmt <= '9') {
                spec.precision = spec.precision * 10 + (*fmt++ - '0');
            }
        }

        int length = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long / size_t / intmax_t */
        for (;; fmt++) {
            if (*fmt == 'h') {
                length--;
            } else if (*fmt == 'l') {
                length++;
            } else if (*fmt == 'z' || *fmt == 'j') {
                length = 2;
            } else {
                break;
            }
        }

        char buf[24];
        char conv = *fmt;
        if (conv == '\0') {
            break;
        }
        fmt++;

        switch (conv) {
        case '%':
            emit(s, "%", 1, &count);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_padded(s, &spec, &c, 1, &count);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (str == NULL) {
                str = "(null)";
            }
            size_t len = spec.precision >= 0 ? strnlen(str, (size_t)spec.precision) : strlen(str);
            emit_padded(s, &spec, str, len, &count);
            break;
        }
        case 'd':
        case 'i': {
            int64_t v = length >= 1 ? (length == 1 ? (int64_t)va_arg(ap, long)
                                                   : (int64_t)va_arg(ap, long long))
                                    : (int64_t)va_arg(ap, int);
            if (length == -1) {
                v = (short)v;
            } else if (length == -2) {
                v = (signed char)v;
            }
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            size_t i = format_unsigned(buf, mag, 10, false);
            if (v < 0) {
                buf[--i] = '-';
            }
            emit_padded(s, &spec, buf + i, 24 - i, &count);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'p': {
            uint64_t v;
            if (conv == 'p') {
                v = (uint64_t)(uintptr_t)va_arg(ap, void *);
                emit(s, "0x", 2, &count);
            } else if (length >= 1) {
                v = length == 1 ? (uint64_t)va_arg(ap, unsigned long)
                                : (uint64_t)va_arg(ap, unsigned long long);
            } else {
                v = va_arg(ap, unsigned int);
                if (length == -1) {
                    v = (unsigned short)v;
                } else if (length == -2) {
                    v = (unsigned char)v;
                }
            }
            size_t i = format_unsigned(buf, v, conv == 'u' ? 10 : 16, conv == 'X');
            emit_padded(s, &spec, buf + i, 24 - i, &count);
            break;
        }
        default:
            /* An unknown conversion is printed as it stands, so the mistake shows. */
            emit(s, start + (fmt - start) - 1, 1, &count);
            break;
        }
    }
    return count;
}

int sink_printf(const struct sink *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = sink_vprintf(s, fmt, ap);
    va_end(ap);
    return n;
}

void sink_json_string(const struct sink *s, const char *str)
{
    static const char hex[] = "0123456789abcdef";

    s->write(s->ctx, "\"", 1);
    for (; *str != '\0'; str++) {
        unsigned char c = (unsigned char)*str;

        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            s->write(s->ctx, esc, 2);
        } else if (c < 0x20 || c >= 0x7f) {
            /* Non-ASCII bytes are escaped too: loader strings need not be UTF-8. */
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
            s->write(s->ctx, esc, 6);
        } else {
            s->write(s->ctx, (const char *)&c, 1);
        }
    }
    s->write(s->ctx, "\"", 1);
}

/* SPDX-License-Identifier: MIT */
/* The compatible-string matching that every driver table's look-up shares. */
#include <string.h>

#include <keel/compatible.h>

const char *compatible_next(const char *list, size_t len, size_t *at)
{
    if (*at >= len) {
        return NULL;
    }
    const char *s = list + *at;
    size_t n = strnlen(s, len - *at);
    if (n == len - *at) {
        *at = len;
        return NULL;
    }
    *at += n + 1;
    return s;
}

bool compatible_listed(const char *const *names, const char *s)
{
    for (const char *const *c = names; c != NULL && *c != NULL; c++) {
        if (strcmp(*c, s) == 0) {
            return true;
        }
    }
    return false;
}

size_t compatible_match(const char *list, size_t len, size_t count,
                        const char *const *(*names)(size_t i))
{
    size_t at = 0;

    for (const char *s; (s = compatible_next(list, len, &at)) != NULL;) {
        for (size_t i = 0; i < count; i++) {
            if (compatible_listed(names(i), s)) {
                return i;
            }
        }
    }
    return count;
}

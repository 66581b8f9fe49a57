/* SPDX-License-Identifier: MIT */
/* Finding Keel's own switches among the space-separated words of the command line. */
#include <string.h>

#include <keel/cmdline.h>

/*
 * Finds the word that starts with `key` followed by `end` ('\0' for a whole word,
 * '=' for key=value); returns a pointer just past the key, or NULL.
 */
static const char *find_word(const char *line, const char *key, char end)
{
    size_t key_len = strlen(key);

    while (*line != '\0') {
        while (*line == ' ') {
            line++;
        }
        const char *word = line;
        while (*line != '\0' && *line != ' ') {
            line++;
        }
        size_t word_len = (size_t)(line - word);
        if (word_len >= key_len && strncmp(word, key, key_len) == 0) {
            char next = word_len == key_len ? '\0' : word[key_len];
            if (next == end) {
                return word + key_len;
            }
        }
    }
    return NULL;
}

bool cmdline_flag(const char *cmdline, const char *key)
{
    return find_word(cmdline, key, '\0') != NULL;
}

bool cmdline_value(const char *cmdline, const char *key, char *buf, size_t len)
{
    const char *value = find_word(cmdline, key, '=');

    if (value == NULL || len == 0) {
        return false;
    }
    value++; /* the '=' */
    size_t n = 0;
    while (value[n] != '\0' && value[n] != ' ') {
        n++;
    }
    if (n >= len) {
        return false;
    }
    memcpy(buf, value, n);
    buf[n] = '\0';
    return true;
}

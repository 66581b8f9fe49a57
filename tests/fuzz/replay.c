/* SPDX-License-Identifier: MIT */
/*
 * A main() for a fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput on the empty
 * input (as libFuzzer does first) and then once on each file named on the command line,
 * or listed one per line in the file after '@'. Built with source-based coverage
 * (-fprofile-instr-generate) and no sanitizers, it is how `keel fuzz --coverage` measures
 * what a corpus reaches of each parser.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    size_t cap = 4096;
    size_t len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            uint8_t *bigger = realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
            }
            buf = bigger;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 1;
    }
    /* An exact-size copy, as libFuzzer hands out, so that a harness sees the same bytes. */
    uint8_t *data = malloc(len != 0 ? len : 1);
    if (data == NULL) {
        free(buf);
        return 1;
    }
    memcpy(data, buf, len);
    free(buf);
    (void)LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    int bad = 0;
    unsigned long runs = 1;
    /* libFuzzer runs the empty input before any other; so does this. */
    static const uint8_t none[1];
    (void)LLVMFuzzerTestOneInput(none, 0);
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '@') {
            bad |= replay(argv[i]);
            runs++;
            continue;
        }
        FILE *list = fopen(argv[i] + 1, "r");
        if (list == NULL) {
            perror(argv[i] + 1);
            return 1;
        }
        char line[4096];
        while (fgets(line, sizeof(line), list) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            if (line[0] != '\0') {
                bad |= replay(line);
                runs++;
            }
        }
        fclose(list);
    }
    fprintf(stderr, "replay: %lu inputs\n", runs);
    return bad;
}
